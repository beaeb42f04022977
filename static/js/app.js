/* Loaded with <script src="..." defer>; no inline scripts (CSP). */
(function () {
  "use strict";

  // (a) <form data-confirm="message">: ask before submitting, cancel if declined.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-confirm")) return;
    if (!window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // (c) <button data-print>: print the page (the print stylesheet hides the navigation and buttons).
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (target) window.print();
  });

  // (b) [data-autofocus]: focus the first such element.
  function autofocus() {
    var el = document.querySelector("[data-autofocus]");
    if (el && typeof el.focus === "function") el.focus();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", autofocus);
  } else {
    autofocus();
  }
})();
