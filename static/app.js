// reviewq's only script besides htmx. No inline script anywhere: the CSP
// allows scripts from this origin only.
(function () {
  "use strict";
  // After a row is replaced (decided), keep keyboard focus in the table
  // instead of losing it to <body>.
  document.addEventListener("htmx:afterSwap", function (ev) {
    var t = ev.detail && ev.detail.target;
    if (!t || !t.classList || !t.classList.contains("review-row")) return;
    var next = document.querySelector("tr.review-row:not(.decided) button");
    if (next && document.activeElement === document.body) next.focus();
  });
})();
