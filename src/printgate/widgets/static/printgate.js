/*! printgate upload widget v1 | AGPL-3.0-or-later | https://github.com/printgate/printgate
 * Framework-free, hand-written ES2019, no build step. API-compatible with Filecheck's Element:
 *   var pg = Printgate('pk_…', {apiBase});
 *   var el = pg.elements.create('intake', {workflowId, jobId, jobToken, locale, presentation, ui});
 *   el.on('status', fn); el.mount('#slot');   el.jobToken(): the job's client token (resume with it)
 * and the plugin helper Printgate.mount({publishableKey, workflowId, ...}). window.Filecheck = Printgate.
 */
(function (root) {
  'use strict';

  var doc = root.document;
  var script = doc.currentScript;
  var SCRIPT_SRC = script && script.src ? script.src : '';
  var SCRIPT_ORIGIN = SCRIPT_SRC ? new URL(SCRIPT_SRC).origin : root.location.origin;
  var CSS_URL = SCRIPT_SRC ? SCRIPT_SRC.replace(/\.js(\?.*)?$/, '.css$1') : '/widget/v1/printgate.css';
  // Loaded as /element/{pk}/filecheck.js (Filecheck's pk-specific URL): that key is the default.
  var PATH_KEY = (SCRIPT_SRC.match(/\/(?:element|widget)\/(pk_[A-Za-z0-9_-]+)\/[a-z]+\.js(?:\?|$)/) || [])[1] || null;

  // ---------------------------------------------------------------- messages
  var MESSAGES = {
    en: {
      title: 'Upload your print file',
      drop: 'Drag and drop your file here, or',
      dropMany: 'Drag and drop your files here, or',
      browse: 'choose a file',
      zoneLabel: 'Upload a file',
      zoneSlot: 'Upload the {slot} file',
      accepts: 'Accepted: {types}',
      upTo: 'up to {size}',
      replace: 'Drop a new file to replace it',
      full: 'All files are uploaded. Remove one to add another.',
      files: 'Your files',
      remove: 'Remove',
      removeFile: 'Remove {name}',
      retry: 'Retry',
      retryFile: 'Retry uploading {name}',
      uploading: 'Uploading… {pct}%',
      attaching: 'Starting the check…',
      page: 'Page {n}',
      howToFix: 'How to fix:',
      autofix: 'We will fix this automatically:',
      autofixYes: 'We will fix this automatically.',
      preview: 'Preview of {name}',
      proofPage: 'Proof, page {n}',
      proofEnlarge: 'Show the proof at full size',
      proofTitle: 'Check your proof',
      proofText: 'This is how your file will be printed. Please check it before you continue.',
      approve: 'Approve proof',
      rejectProof: 'Upload a different file',
      proofApproved: 'Proof approved.',
      proofRejected: 'Proof rejected. Please upload a corrected file.',
      openUploader: 'Upload artwork',
      close: 'Close',
      sev_reject: 'Problem',
      sev_warn: 'Warning',
      sev_info: 'Note',
      outcome_pass: 'Print-ready',
      outcome_warn: 'Warnings',
      outcome_fail: 'Not print-ready',
      outcome_fixed: 'Fixed',
      st_pending: 'Waiting',
      st_running: 'Checking',
      st_error: 'Could not be checked',
      s_loading: 'Loading…',
      s_idle: 'Upload your file to continue.',
      s_incomplete: 'Please upload {n} more file(s).',
      s_uploading: 'Uploading your file…',
      s_processing: 'Checking your file…',
      s_ready: 'Your file is print-ready. You can continue.',
      s_partial: 'Your file can be printed. Please review the warnings.',
      s_rejected: 'Your file cannot be printed as it is. Please see the problems listed with your file and upload a corrected file.',
      s_review: 'Your file is waiting for review by the shop.',
      s_proof: 'Please check and approve your proof to continue.',
      e_type: '{name}: this file type is not accepted ({types}).',
      e_size: '{name} is too large (maximum {size}).',
      e_count: 'You can upload at most {n} file(s).',
      e_upload: 'The upload of {name} failed. Please retry.',
      e_expired: 'The upload link for {name} has expired or was not found. Please retry.',
      e_network: 'The connection was interrupted while uploading {name}. Please retry.',
      e_server: 'The server could not be reached. Please try again.',
      e_config: 'The uploader could not be loaded: {message}',
      e_empty: '{name} is empty.'
    },
    de: {
      title: 'Druckdatei hochladen',
      drop: 'Datei hierher ziehen oder',
      dropMany: 'Dateien hierher ziehen oder',
      browse: 'Datei auswählen',
      zoneLabel: 'Datei hochladen',
      zoneSlot: 'Datei für {slot} hochladen',
      accepts: 'Erlaubt: {types}',
      upTo: 'bis {size}',
      replace: 'Neue Datei hierher ziehen, um sie zu ersetzen',
      full: 'Alle Dateien sind hochgeladen. Entfernen Sie eine, um eine andere hinzuzufügen.',
      files: 'Ihre Dateien',
      remove: 'Entfernen',
      removeFile: '{name} entfernen',
      retry: 'Erneut versuchen',
      retryFile: '{name} erneut hochladen',
      uploading: 'Wird hochgeladen… {pct} %',
      attaching: 'Prüfung wird gestartet…',
      page: 'Seite {n}',
      howToFix: 'So beheben Sie es:',
      autofix: 'Wir korrigieren das automatisch:',
      autofixYes: 'Wir korrigieren das automatisch.',
      preview: 'Vorschau von {name}',
      proofPage: 'Proof, Seite {n}',
      proofEnlarge: 'Proof in voller Größe zeigen',
      proofTitle: 'Proof prüfen',
      proofText: 'So wird Ihre Datei gedruckt. Bitte prüfen Sie sie, bevor Sie fortfahren.',
      approve: 'Proof freigeben',
      rejectProof: 'Andere Datei hochladen',
      proofApproved: 'Proof freigegeben.',
      proofRejected: 'Proof abgelehnt. Bitte laden Sie eine korrigierte Datei hoch.',
      openUploader: 'Druckdaten hochladen',
      close: 'Schließen',
      sev_reject: 'Problem',
      sev_warn: 'Warnung',
      sev_info: 'Hinweis',
      outcome_pass: 'Druckfertig',
      outcome_warn: 'Warnungen',
      outcome_fail: 'Nicht druckfertig',
      outcome_fixed: 'Korrigiert',
      st_pending: 'Wartet',
      st_running: 'Wird geprüft',
      st_error: 'Konnte nicht geprüft werden',
      s_loading: 'Wird geladen…',
      s_idle: 'Laden Sie Ihre Datei hoch, um fortzufahren.',
      s_incomplete: 'Bitte laden Sie noch {n} Datei(en) hoch.',
      s_uploading: 'Ihre Datei wird hochgeladen…',
      s_processing: 'Ihre Datei wird geprüft…',
      s_ready: 'Ihre Datei ist druckfertig. Sie können fortfahren.',
      s_partial: 'Ihre Datei kann gedruckt werden. Bitte beachten Sie die Warnungen.',
      s_rejected: 'Ihre Datei kann so nicht gedruckt werden. Bitte beachten Sie die bei Ihrer Datei genannten Probleme und laden Sie eine korrigierte Datei hoch.',
      s_review: 'Ihre Datei wird vom Shop geprüft.',
      s_proof: 'Bitte prüfen und bestätigen Sie Ihren Proof, um fortzufahren.',
      e_type: '{name}: Dieser Dateityp wird nicht akzeptiert ({types}).',
      e_size: '{name} ist zu groß (maximal {size}).',
      e_count: 'Sie können höchstens {n} Datei(en) hochladen.',
      e_upload: 'Das Hochladen von {name} ist fehlgeschlagen. Bitte erneut versuchen.',
      e_expired: 'Der Upload-Link für {name} ist abgelaufen oder wurde nicht gefunden. Bitte erneut versuchen.',
      e_network: 'Die Verbindung wurde beim Hochladen von {name} unterbrochen. Bitte erneut versuchen.',
      e_server: 'Der Server ist nicht erreichbar. Bitte versuchen Sie es erneut.',
      e_config: 'Der Upload konnte nicht geladen werden: {message}',
      e_empty: '{name} ist leer.'
    }
  };

  function pickLocale(locale) {
    var tag = String(locale || (root.navigator && root.navigator.language) || 'en').toLowerCase();
    if (MESSAGES[tag]) return tag;
    var base = tag.split(/[-_]/)[0];
    return MESSAGES[base] ? base : 'en';
  }

  function translate(lang, key, vars) {
    var table = MESSAGES[lang] || MESSAGES.en;
    var text = key in table ? table[key] : (MESSAGES.en[key] || key);
    return text.replace(/\{(\w+)\}/g, function (m, name) {
      return vars && vars[name] != null ? String(vars[name]) : m;
    });
  }

  // ---------------------------------------------------------------- helpers
  function h(tag, attrs, children) {
    var node = doc.createElement(tag);
    var k;
    for (k in attrs || {}) {
      var v = attrs[k];
      if (v == null || v === false) continue;
      if (k === 'text') node.textContent = v;
      else if (k.slice(0, 2) === 'on') node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? '' : v);
    }
    [].concat(children || []).forEach(function (c) {
      if (c == null || c === false) return;
      node.appendChild(typeof c === 'string' ? doc.createTextNode(c) : c);
    });
    return node;
  }

  function formatBytes(n) {
    if (!n && n !== 0) return '';
    if (n < 1024) return n + ' B';
    if (n < 1048576) return Math.round(n / 1024) + ' KB';
    var mb = n / 1048576;
    return (mb < 10 ? mb.toFixed(1) : Math.round(mb)) + ' MB';
  }

  function extOf(name) {
    var m = /\.([^.]+)$/.exec(name || '');
    return m ? m[1].toLowerCase() : '';
  }

  var TYPE_EXT = {
    pdf: ['pdf'], raster: ['jpg', 'jpeg', 'png', 'tif', 'tiff', 'webp'], png: ['png'], jpg: ['jpg', 'jpeg'],
    jpeg: ['jpg', 'jpeg'], tiff: ['tif', 'tiff'], tif: ['tif', 'tiff'], webp: ['webp'],
    vector: ['ai', 'eps', 'svg'], svg: ['svg'], eps: ['eps'], ai: ['ai'],
    office: ['doc', 'docx', 'ppt', 'pptx', 'xls', 'xlsx', 'odt', 'odp']
  };

  function acceptEntries(rule) {
    var list = (rule && (rule.accept || rule.accepts || rule.fileTypes)) || [];
    return list.map(function (a) {
      if (typeof a === 'string') a = { fileType: a };
      var exts = (a.extensions || TYPE_EXT[String(a.fileType || a.type || '').toLowerCase()] || []).map(function (e) {
        return String(e).replace(/^\./, '').toLowerCase();
      });
      var kind = String(a.fileType || a.type || '').toLowerCase();
      return { label: a.label || (kind === 'raster' ? 'JPG, PNG, TIFF' : (kind || exts[0] || '').toUpperCase()), exts: exts,
        mimeTypes: a.mimeTypes || [], maxBytes: a.maxBytes || a.maxSizeBytes || null };
    });
  }

  function matchAccept(entries, file) {
    if (!entries.length) return { maxBytes: null };
    var ext = extOf(file.name);
    for (var i = 0; i < entries.length; i++) {
      var e = entries[i];
      if (e.exts.indexOf(ext) >= 0 || (file.type && e.mimeTypes.indexOf(file.type) >= 0)) return e;
    }
    return null;
  }

  function cardinality(rule) {
    var c = (rule && rule.cardinality) || {};
    if (c.slots && c.slots.length) {
      var need = c.min == null ? c.slots.length : c.min;
      return { slots: c.slots.map(function (s, i) {
        return typeof s === 'string' ? { name: s, label: s, required: i < need }
          : { name: s.name, label: s.label || s.name, required: s.required != null ? !!s.required : i < need };
      }) };
    }
    var min = c.min == null ? 1 : c.min;
    var max = c.max == null ? Math.max(min, 1) : c.max;
    return { min: min, max: max };
  }

  function Emitter() { this._l = {}; }
  Emitter.prototype.on = function (evt, fn) {
    var list = this._l[evt] || (this._l[evt] = []);
    list.push(fn);
    return function () { var i = list.indexOf(fn); if (i >= 0) list.splice(i, 1); };
  };
  Emitter.prototype.emit = function (evt, data) {
    (this._l[evt] || []).slice().forEach(function (fn) {
      try { fn(data); } catch (e) { root.console && root.console.error(e); }
    });
  };

  // A small JSON client; errors carry {status, message} from printgate's {error, message} bodies.
  // Each job the widget creates comes with a client token (clientToken), sent back with every call on
  // that job (Printgate-Job-Token): the publishable key alone does not reach a job.
  function Client(base, pk) { this.base = base.replace(/\/+$/, ''); this.pk = pk; this.tokens = {}; }
  Client.prototype.jobToken = function (id) { return (id && this.tokens[id]) || null; };
  Client.prototype.req = function (method, path, body) {
    var self = this;
    var opts = { method: method, headers: { Authorization: 'Bearer ' + this.pk, Accept: 'application/json' } };
    var onJob = /^\/element\/jobs\/([^\/?]+)/.exec(path);
    var token = onJob && this.jobToken(decodeURIComponent(onJob[1]));
    if (token) opts.headers['Printgate-Job-Token'] = token;
    if (body !== undefined) { opts.headers['Content-Type'] = 'application/json'; opts.body = JSON.stringify(body); }
    return root.fetch(this.base + path, opts).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (data && data.clientToken && data.jobId) self.tokens[data.jobId] = data.clientToken;
        if (!res.ok) {
          var err = new Error((data && (data.message || data.detail)) || ('HTTP ' + res.status));
          err.status = res.status;
          throw err;
        }
        return data;
      });
    }, function () {
      var err = new Error('network');
      err.status = 0;
      throw err;
    });
  };

  // ---------------------------------------------------------------- element
  var seq = 0;

  function IntakeElement(factory, opts) {
    Emitter.call(this);
    this._f = factory;
    this._opts = opts || {};
    this._api = new Client(factory.apiBase, factory.pk);
    this._lang = pickLocale(this._opts.locale);
    this._local = [];      // files being uploaded/attached in this browser
    this._removals = Promise.resolve();  // DELETEs in flight: attaches wait for them
    this._payload = null;  // last server status payload
    this._emitted = '';
    this._proofShown = '';
    this._proofNote = '';
    this._notice = '';
    this._polls = 0;
    this._sseBroken = !root.EventSource;
  }
  IntakeElement.prototype = Object.create(Emitter.prototype);
  var P = IntakeElement.prototype;

  P.t = function (key, vars) { return translate(this._lang, key, vars); };

  P.on = function (evt, fn) { return Emitter.prototype.on.call(this, evt, fn); };

  P._fire = function (evt, data) {
    this.emit(evt, data);
    if (this._target) {
      this._target.dispatchEvent(new root.CustomEvent('printgate:' + evt, { detail: data, bubbles: true }));
    }
  };

  P._error = function (code, message) {
    this._fire('error', { code: code, message: message });
  };

  P.mount = function (target) {
    var el = typeof target === 'string' ? doc.querySelector(target) : target;
    if (!el) throw new Error('Printgate: mount target not found: ' + target);
    if (this._host) this.unmount(true);
    this._target = el;
    this._host = h('div', { class: 'printgate-element', 'data-printgate': '' });
    el.appendChild(this._host);
    this._shadow = this._host.attachShadow ? this._host.attachShadow({ mode: 'open' }) : this._host;
    this._shadow.appendChild(h('link', { rel: 'stylesheet', href: this._f.cssUrl }));
    this._root = h('div', { class: 'pg', part: 'root' });
    this._shadow.appendChild(this._root);
    this._build();
    this._start();
    return this;
  };

  P._start = function () {
    var self = this;
    var opts = this._opts;
    this._setLive(this.t('s_loading'));
    var jobId = opts.jobId;
    if (jobId && opts.jobToken) this._api.tokens[jobId] = opts.jobToken;
    var loadJob = jobId ? this._api.req('GET', '/element/jobs/' + encodeURIComponent(jobId)) : Promise.resolve(null);
    this._ready = loadJob.then(function (payload) {
      var wf = (payload && payload.workflowId) || opts.workflowId;
      if (!wf) throw Object.assign(new Error('workflowId is required'), { status: 400 });
      return self._api.req('GET', '/element/config?workflowId=' + encodeURIComponent(wf) +
        '&locale=' + encodeURIComponent(self._lang) +
        (opts.connectorId ? '&connectorId=' + encodeURIComponent(opts.connectorId) : '')).then(function (config) {
        return { config: config, payload: payload };
      });
    }).then(function (r) {
      if (!self._host) return;
      self._config = r.config;
      self._card = cardinality(r.config.rule);
      self._accept = acceptEntries(r.config.rule);
      self._build();
      self._fire('ready', { ui: self._ui() });
      if (r.payload) self._apply(r.payload);
      else self._emitStatus();
    }, function (err) {
      if (!self._host) return;
      if (opts.jobId && err.status === 404) {
        // The job to resume is gone: start over with a fresh job.
        self._opts = Object.assign({}, opts, { jobId: null });
        self._fire('error', { code: 'job_not_found', message: err.message });
        return self._start();
      }
      var msg = self.t('e_config', { message: err.status ? err.message : self.t('e_server') });
      self._setLive(msg);
      self._showNotice(msg);
      self._error('config_failed', msg);
    });
    return this._ready;
  };

  P._ui = function () {
    var base = (this._config && this._config.ui) || {};
    return Object.assign({ title: this.t('title'), theme: 'light', presentation: this._opts.presentation || 'inline' },
      base, this._opts.ui || {}, { locale: this._lang });
  };

  P.update = function (opts) {
    opts = opts || {};
    var prev = this._opts;
    this._opts = Object.assign({}, prev, opts, { ui: Object.assign({}, prev.ui || {}, opts.ui || {}) });
    if (opts.locale) this._lang = pickLocale(opts.locale);
    var needsRestart = (opts.jobId && opts.jobId !== this._jobId()) ||
      (opts.workflowId && opts.workflowId !== prev.workflowId && !this._jobId());
    if (this._host && needsRestart) {
      this._stopStream();
      this._payload = null;
      this._local = [];
      this._start();
    } else if (this._host) {
      this._build();
    }
    this._fire('ui', this._ui());
    return this;
  };

  P.focus = function () { if (this._dialog && !this._dialog.open) this._openDialog(); else this._focusZone(); };
  P.blur = function () { if (this._dialog && this._dialog.open) this._dialog.close(); };

  P.unmount = function (keepListeners) {
    this._stopStream();
    this._local.forEach(function (f) { if (f.xhr) f.xhr.abort(); });
    if (this._host && this._host.parentNode) this._host.parentNode.removeChild(this._host);
    this._host = null;
    this._fire('destroy');
    this._target = null;
    if (!keepListeners) this._l = {};
  };

  P.respondToProof = function (approved) {
    var self = this;
    var id = this._jobId();
    if (!id) return Promise.resolve(null);
    return this._api.req('POST', '/element/jobs/' + id + '/proof', { approved: !!approved }).then(function (p) {
      self._proofNote = self.t(approved ? 'proofApproved' : 'proofRejected');
      self._apply(p);
      return p;
    }, function (err) {
      self._error('proof_failed', err.message);
    });
  };

  P.setConnector = function (connector) { this._opts.connector = connector; this.applyNow(); };

  P.applyNow = function () {
    var facts = this._payload && this._payload.facts;
    var conn = this._opts.connector || (this._config && this._config.connector);
    if (!facts || !conn || !conn.bindings) return [];
    var results = conn.bindings.map(function (b) { return applyBinding(b, facts); });
    if (typeof this._opts.onConnectorApply === 'function') this._opts.onConnectorApply(results);
    return results;
  };

  P._jobId = function () { return this._payload ? this._payload.jobId : null; };
  P.jobToken = function () { return this._api.jobToken(this._jobId()); };

  // ---- state -> status event
  P._status = function () {
    var p = this._payload;
    var base = p ? Object.assign({}, p) : {
      status: 'idle', terminal: false, canProceed: false,
      workflowId: this._opts.workflowId || (this._config && this._config.workflow && this._config.workflow.id) || null,
      jobId: null, files: []
    };
    var busy = this._local.some(function (f) { return f.state === 'uploading' || f.state === 'attaching'; });
    if (busy) {
      // A file on its way to the server: the job is not decided until it has been checked.
      base.status = 'uploading';
      base.terminal = false;
      base.canProceed = false;
    }
    return base;
  };

  P._emitStatus = function () {
    var st = this._status();
    var key = JSON.stringify(st);
    this._render();
    if (key === this._emitted) return;
    this._emitted = key;
    this._fire('status', st);
    if (st.facts) {
      this._fire('facts', st.facts);
      this.applyNow();
    }
    var proof = this._proofPayload(st);
    if (proof) {
      var pkey = JSON.stringify(proof.pages.map(function (pg) { return pg.url; }));
      if (pkey !== this._proofShown) {
        this._proofShown = pkey;
        this._fire('proof', proof);
      }
    }
  };

  P._proofPayload = function (st) {
    var pages = [];
    (st.files || []).forEach(function (f) {
      (f.proofs || []).forEach(function (pr) { pages.push(Object.assign({ fileId: f.id }, pr)); });
    });
    var job = st.proof || {};
    if (st.proof) pages = job.pages || [];
    if (!pages.length) return null;
    var cfg = (this._config && this._config.softProof) || {};
    return {
      pages: pages,
      approvalRequired: !!(job.approvalRequired != null ? job.approvalRequired : cfg.approvalRequired),
      approved: job.approved == null ? null : job.approved,
      message: job.message || cfg.message || undefined,
      affirmButtonText: job.affirmButtonText || cfg.affirmButtonText || undefined
    };
  };

  P._apply = function (payload) {
    if (!payload || !this._host) return;
    var cur = this._payload;
    // Out-of-order responses (a slow POST after a fast stream event) must not roll state back,
    // but they still tell which local uploads the server has taken over.
    var stale = cur && payload.seq != null && cur.seq != null && payload.jobId === cur.jobId && payload.seq < cur.seq;
    if (!stale) this._payload = payload;
    var ids = {};
    (payload.files || []).concat(this._serverFiles()).forEach(function (f) { ids[f.id] = true; });
    this._local = this._local.filter(function (f) { return !(f.fileId && ids[f.fileId]); });
    this._emitStatus();
    if (this._payload.terminal) this._stopStream();
    else this._subscribe();
  };

  // ---- live status: SSE, falling back to polling
  P._subscribe = function () {
    var id = this._jobId();
    if (!id || this._es || this._pollTimer) return;
    var self = this;
    if (!this._sseBroken) {
      var url = this._f.apiBase + '/element/jobs/' + encodeURIComponent(id) + '/events?key=' + encodeURIComponent(this._f.pk) +
        (this._api.jobToken(id) ? '&jobToken=' + encodeURIComponent(this._api.jobToken(id)) : '');
      var es = new root.EventSource(url);
      this._es = es;
      es.addEventListener('status', function (ev) {
        var data;
        try { data = JSON.parse(ev.data); } catch (e) { return; }
        if (data.jobId !== self._jobId()) return;
        if (data.terminal) {
          // The server ends the stream after a terminal status: not a failure. If a newer change
          // (a file added meanwhile) makes the job busy again, _apply opens a fresh stream.
          es.close();
          if (self._es === es) self._es = null;
        }
        self._apply(data);
      });
      es.onerror = function () {
        if (self._es !== es) return;
        es.close();
        self._es = null;
        self._sseBroken = true;  // blocked or dropped: poll for the rest of this element's life
        self._subscribe();
      };
      return;
    }
    this._polls = 0;
    this._schedulePoll();
  };

  P._schedulePoll = function () {
    var self = this;
    var delay = Math.min(800 + this._polls * 150, 3000);
    this._pollTimer = root.setTimeout(function () {
      var id = self._jobId();
      if (!id || !self._host) { self._pollTimer = null; return; }
      self._api.req('GET', '/element/jobs/' + encodeURIComponent(id)).then(function (p) {
        self._pollTimer = null;
        self._polls++;
        self._apply(p);
      }, function () {
        self._pollTimer = null;
        self._polls++;
        if (self._host) self._schedulePoll();
      });
    }, delay);
  };

  P._stopStream = function () {
    if (this._es) { this._es.close(); this._es = null; }
    if (this._pollTimer) { root.clearTimeout(this._pollTimer); this._pollTimer = null; }
  };

  // ---- files
  P._serverFiles = function () { return (this._payload && this._payload.files) || []; };

  P._ensureJob = function () {
    var self = this;
    if (this._jobId()) return Promise.resolve(this._jobId());
    if (!this._creating) {
      var wf = this._opts.workflowId || (this._config.workflow && this._config.workflow.id);
      this._creating = this._api.req('POST', '/element/jobs', { workflowId: wf }).then(function (p) {
        self._creating = null;
        self._payload = p;
        return p.jobId;
      }, function (err) { self._creating = null; throw err; });
    }
    return this._creating;
  };

  P._addFiles = function (fileList, slot) {
    if (!this._config) return;
    var self = this;
    var files = [].slice.call(fileList || []);
    if (!files.length) return;
    this._proofNote = '';
    var card = this._card;
    var notices = [];
    if (card.slots) {
      files = files.slice(0, 1);
      this._replaceSlot(slot);
    } else {
      var present = this._serverFiles().length + this._local.length;
      if (card.max === 1 && files.length === 1) {
        this._replaceAll();
        present = 0;
      }
      var room = Math.max(card.max - present, 0);
      if (files.length > room) {
        notices.push(this.t('e_count', { n: card.max }));
        this._error('too_many_files', notices[notices.length - 1]);
        files = files.slice(0, room);
      }
    }
    files.forEach(function (file) {
      var acc = matchAccept(self._accept, file);
      var msg = null;
      var code = null;
      if (!acc) { code = 'file_type_not_accepted'; msg = self.t('e_type', { name: file.name, types: self._typeList() }); }
      else if (acc.maxBytes && file.size > acc.maxBytes) { code = 'file_too_large'; msg = self.t('e_size', { name: file.name, size: formatBytes(acc.maxBytes) }); }
      else if (!file.size) { code = 'file_empty'; msg = self.t('e_empty', { name: file.name }); }
      if (msg) { notices.push(msg); self._error(code, msg); return; }
      var entry = { key: 'l' + (++seq), file: file, name: file.name, size: file.size, slot: slot || null, state: 'uploading', progress: 0 };
      self._local.push(entry);
      self._fire('change', { action: 'add', name: file.name, size: file.size, slot: entry.slot, jobId: self._jobId() });
      self._upload(entry);
    });
    this._showNotice(notices.join(' '));
    this._emitStatus();
  };

  P._typeList = function () {
    return this._accept.map(function (a) { return a.label; }).join(', ');
  };

  P._replaceSlot = function (slot) {
    var self = this;
    this._local.filter(function (f) { return f.slot === slot; }).forEach(function (f) { self._removeLocal(f, true); });
    this._serverFiles().filter(function (f) { return f.slot === slot; }).forEach(function (f) { self._removeServer(f.id, true); });
  };

  P._replaceAll = function () {
    var self = this;
    this._local.slice().forEach(function (f) { self._removeLocal(f, true); });
    this._serverFiles().forEach(function (f) { self._removeServer(f.id, true); });
  };

  P._upload = function (entry) {
    var self = this;
    entry.state = 'uploading';
    entry.progress = 0;
    entry.error = null;
    var file = entry.file;
    // The job and the upload slot do not depend on each other: ask for both at once.
    Promise.all([
      this._ensureJob(),
      this._api.req('POST', '/uploads', { mimeType: file.type || 'application/octet-stream', sizeBytes: file.size })
    ]).then(function (both) {
      var presign = both[1];
      entry.fileRef = presign.fileRef;
      return self._send(entry, presign.upload);
    }).then(function () {
      entry.state = 'attaching';
      self._render();
      // A replaced file must be gone on the server before its successor is attached: with a
      // one-file rule the attach would otherwise race the DELETE and be refused (409).
      return self._removals;
    }).then(function () {
      if (entry.removed) return null;
      var body = { fileRef: entry.fileRef, name: entry.name };
      if (entry.slot) body.slot = entry.slot;
      return self._api.req('POST', '/element/jobs/' + self._jobId() + '/files', body);
    }).then(function (payload) {
      if (entry.removed || !payload) return;
      var f = payload.files.filter(function (x) { return x.fileRef === entry.fileRef; })[0];
      entry.fileId = f ? f.id : null;
      entry.state = 'done';
      self._apply(payload);
    }).catch(function (err) {
      if (entry.removed || !self._host) return;
      entry.state = 'failed';
      var key = err.kind === 'expired' ? 'e_expired' : err.status === 0 ? 'e_network' : 'e_upload';
      entry.error = self.t(key, { name: entry.name }) + (err.kind || err.status === 0 ? '' : ' (' + err.message + ')');
      self._error(err.kind === 'expired' ? 'upload_expired' : err.status === 0 ? 'network_error' : 'upload_failed', entry.error);
      self._emitStatus();
      self._setLive(entry.error);
    });
  };

  // Form POST to the presigned target: policy fields first, the file part last; real progress.
  P._send = function (entry, upload) {
    var self = this;
    return new Promise(function (resolve, reject) {
      var xhr = new root.XMLHttpRequest();
      entry.xhr = xhr;
      var form = new root.FormData();
      var fields = upload.fields || {};
      Object.keys(fields).forEach(function (k) { form.append(k, fields[k]); });
      form.append('file', entry.file, entry.name);
      xhr.open(upload.method || 'POST', upload.url);
      xhr.upload.onprogress = function (e) {
        if (!e.lengthComputable) return;
        entry.progress = Math.round((e.loaded / e.total) * 100);
        self._paintProgress(entry);
      };
      xhr.onload = function () {
        entry.xhr = null;
        if (xhr.status >= 200 && xhr.status < 300) { entry.progress = 100; resolve(); return; }
        var err = new Error(parseErr(xhr.responseText) || ('HTTP ' + xhr.status));
        err.status = xhr.status;
        if (xhr.status === 403 || xhr.status === 404 || xhr.status === 410) err.kind = 'expired';
        reject(err);
      };
      xhr.onerror = function () { entry.xhr = null; var err = new Error('network'); err.status = 0; reject(err); };
      xhr.onabort = function () { entry.xhr = null; var err = new Error('aborted'); err.status = 0; reject(err); };
      xhr.send(form);
    });
  };

  function parseErr(text) {
    try { var d = JSON.parse(text); return d.message || d.detail; } catch (e) {
      var m = /<Message>([^<]+)<\/Message>/.exec(text || '');
      return m ? m[1] : '';
    }
  }

  P._retry = function (key) {
    var entry = this._local.filter(function (f) { return f.key === key; })[0];
    if (!entry) return;
    this._fire('change', { action: 'retry', name: entry.name, slot: entry.slot, jobId: this._jobId() });
    this._upload(entry);
    this._emitStatus();
  };

  P._removeLocal = function (entry, silent) {
    entry.removed = true;
    if (entry.xhr) entry.xhr.abort();
    this._local = this._local.filter(function (f) { return f !== entry; });
    if (entry.fileId) this._removeServer(entry.fileId, true);
    if (!silent) {
      this._fire('change', { action: 'remove', name: entry.name, slot: entry.slot, jobId: this._jobId() });
      this._emitStatus();
    }
  };

  P._removeServer = function (fileId, silent) {
    var self = this;
    var id = this._jobId();
    var f = this._serverFiles().filter(function (x) { return x.id === fileId; })[0];
    if (!id || !f) return Promise.resolve();
    // Optimistic: hide it now and close the gate until the server's verdict on what is left.
    var rest = this._serverFiles().filter(function (x) { return x.id !== fileId; });
    this._payload = Object.assign({}, this._payload, {
      files: rest, status: rest.length ? 'processing' : 'idle', terminal: false, canProceed: false
    });
    if (!silent) this._fire('change', { action: 'remove', name: f.name, slot: f.slot || null, jobId: id });
    this._emitStatus();
    var done = this._api.req('DELETE', '/element/jobs/' + id + '/files/' + encodeURIComponent(fileId)).then(function (p) {
      if (p && p.jobId) self._apply(p);
    }, function (err) {
      self._error('remove_failed', err.message);
    });
    this._removals = Promise.all([this._removals, done]);
    return done;
  };

  // ---------------------------------------------------------------- rendering
  P._setLive = function (text) {
    if (this._live && this._live.textContent !== text) this._live.textContent = text;
  };

  P._showNotice = function (text) {
    this._notice = text || '';
    if (this._noticeEl) {
      this._noticeEl.textContent = this._notice;
      this._noticeEl.hidden = !this._notice;
    }
  };

  P._build = function () {
    var ui = this._ui();
    var self = this;
    var rootEl = this._root;
    rootEl.textContent = '';
    rootEl.className = 'pg pg-theme-' + (ui.theme || 'light') + (ui.layout === 'compact' ? ' pg-compact' : '');
    if (ui.accent) rootEl.style.setProperty('--pg-accent', ui.accent);
    rootEl.setAttribute('lang', this._lang);

    var body = h('div', { class: 'pg-body' });
    if (ui.showHeader !== false) {
      body.appendChild(h('div', { class: 'pg-head' }, [
        h('h2', { class: 'pg-title', id: 'pg-title', text: ui.title }),
        ui.subtitle ? h('p', { class: 'pg-sub', text: ui.subtitle }) : null
      ]));
    }
    var rule = this._config && this._config.rule;
    if (rule && rule.instructions) body.appendChild(h('p', { class: 'pg-instr', text: rule.instructions }));
    this._zones = h('div', { class: 'pg-zones' });
    body.appendChild(this._zones);
    this._noticeEl = h('p', { class: 'pg-notice', role: 'alert', hidden: !this._notice, text: this._notice });
    body.appendChild(this._noticeEl);
    this._list = h('ul', { class: 'pg-files', 'aria-label': this.t('files') });
    body.appendChild(this._list);
    this._proofEl = h('div', { class: 'pg-proof', hidden: true });
    body.appendChild(this._proofEl);
    this._live = h('p', { class: 'pg-status', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
    body.appendChild(this._live);

    var presentation = this._opts.presentation || ui.presentation;
    if (presentation === 'dialog') {
      this._trigger = h('button', { type: 'button', class: 'pg-btn pg-trigger', 'aria-haspopup': 'dialog',
        onclick: function () { self._openDialog(); } }, [this._opts.ui && this._opts.ui.buttonLabel || this.t('openUploader')]);
      this._triggerState = h('span', { class: 'pg-trigger-state', 'aria-hidden': 'true' });
      this._dialog = h('dialog', { class: 'pg-dialog', 'aria-labelledby': 'pg-title' }, [
        h('button', { type: 'button', class: 'pg-close', 'aria-label': this.t('close'),
          onclick: function () { self._dialog.close(); } }, ['×']),
        body
      ]);
      this._dialog.addEventListener('close', function () { if (self._trigger) self._trigger.focus(); });
      rootEl.appendChild(h('div', { class: 'pg-trigger-row' }, [this._trigger, this._triggerState]));
      rootEl.appendChild(this._dialog);
    } else {
      this._dialog = this._trigger = null;
      rootEl.appendChild(body);
    }
    if (this._config) this._render();
  };

  P._openDialog = function () {
    if (!this._dialog) return;
    if (this._dialog.showModal) this._dialog.showModal(); else this._dialog.setAttribute('open', '');
    this._focusZone();
  };

  P._focusZone = function () {
    var z = this._zones && this._zones.querySelector('.pg-zone:not([aria-disabled="true"])');
    if (z) z.focus();
  };

  P._zone = function (slot, label, filled, full) {
    var self = this;
    var card = this._card;
    var multiple = !card.slots && card.max > 1;
    var input = h('input', { type: 'file', class: 'pg-input', tabindex: '-1', 'aria-hidden': 'true',
      multiple: multiple, accept: this._acceptAttr(),
      'data-slot': slot || null });
    input.addEventListener('change', function () {
      var files = input.files;
      self._addFiles(files, slot);
      input.value = '';
    });
    var hint = this._accept.map(function (a) {
      return a.label + (a.maxBytes ? ' ' + self.t('upTo', { size: formatBytes(a.maxBytes) }) : '');
    }).join(', ');
    var zoneLabel = slot ? this.t('zoneSlot', { slot: label }) : this.t('zoneLabel');
    var hintId = 'pg-hint-' + (slot || 'main').replace(/\W/g, '_');
    var zone = h('div', {
      class: 'pg-zone' + (filled ? ' pg-filled' : ''), role: 'button', tabindex: full ? '-1' : '0',
      'aria-label': zoneLabel, 'aria-describedby': hintId, 'aria-disabled': full ? 'true' : null,
      'data-slot': slot || null, 'data-zone': slot || 'main'
    }, [
      slot ? h('span', { class: 'pg-slot-label', text: label }) : null,
      h('span', { class: 'pg-zone-text' }, [
        full ? this.t('full') : filled ? this.t('replace') : (multiple ? this.t('dropMany') : this.t('drop')) + ' ',
        full || filled ? null : h('span', { class: 'pg-browse', text: this.t('browse') })
      ]),
      h('span', { class: 'pg-hint', id: hintId, text: hint ? this.t('accepts', { types: hint }) : '' }),
      input
    ]);
    function open() { if (!full) input.click(); }
    zone.addEventListener('click', function (e) { if (e.target !== input) open(); });
    zone.addEventListener('keydown', function (e) {
      if (e.key === 'Enter' || e.key === ' ' || e.key === 'Spacebar') { e.preventDefault(); open(); }
    });
    zone.addEventListener('dragover', function (e) {
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = full ? 'none' : 'copy';
      zone.classList.add('pg-over');
    });
    zone.addEventListener('dragleave', function () { zone.classList.remove('pg-over'); });
    zone.addEventListener('drop', function (e) {
      e.preventDefault();
      zone.classList.remove('pg-over');
      if (!full && e.dataTransfer) self._addFiles(e.dataTransfer.files, slot);
    });
    return zone;
  };

  P._acceptAttr = function () {
    var out = [];
    this._accept.forEach(function (a) {
      a.exts.forEach(function (e) { out.push('.' + e); });
      a.mimeTypes.forEach(function (m) { out.push(m); });
    });
    return out.join(',') || null;
  };

  P._render = function () {
    if (!this._config || !this._zones) return;
    var self = this;
    var st = this._status();
    var active = this._shadow.activeElement;
    var focusKey = active && active.getAttribute ? (active.getAttribute('data-focus') || (active.getAttribute('data-zone') && 'zone:' + active.getAttribute('data-zone'))) : null;

    // Drop zones: rebuilt only when their state changes, so focus and hover survive updates.
    var card = this._card;
    var rows = this._rows();
    var zones = card.slots ? card.slots.map(function (s) {
      return [s.name, s.label, rows.some(function (r) { return r.slot === s.name; }), false];
    }) : [[null, null, card.max === 1 && rows.length > 0, card.max > 1 && rows.length >= card.max]];
    var zkey = JSON.stringify(zones) + this._lang;
    if (zkey !== this._zkey || !this._zones.firstChild) {
      this._zkey = zkey;
      this._zones.textContent = '';
      zones.forEach(function (z) { self._zones.appendChild(self._zone(z[0], z[1], z[2], z[3])); });
    }

    // File rows
    this._list.textContent = '';
    rows.forEach(function (r) { self._list.appendChild(self._row(r)); });
    this._list.hidden = !rows.length;

    this._renderProof(st);

    // Status line
    var text = this.t('s_' + st.status, { n: this._missing() });
    if (st.status === 'processing' && st.review) text = this.t('s_review');
    var proof = this._proofPayload(st);
    if (proof && proof.approvalRequired && proof.approved !== true && !st.canProceed) text = this.t('s_proof');
    if (this._proofNote) text = this._proofNote + ' ' + text;
    this._setLive(text);
    this._root.setAttribute('data-status', st.status);
    this._root.setAttribute('data-can-proceed', st.canProceed ? 'true' : 'false');
    if (this._triggerState) this._triggerState.textContent = rows.length ? text : '';

    if (focusKey) {
      var again = focusKey.indexOf('zone:') === 0
        ? this._zones.querySelector('[data-zone="' + focusKey.slice(5) + '"]')
        : this._root.querySelector('[data-focus="' + focusKey + '"]');
      if (again) again.focus();
      else if (!this._root.contains(this._shadow.activeElement)) this._focusZone();
    }
  };

  P._missing = function () {
    var n = this._rows().length;
    var card = this._card;
    if (card.slots) {
      var rows = this._rows();
      return card.slots.filter(function (s) {
        return s.required && !rows.some(function (r) { return r.slot === s.name; });
      }).length;
    }
    return Math.max(card.min - n, 0);
  };

  // One display row per file: server files, then local ones not yet known to the server.
  P._rows = function () {
    var rows = this._serverFiles().map(function (f) { return { server: f, key: 's' + f.id, name: f.name, slot: f.slot || null }; });
    this._local.forEach(function (l) {
      if (l.state !== 'done') rows.push({ local: l, key: l.key, name: l.name, slot: l.slot });
    });
    return rows;
  };

  P._row = function (r) {
    var self = this;
    var f = r.server;
    var l = r.local;
    var state = l ? l.state : (f.outcome || f.status || 'pending');
    var li = h('li', { class: 'pg-file pg-' + state, 'data-file': f ? f.id : l.key, 'data-state': state });
    if (f && f.thumbnailUrl) {
      li.appendChild(h('img', { class: 'pg-thumb', src: f.thumbnailUrl, alt: this.t('preview', { name: f.name }), loading: 'lazy' }));
    } else {
      li.appendChild(h('span', { class: 'pg-thumb pg-thumb-empty', 'aria-hidden': 'true', text: (extOf(r.name) || '?').toUpperCase() }));
    }
    var main = h('div', { class: 'pg-file-main' });
    main.appendChild(h('div', { class: 'pg-file-head' }, [
      r.slot ? h('span', { class: 'pg-file-slot', text: this._slotLabel(r.slot) }) : null,
      h('span', { class: 'pg-file-name', text: r.name }),
      h('span', { class: 'pg-badge pg-badge-' + state, text: this._badge(state, l) })
    ]));
    if (l && l.state === 'uploading') {
      var bar = h('div', { class: 'pg-progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100',
        'aria-valuenow': String(l.progress), 'aria-label': r.name, 'data-progress': l.key }, [
        h('span', { class: 'pg-progress-bar', style: 'width:' + l.progress + '%' })
      ]);
      main.appendChild(bar);
    }
    li.appendChild(main);
    var detail = [];
    if (l && l.error) detail.push(h('p', { class: 'pg-file-error', role: 'alert', text: l.error }));
    if (f && f.reason && !(f.findings || []).length) detail.push(h('p', { class: 'pg-file-error', text: f.reason }));
    if (f && f.findings && f.findings.length) detail.push(this._findings(f.findings));

    var actions = h('div', { class: 'pg-actions' });
    if (l && l.state === 'failed') {
      actions.appendChild(h('button', { type: 'button', class: 'pg-btn pg-retry', 'data-focus': 'retry:' + l.key,
        'aria-label': this.t('retryFile', { name: r.name }), onclick: function () { self._retry(l.key); } }, [this.t('retry')]));
    }
    actions.appendChild(h('button', { type: 'button', class: 'pg-btn pg-remove', 'data-focus': 'remove:' + r.key,
      'aria-label': this.t('removeFile', { name: r.name }),
      onclick: function () {
        if (l) self._removeLocal(l); else self._removeServer(f.id);
        self._focusZone();
      } }, [this.t('remove')]));
    li.appendChild(actions);
    if (detail.length) li.appendChild(h('div', { class: 'pg-file-detail' }, detail));
    return li;
  };

  P._slotLabel = function (name) {
    var s = (this._card.slots || []).filter(function (x) { return x.name === name; })[0];
    return s ? s.label : name;
  };

  P._badge = function (state, local) {
    if (local) {
      if (state === 'uploading') return this.t('uploading', { pct: local.progress });
      if (state === 'attaching') return this.t('attaching');
      return this.t('e_upload', { name: '' }).replace(/^\W+/, '').split('.')[0];
    }
    var key = { pass: 'outcome_pass', warn: 'outcome_warn', fail: 'outcome_fail', fixed: 'outcome_fixed',
      pending: 'st_pending', running: 'st_running', error: 'st_error', done: 'outcome_pass' }[state];
    return key ? this.t(key) : state;
  };

  P._paintProgress = function (entry) {
    var bar = this._list && this._list.querySelector('[data-progress="' + entry.key + '"]');
    if (!bar) return;
    bar.setAttribute('aria-valuenow', String(entry.progress));
    bar.firstChild.style.width = entry.progress + '%';
    var badge = bar.parentNode.querySelector('.pg-badge');
    if (badge) badge.textContent = this.t('uploading', { pct: entry.progress });
  };

  P._findings = function (findings) {
    var self = this;
    var order = { reject: 0, fail: 0, warn: 1, info: 2 };
    var sorted = findings.slice().sort(function (a, b) { return (a.severity in order ? order[a.severity] : 3) - (b.severity in order ? order[b.severity] : 3); });
    return h('ul', { class: 'pg-findings' }, sorted.map(function (fd) {
      var sev = fd.severity === 'fail' ? 'reject' : (fd.severity || 'info');
      // A blocking finding blocks whatever autofix could do later: don't promise a fix there.
      var auto = sev === 'reject' ? null : fd.autofix;
      return h('li', { class: 'pg-finding pg-sev-' + sev, 'data-check': fd.checkId || null }, [
        h('span', { class: 'pg-sev', text: self.t('sev_' + sev) }),
        fd.page ? h('span', { class: 'pg-page', text: self.t('page', { n: fd.page }) }) : null,
        h('span', { class: 'pg-issue', text: fd.issue || fd.message || fd.checkId }),
        fd.fix ? h('span', { class: 'pg-fix' }, [h('strong', { text: self.t('howToFix') }), ' ' + fd.fix]) : null,
        auto ? h('span', { class: 'pg-autofix' }, typeof auto === 'string'
          ? [h('strong', { text: self.t('autofix') }), ' ' + auto] : [self.t('autofixYes')]) : null
      ]);
    }));
  };

  P._renderProof = function (st) {
    var self = this;
    var el = this._proofEl;
    var proof = this._proofPayload(st);
    el.textContent = '';
    el.hidden = !proof;
    if (!proof) return;
    el.appendChild(h('h3', { class: 'pg-proof-title', text: this.t('proofTitle') }));
    el.appendChild(h('p', { text: proof.message || this.t('proofText') }));
    el.appendChild(h('div', { class: 'pg-proof-pages' + (proof.pages.length === 1 ? ' pg-proof-one' : '') },
      proof.pages.map(function (pg) {
        // Fits the widget's width (phone or desktop); a tap or click shows it at full size.
        return h('a', { href: pg.url, target: '_blank', rel: 'noopener', class: 'pg-proof-page',
          title: self.t('proofEnlarge'),
          onclick: function (e) {
            if (e.ctrlKey || e.metaKey || e.shiftKey || e.button) return;  // a new tab, as asked
            e.preventDefault();
            self._zoomProof(pg);
          } }, [
          h('img', { src: pg.url, alt: self.t('proofPage', { n: pg.page }), loading: 'lazy' })
        ]);
      })));
    if (proof.approvalRequired && proof.approved !== true) {
      el.appendChild(h('div', { class: 'pg-proof-actions' }, [
        h('button', { type: 'button', class: 'pg-btn pg-primary pg-approve', 'data-focus': 'approve',
          onclick: function () { self.respondToProof(true); } }, [proof.affirmButtonText || this.t('approve')]),
        h('button', { type: 'button', class: 'pg-btn pg-reject', 'data-focus': 'reject',
          onclick: function () { self.respondToProof(false); } }, [this.t('rejectProof')])
      ]));
    }
  };

  // The proof at full size over the page: scrolls and pans on a phone; Escape, the close button or
  // a click beside the image closes it and gives the focus back to the page that opened it.
  P._zoomProof = function (pg) {
    var self = this;
    var opener = (this._shadow && this._shadow.activeElement) || doc.activeElement;
    this._closeProofZoom();
    var close = function () { self._closeProofZoom(); if (opener && opener.focus) opener.focus(); };
    var img = h('img', { src: pg.url, alt: this.t('proofPage', { n: pg.page }), class: 'pg-zoom-img' });
    var box = h('div', { class: 'pg-zoom', role: 'dialog', 'aria-modal': 'true',
      'aria-label': this.t('proofPage', { n: pg.page }),
      onclick: function (e) { if (e.target === box) close(); },
      onkeydown: function (e) { if (e.key === 'Escape') { e.preventDefault(); close(); } } }, [
      h('button', { type: 'button', class: 'pg-btn pg-zoom-close', 'aria-label': this.t('close'), onclick: close }, ['\u00d7']),
      h('div', { class: 'pg-zoom-scroll' }, [img])
    ]);
    this._root.appendChild(box);
    this._zoomEl = box;
    box.querySelector('.pg-zoom-close').focus();
  };

  P._closeProofZoom = function () {
    if (this._zoomEl && this._zoomEl.parentNode) this._zoomEl.parentNode.removeChild(this._zoomEl);
    this._zoomEl = null;
  };

  // ---------------------------------------------------------------- connectors
  var UNIT_MM = { mm: 1, cm: 10, in: 25.4, pt: 25.4 / 72 };
  var CONTROL_PRESETS = {
    quantity: ['input[name="quantity"]', 'input[name="qty"]', 'input.qty', '#quantity', '#quantity_wanted', 'input[name="quantity[]"]'],
    width: ['#width', 'input[name="width"]', 'input[name*="[width]"]', '.width input'],
    height: ['#height', 'input[name="height"]', 'input[name*="[height]"]', '.height input'],
    area: ['#area', 'input[name="area"]', 'input[name*="[area]"]']
  };

  function applyBinding(b, facts) {
    if (b.enabled === false) return { binding: b, applied: false, reason: 'disabled' };
    var agg = facts.aggregate || {};
    var value = b.source === 'fileCount' ? agg.fileCount : agg[b.source];
    if (value == null) return { binding: b, applied: false, reason: 'no value' };
    if (b.source !== 'pageCount' && b.source !== 'fileCount') {
      var from = typeof b.convertFrom === 'number' ? b.convertFrom : UNIT_MM[b.convertFrom || 'mm'] || 1;
      var to = typeof b.convertTo === 'number' ? b.convertTo : UNIT_MM[b.convertTo || 'mm'] || 1;
      var factor = from / to;
      value = value * (b.source === 'area' ? factor * factor : factor);
    }
    if (b.round) value = Math[b.round](value);
    if (b.decimals != null) value = Number(value.toFixed(b.decimals));
    var selectors = (b.customSelector ? [b.customSelector] : []).concat(CONTROL_PRESETS[b.control] || []);
    var target = null;
    for (var i = 0; i < selectors.length && !target; i++) {
      try { target = doc.querySelector(selectors[i]); } catch (e) { target = null; }
    }
    if (!target) return { binding: b, applied: false, reason: 'no target' };
    if (b.set === 'text') target.textContent = String(value);
    else if (b.set === 'attr') target.setAttribute(b.attr || 'data-value', String(value));
    else target.value = String(value);
    (b.emit || ['input', 'change']).forEach(function (name) {
      target.dispatchEvent(new root.Event(name, { bubbles: true }));
    });
    return { binding: b, applied: true, value: value };
  }

  // ---------------------------------------------------------------- factory
  function Printgate(pk, opts) {
    pk = pk || PATH_KEY;
    if (!pk || !/^pk_/.test(pk)) throw new Error('Printgate: a publishable key (pk_…) is required');
    opts = opts || {};
    var factory = {
      pk: pk,
      apiBase: String(opts.apiBase || SCRIPT_ORIGIN).replace(/\/+$/, ''),
      cssUrl: opts.cssUrl || CSS_URL,
      agentId: opts.agentId || null
    };
    factory.elements = {
      create: function (type, elOpts) {
        if (type !== 'intake') throw new Error('Printgate: unknown element type ' + type);
        return new IntakeElement(factory, elOpts);
      }
    };
    return factory;
  }

  // ---------------------------------------------------------------- plugin helper
  var CART_SELECTORS = [
    // Shopify
    'form[action*="/cart/add"] [type="submit"]', 'form[action*="/cart/add"] button[name="add"]', '.product-form__submit',
    // WooCommerce
    '.single_add_to_cart_button', 'button[name="add-to-cart"]',
    // OpenCart
    '#button-cart',
    // PrestaShop
    '[data-button-action="add-to-cart"]', '.add-to-cart',
    // printgate's own demo / generic
    '[data-printgate-cart]'
  ];

  function storageKey(cfg) {
    return 'printgate:job:' + (cfg.productId || root.location.pathname) + ':' + cfg.workflowId;
  }

  function store(method, key, value) {
    try {
      var ls = root.localStorage;
      if (method === 'get') return ls.getItem(key);
      if (method === 'set') ls.setItem(key, value);
      else ls.removeItem(key);
    } catch (e) { /* storage blocked: resume is best effort */ }
    return null;
  }

  Printgate.mount = function (cfg) {
    cfg = cfg || {};
    var selector = CART_SELECTORS.concat(cfg.cartButtonSelector ? [cfg.cartButtonSelector] : []).join(',');
    function buttons() { return [].slice.call(doc.querySelectorAll(selector)); }
    var target = doc.querySelector('#pg-inline') || doc.querySelector('#fc-inline') ||
      (cfg.mountSelector && doc.querySelector(cfg.mountSelector));
    if (!target) {
      var btn = buttons()[0];
      if (!btn) return null;
      target = h('div', { class: 'printgate-slot' });
      btn.parentNode.insertBefore(target, btn);
    }
    if (cfg.customCss) doc.head.appendChild(h('style', { text: cfg.customCss }));

    var key = storageKey(cfg);
    var saved = (store('get', key) || '').split(' ');  // "jobId clientToken"
    var resume = saved[0];
    var pg = Printgate(cfg.publishableKey, { apiBase: cfg.apiBase, agentId: cfg.agentId });
    var el = pg.elements.create('intake', {
      workflowId: cfg.workflowId, jobId: resume || undefined, jobToken: saved[1] || undefined, locale: cfg.locale,
      presentation: cfg.presentation || 'inline', connector: cfg.connector, connectorId: cfg.connectorId,
      ui: Object.assign({}, cfg.ui || {}, cfg.elementTheme ? { theme: cfg.elementTheme } : {})
    });
    var fieldName = cfg.fieldName || 'printgate_job_id';
    // required: false (an optional upload) leaves the cart open until the customer starts one.
    var optional = cfg.required === false;
    var state = { canProceed: false, jobId: null, status: null };
    function open() {
      return state.canProceed || (optional && (!state.status || state.status === 'idle'));
    }

    function field() {
      var form = (buttons()[0] && buttons()[0].form) || target.closest('form') || doc.querySelector('form.cart, form[action*="/cart/add"], form');
      var scope = form || doc;
      var input = scope.querySelector('input[name="' + fieldName + '"]');
      if (!input && form) {
        input = h('input', { type: 'hidden', name: fieldName });
        form.appendChild(input);
      }
      return input;
    }

    function gate() {
      var isOpen = open();
      buttons().forEach(function (b) {
        b.disabled = !isOpen;
        b.setAttribute('aria-disabled', isOpen ? 'false' : 'true');
        if (isOpen) b.removeAttribute('data-printgate-gated');
        else b.setAttribute('data-printgate-gated', '');
      });
      var input = field();
      if (input) input.value = state.canProceed && state.jobId ? state.jobId : '';
    }

    el.on('status', function (st) {
      state.canProceed = !!st.canProceed;
      state.status = st.status;
      state.jobId = st.jobId;
      if (st.jobId) store('set', key, st.jobId + (el.jobToken() ? ' ' + el.jobToken() : ''));
      gate();
    });
    el.on('error', function (e) {
      if (e.code === 'job_not_found') store('remove', key);
    });
    // Themes re-enable buttons; the click guard keeps the gate closed anyway. Clear the
    // remembered job once it has gone into the cart.
    doc.addEventListener('click', function (e) {
      var b = e.target && e.target.closest && e.target.closest(selector);
      if (!b) return;
      if (!open()) { e.preventDefault(); e.stopPropagation(); el.focus(); return; }
      root.setTimeout(function () { store('remove', key); }, 0);
    }, true);
    gate();
    el.mount(target);
    if (typeof cfg.customJs === 'string' && cfg.customJs) {
      try { (new Function('element', cfg.customJs))(el); } catch (e) { root.console && root.console.error(e); }
    }
    return el;
  };

  Printgate.version = '1.0.0';
  Printgate.messages = MESSAGES;
  root.Printgate = Printgate;
  if (!root.Filecheck) root.Filecheck = Printgate;
})(window);
