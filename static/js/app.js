// Deploydesk's small page behaviours, loaded from static so the CSP can forbid inline script.
document.addEventListener("DOMContentLoaded", () => {
  // Confirm destructive actions: <form data-confirm="Are you sure?">
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
  // Auto-submit filter selects: <select data-autosubmit>
  document.querySelectorAll("[data-autosubmit]").forEach((el) => {
    el.addEventListener("change", () => el.form && el.form.submit());
  });
});
