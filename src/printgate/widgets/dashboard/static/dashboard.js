/* The job page follows a running job: every 2 s it asks the job's status.json; when the job
   changed it fetches the page again and swaps the job's part in place (keeping open <details>),
   and it stops once the job can no longer change. No framework, no build step. */
(function () {
  'use strict';
  var live = document.getElementById('job-live');
  if (!live || live.getAttribute('data-live') !== 'true') return;
  var statusUrl = live.getAttribute('data-status-url');
  var modified = live.getAttribute('data-modified');
  var line = document.getElementById('live-line');
  var timer = null;

  function say(text) { if (line) line.textContent = text; }

  function swap(html) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    var fresh = doc.getElementById('job-live');
    if (!fresh) return;
    var open = Array.prototype.map.call(live.querySelectorAll('details'), function (d) { return d.open; });
    var focusedId = document.activeElement && document.activeElement.id;
    live.innerHTML = fresh.innerHTML;
    Array.prototype.forEach.call(live.querySelectorAll('details'), function (d, i) { if (open[i]) d.open = true; });
    if (focusedId && document.getElementById(focusedId)) document.getElementById(focusedId).focus();
    line = document.getElementById('live-line');
    live.setAttribute('data-live', fresh.getAttribute('data-live'));
    live.setAttribute('data-modified', fresh.getAttribute('data-modified'));
  }

  function poll() {
    fetch(statusUrl, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
      .then(function (r) {
        if (r.status === 401) { window.location.reload(); throw new Error('signed out'); }
        return r.json();
      })
      .then(function (s) {
        var changed = s.modifiedAt !== modified;
        modified = s.modifiedAt;
        var next = changed ? fetch(window.location.href, { credentials: 'same-origin' })
          .then(function (r) { return r.text(); }).then(swap) : Promise.resolve();
        return next.then(function () {
          if (s.live) {
            timer = setTimeout(poll, 2000);
          } else {
            say('Finished: ' + s.resultLabel + '.');
          }
        });
      })
      .catch(function () { timer = setTimeout(poll, 4000); });
  }

  timer = setTimeout(poll, 2000);
  window.addEventListener('pagehide', function () { if (timer) clearTimeout(timer); });
})();

/* New Job: the file goes up through a presigned upload (POST /dashboard/new/upload, then the form
   posted to the upload URL with progress); the form then carries only the upload's fileRef. The
   fields that do not apply to the chosen action are hidden. Without script the form posts the file. */
(function () {
  'use strict';
  var form = document.getElementById('new-job');
  if (!form) return;
  var input = document.getElementById('file');
  var zone = document.getElementById('dropzone');
  var bar = document.getElementById('upload-progress');
  var line = document.getElementById('upload-line');
  var ref = document.getElementById('file-ref');
  var start = document.getElementById('start');
  var busy = false;

  function showFields() {
    var chosen = form.querySelector('input[name="action"]:checked');
    var action = chosen ? chosen.value : 'preflight';
    Array.prototype.forEach.call(form.querySelectorAll('[data-for]'), function (el) {
      el.hidden = el.getAttribute('data-for').split(' ').indexOf(action) < 0;
    });
  }
  Array.prototype.forEach.call(form.querySelectorAll('input[name="action"]'), function (r) {
    r.addEventListener('change', showFields);
  });
  showFields();

  function say(text, bad) { line.textContent = text; line.className = 'upload-line' + (bad ? ' bad' : ''); }
  function kb(n) { return n < 1e6 ? (n / 1e3).toFixed(1) + ' kB' : (n / 1e6).toFixed(1) + ' MB'; }

  function upload(file) {
    if (!file) return;
    busy = true; start.disabled = true; ref.value = '';
    bar.hidden = false; bar.value = 0;
    say('Uploading ' + file.name + '…');
    fetch(form.getAttribute('data-upload-url'), {
      method: 'POST', credentials: 'same-origin',
      headers: { 'X-CSRF-Token': form.getAttribute('data-csrf'), 'X-File-Size': String(file.size),
                 'X-File-Type': file.type || '', Accept: 'application/json' }
    }).then(function (r) {
      return r.json().then(function (body) { if (!r.ok) throw new Error(body.message || 'upload refused'); return body; });
    }).then(function (answer) {
      var data = new FormData();
      var fields = answer.upload.fields || {};
      Object.keys(fields).forEach(function (k) { data.append(k, fields[k]); });
      data.append('file', file, file.name);
      var xhr = new XMLHttpRequest();
      xhr.open('POST', answer.upload.url);
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) { bar.value = Math.round(100 * e.loaded / e.total); bar.textContent = bar.value + '%'; }
      };
      xhr.onload = function () {
        busy = false;
        if (xhr.status >= 200 && xhr.status < 300) {
          bar.value = 100; ref.value = answer.fileRef; input.value = '';
          start.disabled = false;
          say('Uploaded ' + file.name + ' (' + kb(file.size) + '). Start the job when ready.');
        } else {
          var message = 'The upload failed (' + xhr.status + ')';
          try { message = JSON.parse(xhr.responseText).message || message; } catch (e) { /* not JSON */ }
          start.disabled = false; say(message, true);
        }
      };
      xhr.onerror = function () { busy = false; start.disabled = false; say('The upload failed: network error.', true); };
      xhr.send(data);
    }).catch(function (err) { busy = false; start.disabled = false; bar.hidden = true; say(err.message, true); });
  }

  input.addEventListener('change', function () { upload(input.files[0]); });
  ['dragenter', 'dragover'].forEach(function (t) {
    zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add('over'); });
  });
  ['dragleave', 'drop'].forEach(function (t) {
    zone.addEventListener(t, function () { zone.classList.remove('over'); });
  });
  zone.addEventListener('drop', function (e) {
    e.preventDefault();
    if (e.dataTransfer && e.dataTransfer.files.length) upload(e.dataTransfer.files[0]);
  });
  form.addEventListener('submit', function (e) {
    if (busy) { e.preventDefault(); say('Wait for the upload to finish.'); }
  });
})();
