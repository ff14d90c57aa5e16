/**
 * printgate product-page glue for PrestaShop: mounts the printgate widget (which gates the
 * add-to-cart button until canProceed and writes the jobId into the hidden field), saves the jobId
 * to the shop by AJAX, and survives PrestaShop's product refresh when a combination changes.
 */
(function () {
  'use strict';

  var cfg = window.printgateConfig;
  if (!cfg || !cfg.mount) {
    return;
  }
  var jobId = '';
  var saved = '';
  var mounted = null;

  function field() {
    return document.getElementById('printgate-job-id');
  }

  function showError(message) {
    var box = document.getElementById('printgate-error');
    if (box) {
      box.textContent = message || '';
      box.style.display = message ? 'block' : 'none';
    }
  }

  function save(id) {
    if (!id || id === saved || !window.fetch) {
      return;
    }
    saved = id;
    var body = new URLSearchParams();
    body.append('product_id', cfg.productId);
    body.append('job_id', id);
    body.append('token', cfg.token);
    fetch(cfg.saveUrl, { method: 'POST', credentials: 'same-origin', body: body }).catch(function () {
      saved = '';
    });
  }

  function mount() {
    var target = document.querySelector(cfg.mount.mountSelector);
    if (!target || target === mounted) {
      return;
    }
    mounted = target;
    var el = window.Printgate.mount(cfg.mount);
    if (field() && jobId) {
      field().value = jobId;
    }
    if (el && el.on) {
      el.on('status', function (e) {
        jobId = e.canProceed && e.jobId ? e.jobId : '';
        if (field()) {
          field().value = jobId;
        }
        if (jobId) {
          showError('');
          save(jobId);
        }
      });
    }
  }

  var started = Date.now();
  (function tick() {
    if (window.Printgate && window.Printgate.mount) {
      mount();
      return;
    }
    if (Date.now() - started < 10000) {
      setTimeout(tick, 50);
    } else {
      showError(cfg.messages.unavailable);
    }
  })();

  // The widget may write the hidden field itself: pick the value up from there too.
  setInterval(function () {
    var f = field();
    if (f && f.value) {
      jobId = f.value;
      save(jobId);
    } else if (f && jobId) {
      f.value = jobId;
    }
  }, 500);

  if (window.prestashop && window.prestashop.on) {
    window.prestashop.on('updatedProduct', function () {
      if (window.Printgate && window.Printgate.mount) {
        mount();
      }
    });
    window.prestashop.on('handleError', function (e) {
      if (e && e.eventType === 'addProductToCart' && e.resp && e.resp.errors) {
        showError([].concat(e.resp.errors).join(' '));
      }
    });
  }
})();
