// The upload page. A file over the installation's limit is refused here, before a byte is sent,
// with the same words the server would use (the server refuses it too; this spares the wait).
// Files chosen or dropped are sent one request each, with a byte progress bar per file and the
// button disabled while sending; each becomes its own preview. One file opens its preview; several
// are listed with a link to each. Without this script the form posts every file at once.
document.addEventListener("DOMContentLoaded", () => {
  for (const form of document.querySelectorAll("form[data-max-bytes]")) {
    setUp(form);
  }
});

function setUp(form) {
  const limit = Number(form.dataset.maxBytes);
  const message = document.querySelector("[data-upload-error]");
  const input = form.querySelector("input[type=file]");
  const button = form.querySelector("[data-upload-button]");
  const list = document.querySelector("[data-upload-list]");
  const rowTemplate = document.querySelector("template[data-upload-row]");
  const zone = form.querySelector("[data-dropzone]");
  const csrf = form.querySelector("input[name=csrfmiddlewaretoken]");
  let dropped = null;

  const say = (text) => {
    if (!message) return;
    message.textContent = text;
    message.hidden = !text;
  };
  const chosen = () => Array.from(dropped || input.files || []);
  const check = () => {
    const tooBig = chosen().some((file) => file.size > limit);
    say(tooBig ? form.dataset.tooLarge : "");
    return !tooBig;
  };

  input.addEventListener("change", () => {
    dropped = null;
    check();
  });
  if (zone) {
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      zone.classList.add("dropzone-over");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("dropzone-over"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("dropzone-over");
      dropped = Array.from(event.dataTransfer.files || []);
      if (check() && dropped.length) send(dropped);
    });
  }
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!check()) return;
    const files = chosen();
    if (!files.length) {
      say("Choose a file to upload.");
      return;
    }
    send(files);
  });

  async function send(files) {
    button.disabled = true;
    input.disabled = true;
    button.textContent = files.length === 1 ? "Sending the file…" : `Sending ${files.length} files…`;
    list.hidden = false;
    list.replaceChildren();
    const rows = files.map((file) => addRow(file));
    const done = [];
    for (let i = 0; i < files.length; i += 1) {
      done.push(await sendOne(files[i], rows[i]));
    }
    const sent = done.filter(Boolean);
    if (files.length === 1 && sent.length === 1) {
      window.location.assign(sent[0].url);
      return;
    }
    button.disabled = false;
    input.disabled = false;
    button.textContent = "Preview the file";
    dropped = null;
    form.reset();
  }

  function addRow(file) {
    const row = rowTemplate.content.firstElementChild.cloneNode(true);
    row.querySelector(".upload-name").textContent = file.name;
    list.append(row);
    return row;
  }

  function sendOne(file, row) {
    const bar = row.querySelector("progress");
    const state = row.querySelector(".upload-state");
    return new Promise((resolve) => {
      const body = new FormData();
      body.append("csrfmiddlewaretoken", csrf ? csrf.value : "");
      body.append("artifact", file, file.name);
      const xhr = new XMLHttpRequest();
      xhr.open("POST", form.action || window.location.href);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", (event) => {
        if (!event.lengthComputable) return;
        bar.value = Math.round((event.loaded / event.total) * 100);
        state.textContent = `Sending: ${formatBytes(event.loaded)} of ${formatBytes(event.total)}`;
      });
      xhr.upload.addEventListener("load", () => {
        bar.value = 100;
        state.textContent = "Sent. Reading the file…";
      });
      xhr.addEventListener("load", () => {
        let answer = null;
        try {
          answer = JSON.parse(xhr.responseText);
        } catch (error) {
          answer = null;
        }
        if (xhr.status >= 400 || !answer || !answer.url) {
          state.textContent = "This file could not be sent. Try it again.";
          resolve(null);
          return;
        }
        bar.value = 100;
        state.textContent = answer.sentence;
        const link = document.createElement("a");
        link.href = answer.url;
        link.textContent = answer.reading ? "See the preview as it is read" : "See the preview";
        row.append(link);
        resolve(answer);
      });
      xhr.addEventListener("error", () => {
        state.textContent = "The upload stopped: check the connection and try again.";
        resolve(null);
      });
      xhr.send(body);
    });
  }
}

function formatBytes(n) {
  const units = [["GB", 1024 ** 3], ["MB", 1024 ** 2], ["KB", 1024]];
  for (const [unit, step] of units) {
    if (n >= step) return `${(n / step).toFixed(1)} ${unit}`;
  }
  return `${n} bytes`;
}
