// Keyboard shortcuts for stewards. Any element with data-shortcut="<key>" is clicked when that key
// is pressed outside a text field. No framework, no network.
(function () {
  "use strict";
  function typing(el) {
    return el && (el.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName));
  }
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) { return; }
    if (typing(document.activeElement)) {
      if (ev.key === "Escape") { document.activeElement.blur(); }
      return;
    }
    if (ev.key === "?") {
      var help = document.getElementById("shortcuts-help");
      if (help) { help.hidden = !help.hidden; }
      ev.preventDefault();
      return;
    }
    if (ev.key === "/") {
      var q = document.getElementById("q");
      if (q) { q.focus(); } else { window.location.href = "/customers"; }
      ev.preventDefault();
      return;
    }
    if (ev.key === "c") {
      var comment = document.getElementById("comment");
      if (comment) { comment.focus(); ev.preventDefault(); }
      return;
    }
    var target = document.querySelector('[data-shortcut="' + ev.key + '"]');
    if (target) {
      ev.preventDefault();
      target.click();
    }
  });
})();
