// A button that asks the kernel for a file and saves it.
//
// The kernel builds the file only when asked and sends it once, as the binary buffer of a
// widget message ({type: "file", filename, mimetype} + one buffer); the browser wraps it in
// a Blob and saves it through a temporary object URL. Nothing is fetched from anywhere, and
// a multi-MB file never sits in the page as a data: address.

function render({ model, el }) {
  el.classList.add("ctg-file-download");
  const button = h("button", { type: "button", className: "ctg-button ctg-download-button" });
  const status = h("span", { className: "ctg-help ctg-download-status",
                             attrs: { role: "status" } });
  const help = h("p", { className: "ctg-help" });
  el.append(button, " ", status, help);

  const refresh = () => {
    button.textContent = model.get("label") || "Download";
    help.textContent = model.get("help") || "";
  };
  refresh();
  model.on("change:label", refresh);
  model.on("change:help", refresh);

  button.addEventListener("click", () => {
    button.disabled = true;
    status.textContent = "Preparing the file…";
    model.send({ type: "request" });
  });

  const onMessage = (message, buffers) => {
    if (!message || (message.type !== "file" && message.type !== "failed")) { return; }
    button.disabled = false;
    if (message.type === "failed" || !buffers || !buffers.length) {
      status.textContent = "The file could not be prepared; see the message on this page.";
      return;
    }
    const blob = new Blob([buffers[0]], { type: message.mimetype || "application/octet-stream" });
    const url = URL.createObjectURL(blob);
    const link = h("a", { href: url,
                          download: message.filename || model.get("filename") || "download" });
    link.style.display = "none";
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    const size = blob.size < 1e6 ? `${Math.max(1, Math.round(blob.size / 1e3))} kB`
      : `${(blob.size / 1e6).toFixed(1)} MB`;
    status.textContent = `Saved ${link.download} (${size}).`;
  };
  model.on("msg:custom", onMessage);
  return () => model.off("msg:custom", onMessage);
}

export default { render };
