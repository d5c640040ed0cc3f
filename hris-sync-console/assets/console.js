// hris-sync console: live status and progress of a report, and "select this page".
// Loaded from the console's own origin (the Content-Security-Policy allows nothing else);
// every screen also works without it (reload by hand, server-side select all / none).
(function () {
  'use strict';

  // A report page that is fetching or syncing names its small status endpoint (the run's
  // header only). Poll it at a modest interval; when the status changes, reload the page
  // once to show the new step. While syncing, the bar follows the live count, and the
  // outcome rows (which only the page reads) are brought up to date by a reload when
  // outcomes were recorded since the page was drawn: at most once per data-reload-ms.
  var live = document.querySelector('[data-status-url]');
  if (live) {
    var url = live.getAttribute('data-status-url');
    var shown = live.getAttribute('data-status');
    var interval = parseInt(live.getAttribute('data-poll-ms'), 10) || 1500;
    var reloadAfter = parseInt(live.getAttribute('data-reload-ms'), 10) || interval * 4;
    var drawnDone = parseInt(live.getAttribute('data-done'), 10) || 0;
    var drawnRenewed = live.getAttribute('data-renewed') || '';
    var drawnAt = Date.now();
    var bar = document.getElementById('progress');
    var text = document.getElementById('progress-text');
    var poll = function () {
      fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } })
        .then(function (response) {
          if (!response.ok) { throw new Error('status ' + response.status); }
          return response.json();
        })
        .then(function (state) {
          if (state.status !== shown) { window.location.reload(); return; }
          // This process applies the run: its live count. Another process does: the
          // lease's renewal is the only sign of progress the header carries.
          var stale = state.progress
            ? state.progress.done !== drawnDone
            : (state.renewed || '') !== drawnRenewed;
          if (stale && Date.now() - drawnAt >= reloadAfter) { window.location.reload(); return; }
          if (state.progress && bar) {
            bar.max = state.progress.total;
            bar.value = state.progress.done;
            text.textContent = state.progress.done + ' / ' + state.progress.total;
          }
          window.setTimeout(poll, interval);
        })
        .catch(function () { window.setTimeout(poll, interval * 4); });
    };
    window.setTimeout(poll, interval);
  }

  // The selection: the count includes this page's ticks not yet sent, and the header
  // check box ticks or clears the rows of this page. The server keeps the selection; the
  // page's ticks reach it with whichever button is pressed next.
  var boxes = document.querySelectorAll('input[name="sel"]');
  var count = document.getElementById('selected-count');
  var recount = function () {
    if (!count) { return; }
    var saved = parseInt(count.getAttribute('data-selected'), 10) || 0;
    var delta = 0;
    for (var i = 0; i < boxes.length; i++) {
      if (boxes[i].checked !== boxes[i].defaultChecked) { delta += boxes[i].checked ? 1 : -1; }
    }
    count.textContent = count.getAttribute('data-label') + ': ' + (saved + delta);
  };
  for (var i = 0; i < boxes.length; i++) { boxes[i].addEventListener('change', recount); }
  var page = document.getElementById('select-page');
  if (page) {
    page.hidden = false;
    page.parentElement.hidden = false;
    page.addEventListener('change', function () {
      for (var i = 0; i < boxes.length; i++) { boxes[i].checked = page.checked; }
      recount();
    });
  }
})();
