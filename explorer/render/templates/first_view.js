// A live page's first view hands over to the live widgets (explorer.serve.first_view).
//
// The page opens with its view drawn on the server (#ctg-first-view) and Voila's live page
// after it (#rendered_cells), which the explorer's Voila template keeps laid out but
// invisible (.ctg-live-waiting: hidden from screen readers too). Once the widgets have drawn
// the same view (the navigation bar, the page's heading and, where the view has one, the
// grid), the first view is removed and the live view shown in the same frame: nothing is
// read twice and nothing moves. Until then the status line says the controls are starting;
// if the page ends without a live view (its kernel never came), or the live view is still
// missing a minute after the page ended, the reader is told so and offered the read-only
// page and a reload, and the first view stays.
(function () {
  "use strict";
  var first = document.getElementById("ctg-first-view");
  if (!first || !window.MutationObserver) { return; }
  var page = first.getAttribute("data-page");
  var status = first.querySelector(".ctg-first-status");
  var fallback = first.querySelector(".ctg-first-fallback");
  var wantsGrid = Boolean(first.querySelector(".ctg-first-grid"));
  var heading = first.querySelector(".ctg-first-page h1, .ctg-first-page h2");
  var headingText = heading ? heading.textContent.trim() : "";
  var GIVE_UP_MS = 60000;
  var done = false;
  var queued = false;

  function liveCells() {
    var cells = document.getElementById("rendered_cells");
    var root = cells && cells.querySelector(".ctg-root");
    if (!root) { return null; }
    if (root.querySelector(".ctg-error")) { return cells; }
    var view = root.querySelector(".ctg-page-" + page);
    if (!view || !root.querySelector(".ctg-navigation .ctg-nav a")) { return null; }
    if (wantsGrid && !view.querySelector(".ctg-grid-table")) { return null; }
    if (headingText && view.textContent.indexOf(headingText) < 0) { return null; }
    return cells;
  }

  function handOver(cells) {
    done = true;
    observer.disconnect();
    var scrolled = window.scrollY;
    first.remove();
    cells.classList.remove("ctg-live-waiting");
    document.documentElement.classList.remove("ctg-first-showing");
    window.scrollTo(0, scrolled);
  }

  function check() {
    queued = false;
    if (done) { return; }
    var cells = liveCells();
    if (cells) { handOver(cells); }
  }

  var observer = new MutationObserver(function () {
    if (!queued) { queued = true; window.requestAnimationFrame(check); }
  });
  observer.observe(document.documentElement, { childList: true, subtree: true });
  document.documentElement.classList.add("ctg-first-showing");

  function giveUp() {
    if (done) { return; }
    if (status) { status.hidden = true; }
    if (fallback) { fallback.hidden = false; }
  }

  window.addEventListener("load", function () {
    if (done) { return; }
    if (!document.getElementById("rendered_cells")) { giveUp(); return; }
    window.setTimeout(giveUp, GIVE_UP_MS);
  });

  // The first view's controls cannot act before the kernel: say so where the reader looks.
  first.addEventListener("click", function (event) {
    var control = event.target.closest && event.target.closest("button, select");
    if (control && status && !status.hidden) {
      status.textContent = "The controls are still starting: choose again in a moment.";
    }
  });
})();
