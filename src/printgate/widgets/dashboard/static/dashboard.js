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
