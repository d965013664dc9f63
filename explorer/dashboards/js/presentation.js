// The guided presentation's bar: "Step N of M: caption", previous/next buttons, the keyboard
// (PageDown/PageUp as presentation clickers send, and the right/left arrows when focus is not
// in a form field), and the "Join this session" panel with the page's address as large text
// and as a QR code the kernel makes. The bar is shown only in presentation mode (CSS hides it
// otherwise) and the keys act only then.
//
// Python sets `captions`, `step` (0 = the view is not a step), `last`, `notice`, `view` and
// `qr` ({href, src}); this module sends {type: "go", step} and {type: "qr", href}. Text is
// set with textContent; the QR image's source is the kernel's SVG data address.

const FORM_FIELDS = "input, textarea, select, [contenteditable=''], [contenteditable='true']";
const LOCAL_HOSTS = /^(localhost|127(\.\d+){3}|\[::1\]|0\.0\.0\.0)$/;

function render({ model, el }) {
  el.classList.add("ctg-presenter");
  const bar = document.createElement("nav");
  bar.className = "ctg-steps";
  bar.setAttribute("aria-label", "Guided presentation");
  const previous = document.createElement("button");
  previous.type = "button";
  previous.className = "ctg-step-previous";
  previous.textContent = "← Previous step";
  const caption = document.createElement("p");
  caption.className = "ctg-step-caption";
  caption.setAttribute("role", "status");
  caption.setAttribute("aria-live", "polite");
  const next = document.createElement("button");
  next.type = "button";
  next.className = "ctg-step-next";
  next.textContent = "Next step →";
  const join = document.createElement("button");
  join.type = "button";
  join.className = "ctg-join-button";
  join.textContent = "Join this session";
  join.setAttribute("aria-haspopup", "dialog");
  const keys = document.createElement("p");
  keys.className = "ctg-step-keys";
  keys.textContent = "Keys: Page Down or → for the next step, Page Up or ← for the previous " +
    "one (when you are not typing in a field).";
  bar.append(previous, caption, next, join, keys);

  const dialog = document.createElement("dialog");
  dialog.className = "ctg-join";
  dialog.setAttribute("aria-labelledby", "ctg-join-title");
  const heading = document.createElement("h2");
  heading.id = "ctg-join-title";
  heading.textContent = "Join this session";
  const body = document.createElement("div");
  body.className = "ctg-join-body";
  // The code's image exists only once the kernel has made a code (no empty <img> before).
  let image = null;
  const text = document.createElement("div");
  text.className = "ctg-join-text";
  const lead = document.createElement("p");
  lead.textContent = "On your laptop or phone, open this address, or scan the code:";
  const address = document.createElement("p");
  address.className = "ctg-join-address";
  const status = document.createElement("p");
  status.className = "ctg-join-status ctg-help";
  status.setAttribute("role", "status");
  const local = document.createElement("p");
  local.className = "ctg-join-local";
  local.hidden = true;
  local.textContent = "This address names this computer itself, so other devices cannot " +
    "open it. Serve the explorer on an address the room's network can reach, then open it " +
    "from there.";
  const close = document.createElement("button");
  close.type = "button";
  close.className = "ctg-join-close";
  close.textContent = "Close";
  text.append(lead, address, local, status, close);
  body.append(text);
  dialog.append(heading, body);
  // The panel joins the page only while it is open, so a page's own headings, images and
  // notes are all that the page holds otherwise.
  el.append(bar);

  const total = () => (model.get("captions") || []).length;
  const presenting = () => {
    const root = el.closest(".ctg-root");
    return Boolean(root && root.classList.contains("ctg-present"));
  };
  const targets = () => {
    const step = model.get("step");
    const last = model.get("last");
    if (step) { return [step - 1, step + 1]; }
    return [last || 0, last ? last + 1 : 1];
  };
  const go = (number) => {
    if (number >= 1 && number <= total()) { model.send({ type: "go", step: number }); }
  };

  const draw = () => {
    const captions = model.get("captions") || [];
    const step = model.get("step");
    const last = model.get("last");
    const notice = model.get("notice");
    let line;
    if (step) {
      line = `Step ${step} of ${captions.length}: ${captions[step - 1]}`;
    } else if (last) {
      line = `Guided presentation: this view is not one of the ${captions.length} steps ` +
        `(the last step shown was ${last}).`;
    } else {
      line = `Guided presentation in ${captions.length} steps. Next step starts it.`;
    }
    caption.textContent = notice ? `${notice} ${line}` : line;
    const [back, forward] = targets();
    previous.disabled = !(back >= 1 && back <= captions.length);
    next.disabled = !(forward >= 1 && forward <= captions.length);
  };

  const requestCode = () => {
    address.textContent = window.location.href;
    local.hidden = !LOCAL_HOSTS.test(window.location.hostname);
    status.textContent = "Making the code…";
    if (image && image.alt !== window.location.href) { image.hidden = true; }
    model.send({ type: "qr", href: window.location.href });
  };

  const drawCode = () => {
    const qr = model.get("qr") || {};
    if (qr.src && qr.href === window.location.href) {
      if (!image) {
        image = document.createElement("img");
        image.className = "ctg-join-code";
        body.prepend(image);
      }
      image.src = qr.src;
      image.alt = qr.href;
      image.hidden = false;
      status.textContent = "";
    } else if (qr.href === "" && "src" in qr) {
      if (image) { image.hidden = true; }
      status.textContent = "A code could not be made for this address; type it instead.";
    }
  };

  previous.addEventListener("click", () => go(targets()[0]));
  next.addEventListener("click", () => go(targets()[1]));
  join.addEventListener("click", () => {
    if (!dialog.isConnected) { el.append(dialog); }
    if (!dialog.open) { dialog.showModal(); }
    requestCode();
    close.focus();
  });
  close.addEventListener("click", () => dialog.close());
  dialog.addEventListener("close", () => { dialog.remove(); join.focus(); });

  const onKey = (event) => {
    if (!presenting() || dialog.open || event.defaultPrevented || event.altKey ||
        event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    const target = event.target;
    if (target && target.closest && target.closest(FORM_FIELDS)) { return; }
    const forward = event.key === "PageDown" || event.key === "ArrowRight";
    const backward = event.key === "PageUp" || event.key === "ArrowLeft";
    if (!forward && !backward) { return; }
    const [back, ahead] = targets();
    const number = forward ? ahead : back;
    event.preventDefault();
    go(number);
  };

  model.on("change:captions", draw);
  model.on("change:step", draw);
  model.on("change:last", draw);
  model.on("change:notice", draw);
  model.on("change:view", () => {
    // The address bar follows the view in the same round of messages; read it after that.
    if (dialog.open) { window.setTimeout(requestCode, 0); }
  });
  model.on("change:qr", drawCode);
  document.addEventListener("keydown", onKey);
  draw();
  return () => { document.removeEventListener("keydown", onKey); };
}

export default { render };
