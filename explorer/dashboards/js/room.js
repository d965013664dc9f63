// The presenter's room panel: "Start a room", then the code, the join address and its QR
// code in large type, the counts and the buttons that steer the room. Shown only in
// presentation mode (CSS hides it otherwise).
//
// Python sets `status` ({open, code, join, qr, number, total, title, prompt, joined,
// answered, revealed, locked}) and `message`; this module sends {type: "start", href} and
// {type: "act", action}. Text is set with textContent; the QR image's source is the kernel's
// SVG data address. "Close room" asks for a second click instead of a dialog.

function button(text, className) {
  return h("button", { type: "button", className, text });
}

function render({ model, el }) {
  el.classList.add("ctg-room-controls");
  const start = button("Start a room", "ctg-room-start");
  const intro = h("p", { className: "ctg-room-intro",
                         text: "Participants answer three questions on their phones; the " +
                               "answers appear here, beside the evidence, when you reveal them." });
  const message = h("p", { className: "ctg-room-message", attrs: { role: "status" } });
  // The QR image exists only once the kernel has made a code (no empty <img> before).
  let image = null;
  const address = h("p", { className: "ctg-room-address" });
  const code = h("span", { className: "ctg-room-code" });
  const counts = h("p", { className: "ctg-room-counts", attrs: { "aria-live": "polite" } });
  const question = h("p", { className: "ctg-room-question" });
  const reveal = button("Reveal", "ctg-room-reveal");
  const lock = button("Lock", "ctg-room-lock");
  const previous = button("← Previous question", "ctg-room-previous");
  const next = button("Next question →", "ctg-room-next");
  const clear = button("Clear answers", "ctg-room-clear");
  const close = button("Close room", "ctg-room-close");
  const live = h("div", { className: "ctg-room-live" },
    h("div", { className: "ctg-room-join" },
      h("div", { className: "ctg-room-words" },
        h("p", { text: "Join on your phone: scan the code, or open" }), address,
        h("p", { className: "ctg-room-code-line" }, "Room code ", code), question, counts)),
    h("div", { className: "ctg-room-buttons" }, reveal, lock, previous, next, clear, close));
  el.append(intro, start, message, live);

  let closing = 0;
  const act = (action) => model.send({ type: "act", action });
  start.addEventListener("click", () => {
    start.disabled = true;
    model.send({ type: "start", href: window.location.href });
  });
  reveal.addEventListener("click", () => act(model.get("status").revealed ? "hide" : "reveal"));
  lock.addEventListener("click", () => act(model.get("status").locked ? "unlock" : "lock"));
  previous.addEventListener("click", () => act("previous"));
  next.addEventListener("click", () => act("next"));
  clear.addEventListener("click", () => act("clear"));
  close.addEventListener("click", () => {
    if (Date.now() - closing < 8000) { closing = 0; act("close"); return; }
    closing = Date.now();
    close.textContent = "Click again to delete the room and its answers";
    window.setTimeout(() => { close.textContent = "Close room"; }, 8000);
  });

  const draw = () => {
    const s = model.get("status") || {};
    message.textContent = model.get("message") || "";
    start.hidden = Boolean(s.open);
    intro.hidden = Boolean(s.open);
    start.disabled = false;
    live.hidden = !s.open;
    if (!s.open) { return; }
    code.textContent = s.code;
    address.textContent = s.join || "(open this page by the server's network address)";
    if (s.qr) {
      if (!image) {
        image = h("img", { className: "ctg-room-qr" });
        live.querySelector(".ctg-room-join").prepend(image);
      }
      image.src = s.qr;
      image.alt = `QR code of ${s.join}`;
      image.hidden = false;
    } else if (image) {
      image.hidden = true;
    }
    question.textContent = `Question ${s.number} of ${s.total}: ${s.title}`;
    counts.textContent = `${s.joined} joined · ${s.answered} answered this question` +
      (s.revealed ? "" : " (answers hidden until Reveal)") + (s.locked ? " · locked" : "");
    reveal.textContent = s.revealed ? "Hide answers" : "Reveal";
    reveal.setAttribute("aria-pressed", String(Boolean(s.revealed)));
    lock.textContent = s.locked ? "Unlock" : "Lock";
    lock.setAttribute("aria-pressed", String(Boolean(s.locked)));
    previous.disabled = s.number <= 1;
    next.disabled = s.number >= s.total;
  };
  model.on("change:status", draw);
  model.on("change:message", draw);
  draw();
  model.send({ type: "href", href: window.location.href });
}

export default { render };
