// The upload page: a file over the installation's limit is refused here, before a byte is sent,
// with the same words the server would use. (The server refuses it too; this spares the wait.)
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-max-bytes]")) {
    const limit = Number(form.dataset.maxBytes);
    const message = document.querySelector("[data-upload-error]");
    const input = form.querySelector("input[type=file]");
    const check = () => {
      const tooBig = Array.from(input.files || []).some((file) => file.size > limit);
      if (message) {
        message.textContent = tooBig ? form.dataset.tooLarge : "";
        message.hidden = !tooBig;
      }
      return !tooBig;
    };
    input.addEventListener("change", check);
    form.addEventListener("submit", (event) => {
      if (!check()) event.preventDefault();
    });
  }
});
