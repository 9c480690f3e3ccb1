// Environments pages: show only the recurrence fields the chosen rule needs; confirm deletions.
(function () {
  "use strict";
  function syncRule(select) {
    var rule = select.value;
    document.querySelectorAll(".rule-fields").forEach(function (group) {
      group.hidden = group.getAttribute("data-rule") !== rule;
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.querySelector("select[data-recurrence]");
    if (select) {
      syncRule(select);
      select.addEventListener("change", function () { syncRule(select); });
    }
    document.querySelectorAll(".js-confirm").forEach(function (button) {
      button.addEventListener("click", function (event) {
        if (!window.confirm(button.getAttribute("data-confirm") || "Are you sure?")) {
          event.preventDefault();
        }
      });
    });
  });
})();
