// Small behaviours the pages need; no inline scripts (CSP: script-src 'self').
(function () {
  "use strict";

  // The page may show what needs JavaScript (app.css: .js-only, [data-copy]).
  document.documentElement.classList.add("js");

  function showMessage(text, category) {
    var region = document.getElementById("flash");
    if (!region) return;
    var p = document.createElement("p");
    p.className = "flash flash-" + (category || "error");
    p.textContent = text;
    region.replaceChildren(p);
  }

  // 5xx and network failures are not swapped (see htmx-config in base.html).
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr && event.detail.xhr.status >= 500) {
      showMessage("Something went wrong on our side. Please try again.");
    }
  });
  document.addEventListener("htmx:sendError", function () {
    showMessage("You appear to be offline. Check your connection and try again.");
  });

  // <button data-copy="#id">: copy the text of an input or element to the clipboard.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.value !== undefined ? source.value : source.textContent;
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () {
        showMessage("Copied to the clipboard.", "info");
      });
    } else if (source.select) {
      source.select();
      document.execCommand("copy");
      showMessage("Copied to the clipboard.", "info");
    }
  });

  // Portal tabs swap only the panel; keep the tab strip's current marker in step.
  document.addEventListener("click", function (event) {
    var tab = event.target.closest("[data-tab]");
    if (!tab) return;
    document.querySelectorAll("[data-tab]").forEach(function (other) {
      other.removeAttribute("aria-current");
    });
    tab.setAttribute("aria-current", "page");
  });

  // [data-poll]: refresh every 10 s while the page is visible (htmx "poll" event), and at
  // once when the tab becomes visible again. Hidden tabs cost the server nothing, and an
  // unchanged fragment costs little: each poll sends the ETag of the copy shown
  // (data-etag) and gets 304 with no body until something changed
  // (fieldportal/live_updates.py).
  function poll() {
    if (document.visibilityState !== "visible" || !window.htmx) return;
    document.querySelectorAll("[data-poll]").forEach(function (element) {
      window.htmx.trigger(element, "poll");
    });
  }
  var shownTags = {}; // id of a polled element -> ETag of the copy on the page
  document.addEventListener("htmx:beforeSwap", function (event) {
    var element = event.detail.elt;
    var tag = event.detail.xhr && event.detail.xhr.getResponseHeader("ETag");
    if (tag && element.id && element.hasAttribute("data-poll")) shownTags[element.id] = tag;
  });
  document.addEventListener("htmx:configRequest", function (event) {
    var element = event.detail.elt;
    if (!element.hasAttribute("data-poll")) return;
    var tag = shownTags[element.id] || element.getAttribute("data-etag");
    if (tag) event.detail.headers["If-None-Match"] = tag;
  });
  setInterval(poll, 10000);
  document.addEventListener("visibilitychange", poll);

  // <form data-confirm="Are you sure?">: ask before a plain destructive POST
  // (htmx forms use hx-confirm instead).
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute && event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);
})();
