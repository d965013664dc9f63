// The guided presentation's bar: "Step N of M: caption", previous/next buttons, the keyboard
// (PageDown/PageUp as presentation clickers send, and the right/left arrows when focus is not
// in a form field), and the "Join this session" panel with the page's address as large text
// and as a QR code the kernel makes, both of the view without the presenter's own state
// (presentation mode and step), so a participant's phone opens the plain page. The bar is shown only in presentation mode (CSS hides it
// otherwise) and the keys act only then.
//
// Python sets `captions`, `step` (0 = the view is not a step), `last`, `notice`, `view` and
// `qr` ({href, src}); this module sends {type: "go", step} and {type: "qr", href}. Text is
// set with textContent; the QR image's source is the kernel's SVG data address.

const FORM_FIELDS = "input, textarea, select, [contenteditable=''], [contenteditable='true']";
const LOCAL_HOSTS = /^(localhost|127(\.\d+){3}|\[::1\]|0\.0\.0\.0)$/;
// What the presenter's own address carries that a participant must not get: presentation
// mode and its step (a phone opened on it would show the presenter's buttons), and an old
// address's room key (the explorer no longer puts one there, and would ignore it).
const PRESENTER_ONLY = ["present", "step", "room"];

// The name of one `name=value` part of a query string ("" if it cannot be decoded).
function parameterName(part) {
  try {
    return decodeURIComponent(part.split("=")[0].replace(/\+/g, " "));
  } catch (error) {
    return "";
  }
}

// The address a participant should open: this view, without the presenter's state. The
// other parts stay exactly as written (URLSearchParams would rewrite "a,b" as "a%2Cb", and
// a short, readable address is what a room types from the screen).
function joinHref() {
  const url = new URL(window.location.href);
  const kept = url.search.slice(1).split("&")
    .filter((part) => part && !PRESENTER_ONLY.includes(parameterName(part)));
  url.search = kept.length ? `?${kept.join("&")}` : "";
  url.hash = "";
  return url.href;
}

function render({ model, el }) {
  el.classList.add("ctg-presenter");
  const previous = h("button", { type: "button", className: "ctg-step-previous",
                                 text: "← Previous step" });
  const caption = h("p", { className: "ctg-step-caption",
                           attrs: { role: "status", "aria-live": "polite" } });
  const next = h("button", { type: "button", className: "ctg-step-next", text: "Next step →" });
  const join = h("button", { type: "button", className: "ctg-join-button",
                             text: "Join this session", attrs: { "aria-haspopup": "dialog" } });
  const bar = h("nav", { className: "ctg-steps",
                         attrs: { "aria-label": "Guided presentation" } },
    previous, caption, next, join,
    h("p", { className: "ctg-step-keys",
             text: "Keys: Page Down or → for the next step, Page Up or ← for the previous " +
                   "one (when you are not typing in a field)." }));

  // The code's image exists only once the kernel has made a code (no empty <img> before).
  let image = null;
  const address = h("p", { className: "ctg-join-address" });
  const status = h("p", { className: "ctg-join-status ctg-help", attrs: { role: "status" } });
  const local = h("p", {
    className: "ctg-join-local", hidden: true,
    text: "This address names this computer itself, so other devices cannot open it. Serve " +
          "the explorer on an address the room's network can reach, then open it from there.",
  });
  const close = h("button", { type: "button", className: "ctg-join-close", text: "Close" });
  const body = h("div", { className: "ctg-join-body" },
    h("div", { className: "ctg-join-text" },
      h("p", { text: "On your laptop or phone, open this address, or scan the code:" }),
      address, local, status, close));
  const dialog = h("dialog", { className: "ctg-join",
                               attrs: { "aria-labelledby": "ctg-join-title" } },
    h("h2", { id: "ctg-join-title", text: "Join this session" }), body);
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
    const href = joinHref();
    address.textContent = href;
    local.hidden = !LOCAL_HOSTS.test(window.location.hostname);
    status.textContent = "Making the code…";
    if (image && image.alt !== href) { image.hidden = true; }
    model.send({ type: "qr", href });
  };

  const drawCode = () => {
    const qr = model.get("qr") || {};
    if (qr.src && qr.href === joinHref()) {
      if (!image) {
        image = h("img", { className: "ctg-join-code" });
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
