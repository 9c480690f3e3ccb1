// Records pages: background-export progress polling and the print button (static, so the CSP can forbid inline script).
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-print]").forEach((button) => {
    button.addEventListener("click", () => window.print());
  });

  const job = document.querySelector("[data-export-job]");
  if (!job) return;
  const url = job.dataset.statusUrl;
  const show = (selector, visible) => {
    const el = job.querySelector(selector);
    if (el) el.classList.toggle("d-none", !visible);
  };
  const labels = { pending: "Waiting", running: "Running", done: "Ready", failed: "Failed" };
  const poll = () => {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((response) => (response.ok ? response.json() : Promise.reject(response.status)))
      .then((data) => {
        job.querySelector("[data-export-status]").textContent = labels[data.status] || data.status;
        job.querySelector("[data-export-done]").textContent = data.done;
        job.querySelector("[data-export-total]").textContent = data.total;
        const bar = job.querySelector("[data-export-progress]");
        bar.value = data.percent;
        bar.textContent = `${data.percent}%`;
        if (data.status === "done") {
          show("[data-export-download]", true);
        } else if (data.status === "failed") {
          const error = job.querySelector("[data-export-error]");
          error.textContent = data.error || "The export failed.";
          show("[data-export-error]", true);
        } else {
          window.setTimeout(poll, 1500);
        }
      })
      .catch(() => window.setTimeout(poll, 5000));
  };
  poll();
});
