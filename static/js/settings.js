// Settings: offer the browser's own time zone as a one-click suggestion when it differs.
document.addEventListener("DOMContentLoaded", () => {
  const button = document.querySelector("[data-browser-zone]");
  const input = document.getElementById("id_time_zone");
  if (!button || !input) return;
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const known = Array.from(document.querySelectorAll("#zone-list option")).some((o) => o.value === zone);
  if (!zone || !known || zone === input.value) return;
  button.querySelector("span").textContent = zone;
  button.hidden = false;
  button.addEventListener("click", () => {
    input.value = zone;
    input.form.requestSubmit();
  });
});
