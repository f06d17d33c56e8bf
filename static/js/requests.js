// Service-request inbox: after a row is swapped in place, keep keyboard focus on it.
(function () {
  "use strict";
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target || !target.id || target.id.indexOf("request-") !== 0) return;
    var row = document.getElementById(target.id);
    if (!row) return;
    var focusable = row.querySelector("[aria-invalid='true'], .request-outcome, [role='alert']");
    if (!focusable) return;
    if (!focusable.matches("input, select, textarea")) focusable.setAttribute("tabindex", "-1");
    focusable.focus();
  });
})();
