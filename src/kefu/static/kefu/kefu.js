/* Kefu's keyboard habits (UI.md): "/" focuses the search box, Esc closes a drawer or menu.
   Loaded as a file: the Content-Security-Policy allows no inline script. */
(function () {
  "use strict";

  function isTyping(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  function closeDrawers() {
    var closed = false;
    document.querySelectorAll("[data-kf-drawer].is-open").forEach(function (drawer) {
      drawer.classList.remove("is-open");
      drawer.setAttribute("aria-hidden", "true");
      closed = true;
    });
    document.querySelectorAll("details[open][data-kf-menu]").forEach(function (menu) {
      menu.removeAttribute("open");
      var summary = menu.querySelector("summary");
      if (summary) summary.focus();
      closed = true;
    });
    return closed;
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "/" && !event.ctrlKey && !event.metaKey && !event.altKey && !isTyping(event.target)) {
      var search = document.querySelector("[data-kf-search]");
      if (search) {
        event.preventDefault();
        search.focus();
        search.select();
      }
    } else if (event.key === "Escape") {
      if (closeDrawers()) event.preventDefault();
    }
  });

  // A click outside an open menu closes it, as menus do.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details[open][data-kf-menu]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });

  // A refusal (a 4xx whose body says why, core/web.py) is shown where the answer was going;
  // htmx would otherwise drop any 4xx answer and the click would seem to do nothing.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var xhr = event.detail.xhr;
    if (xhr.status >= 400 && xhr.status < 500 && xhr.getResponseHeader("X-Kefu-Refusal")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // Without JS the category select needs its "show models" button; with htmx it filters live.
  document.querySelectorAll("[data-kf-nojs]").forEach(function (el) {
    el.hidden = true;
  });
})();
