// Deployment pages: narrow the component versions to the chosen service, and take a suggested free window.
document.addEventListener("DOMContentLoaded", () => {
  const service = document.querySelector("select[name=service]");
  const versions = document.querySelector("select[name=component_versions]");
  if (service && versions) {
    const narrow = () => {
      Array.from(versions.options).forEach((option) => {
        const other = service.value && option.dataset.service && option.dataset.service !== service.value;
        option.hidden = Boolean(other);
        if (other) option.selected = false;
      });
    };
    service.addEventListener("change", narrow);
    narrow();
  }
  document.querySelectorAll("[data-use-slot]").forEach((button) => {
    button.addEventListener("click", () => {
      const start = document.querySelector("input[name=planned_start]");
      const end = document.querySelector("input[name=planned_end]");
      if (start && end) {
        start.value = button.dataset.start;
        end.value = button.dataset.end;
        start.focus();
      }
    });
  });
});
