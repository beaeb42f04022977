/* Loaded with <script src="..." defer>; no inline scripts (CSP). No library: each part works on its own. */
(function () {
  "use strict";

  var body = document.body;
  function text(name, values) {
    var template = body.getAttribute("data-i18n-" + name) || "";
    return template.replace(/\{(\w+)\}/g, function (_, key) { return values[key]; });
  }

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

  // (c) table.table-cards: each cell carries its column's name, shown above it when a phone stacks rows as cards.
  function labelCells() {
    document.querySelectorAll("table.table-cards").forEach(function (table) {
      var names = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      table.querySelectorAll("tbody tr").forEach(function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.children, function (cell) {
          if (!cell.hasAttribute("data-label") && names[column]) cell.setAttribute("data-label", names[column]);
          column += cell.colSpan || 1;
        });
      });
    });
  }

  // A message under a field, tied to it by aria-describedby.
  function fieldMessage(input, kind) {
    var id = input.id + "-" + kind;
    var box = document.getElementById(id);
    if (!box) {
      box = document.createElement("div");
      box.id = id;
      box.className = kind === "count" ? "form-text char-count" : "invalid-feedback d-block";
      input.insertAdjacentElement("afterend", box);
      var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      if (described.indexOf(id) < 0) described.push(id);
      input.setAttribute("aria-describedby", described.join(" "));
    }
    return box;
  }

  // (d) [data-maxlength]: a character counter; text beyond the limit is flagged and the form is not sent (the server
  // refuses it too). No maxlength attribute: it would cut pasted text silently.
  function counted(input) {
    var limit = parseInt(input.getAttribute("data-maxlength"), 10);
    var count = input.value.length;
    var box = input.id ? fieldMessage(input, "count") : null;
    var over = count > limit;
    var quiet = input.tagName !== "TEXTAREA" && count < limit * 0.8 && !over;
    if (box) {
      box.hidden = quiet;
      box.textContent = over ? text("over", {over: (count - limit).toLocaleString()})
                             : text("count", {n: count.toLocaleString(), max: limit.toLocaleString()});
      box.classList.toggle("text-danger", over);
      box.classList.toggle("fw-semibold", over);
    }
    if (over) {
      input.classList.add("is-invalid");
      input.setAttribute("aria-invalid", "true");
      input.setAttribute("data-too-long", "");
    } else if (input.hasAttribute("data-too-long")) {  // only undo what the counter did, not the server's errors
      input.classList.remove("is-invalid");
      input.removeAttribute("aria-invalid");
      input.removeAttribute("data-too-long");
    }
    return !over;
  }
  document.addEventListener("input", function (event) {
    if (event.target.matches && event.target.matches("[data-maxlength]")) counted(event.target);
  });

  // (e) input[type=file][data-max-bytes]: the size and the type are checked before anything is uploaded.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!(input instanceof HTMLInputElement) || input.type !== "file" || !input.hasAttribute("data-max-bytes")) return;
    var file = input.files && input.files[0];
    var problem = "";
    if (file) {
      var allowed = (input.getAttribute("accept") || "").split(",").map(function (s) { return s.trim().toLowerCase(); })
        .filter(Boolean);
      var name = file.name.toLowerCase();
      if (allowed.length && !allowed.some(function (ext) { return name.slice(-ext.length) === ext; })) {
        problem = text("wrong-type", {types: input.getAttribute("data-types") || allowed.join(", ")});
      } else if (file.size > parseInt(input.getAttribute("data-max-bytes"), 10)) {
        problem = text("too-big", {max: input.getAttribute("data-max-label") || ""});
      }
    }
    var box = fieldMessage(input, "client-error");
    box.textContent = problem;
    box.hidden = !problem;
    input.classList.toggle("is-invalid", !!problem);
    if (problem) {
      input.value = "";
      input.setAttribute("aria-invalid", "true");
      input.focus();
    } else {
      input.removeAttribute("aria-invalid");
    }
  });

  // (f) On submit: refuse over-long text; remember what was typed (a 413 page can bring it back); disable the
  // submit buttons while sending, so a double click does not send twice.
  var KEEP = "clinic.keep:";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return;
    var tooLong = Array.prototype.filter.call(form.querySelectorAll("[data-maxlength]"), function (el) {
      return !counted(el);
    });
    if (tooLong.length) {
      event.preventDefault();
      tooLong[0].focus();
      return;
    }
    if (form.hasAttribute("data-keep-typing")) {
      var values = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.type === "file" || el.type === "hidden" || el.type === "submit" || el.type === "password") return;
        values[el.name] = (el.type === "checkbox" || el.type === "radio") ? el.checked : el.value;
      });
      try { window.sessionStorage.setItem(KEEP + location.pathname, JSON.stringify(values)); } catch (e) { /* private mode */ }
    }
    var buttons = form.querySelectorAll("button[type=submit], input[type=submit]");
    window.setTimeout(function () {  // after the browser has taken the submitter's name and value
      buttons.forEach(function (button) {
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
        if (button.tagName === "BUTTON" && !button.hasAttribute("data-label")) {
          button.setAttribute("data-label", button.textContent);
          button.textContent = text("sending", {});
        }
      });
    }, 0);
  });
  window.addEventListener("pageshow", function () {  // back to a page whose form was sent: usable again
    document.querySelectorAll("[aria-busy=true]").forEach(function (button) {
      button.disabled = false;
      button.removeAttribute("aria-busy");
      if (button.hasAttribute("data-label")) {
        button.textContent = button.getAttribute("data-label");
        button.removeAttribute("data-label");
      }
    });
  });

  // (g) The 413 page's way back to the form: the form comes back with what was typed.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-restore-form]");
    if (!link) return;
    try { window.sessionStorage.setItem("clinic.restore", link.getAttribute("data-restore-form")); } catch (e) { /* */ }
  });
  function restoreTyping() {
    var form = document.querySelector("form[data-keep-typing]");
    var wanted;
    try { wanted = window.sessionStorage.getItem("clinic.restore"); } catch (e) { return; }
    if (!form || wanted !== location.pathname) return;
    var saved = JSON.parse(window.sessionStorage.getItem(KEEP + location.pathname) || "{}");
    window.sessionStorage.removeItem("clinic.restore");
    Object.keys(saved).forEach(function (name) {
      var el = form.elements.namedItem(name);
      if (!el || el instanceof RadioNodeList) return;
      if (el.type === "checkbox") el.checked = saved[name]; else el.value = saved[name];
    });
  }

  function ready() {
    autofocus();
    labelCells();
    restoreTyping();
    document.querySelectorAll("[data-maxlength]").forEach(counted);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", ready);
  } else {
    ready();
  }
})();
