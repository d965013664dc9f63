// The presenter's room panel: "Start a room", then the code, the join address and its QR
// code in large type, the counts and the buttons that steer the room. Shown only in
// presentation mode (CSS hides it otherwise).
//
// Python sets `status` ({open, code, join, qr, number, total, title, prompt, joined,
// answered, answers, revealed, locked, comparing}), `message` and `notice`; this module
// sends {type: "hello", href, key}, {type: "start", href}, {type: "act", action, question},
// {type: "compare"} with a file as a buffer, and {type: "uncompare"}. Text is set with
// textContent; the QR image's source is the kernel's SVG data address.
//
// The presenter's key: the kernel sends it once, as a custom message ({type: "keep", key}),
// when a room starts, and this module keeps it in the browser's storage for this server
// (localStorage, under a name holding the server's base path), never in the page's address,
// its markup or a synced trait; on every load it is offered back in "hello", so a reload or
// a restart takes the room up again. {type: "forget"} drops it.
//
// Nothing a click does loses answers by surprise: "Clear this question" and "Close room"
// each ask for a second press that says what it deletes (within CONFIRM_MS), and the first
// press of "Close room" points to the downloads of the answers and the report.

const CONFIRM_MS = 12000;
const MAX_COMPARE_BYTES = 5000000;

// Where this server's presenter key is kept: one name per server (its base path, the part
// of this page's path before "voila/"), so servers sharing an origin (a hub) never mix.
function storageName() {
  const path = window.location.pathname;
  const at = path.indexOf("/voila/");
  return `ctg-room-presenter:${at >= 0 ? path.slice(0, at + 1) : "/"}`;
}

function storedKey() {
  try {
    const kept = JSON.parse(window.localStorage.getItem(storageName()) || "null");
    return kept && typeof kept.key === "string" ? kept.key : "";
  } catch (error) {
    return "";  // storage switched off, or not ours: the room cannot be resumed here
  }
}

function keepKey(key) {
  try {
    window.localStorage.setItem(storageName(), JSON.stringify({ key, at: Date.now() }));
  } catch (error) { /* the room works; only a reload cannot take it up again */ }
}

function forgetKey() {
  try { window.localStorage.removeItem(storageName()); } catch (error) { /* nothing kept */ }
}

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
  const notice = h("p", { className: "ctg-room-notice", attrs: { role: "alert" } });
  // The QR image exists only once the kernel has made a code (no empty <img> before).
  let image = null;
  const address = h("p", { className: "ctg-room-address" });
  const localOnly = h("p", { className: "ctg-room-local-only", attrs: { role: "note" } });
  const code = h("span", { className: "ctg-room-code" });
  const counts = h("p", { className: "ctg-room-counts", attrs: { "aria-live": "polite" } });
  const perQuestion = h("p", { className: "ctg-room-answers" });
  const question = h("p", { className: "ctg-room-question" });
  const reveal = button("Reveal", "ctg-room-reveal");
  const lock = button("Lock", "ctg-room-lock");
  const previous = button("← Previous question", "ctg-room-previous");
  const next = button("Next question →", "ctg-room-next");
  const clear = button("Clear this question", "ctg-room-clear");
  const close = button("Close room", "ctg-room-close");
  const confirm = h("p", { className: "ctg-room-confirm", attrs: { role: "alert" } });
  const cancel = button("Keep them", "ctg-room-cancel");
  const confirmBox = h("div", { className: "ctg-room-confirm-box", hidden: true },
    confirm, cancel);
  const chooser = h("input", { className: "ctg-room-compare-file",
                               attrs: { type: "file", accept: ".csv,text/csv" } });
  const uncompare = button("Stop comparing", "ctg-room-uncompare");
  const compare = h("div", { className: "ctg-room-compare" },
    h("label", {}, "Compare with an earlier room (its answers, CSV): ", chooser), uncompare);
  const live = h("div", { className: "ctg-room-live" },
    h("div", { className: "ctg-room-join" },
      h("div", { className: "ctg-room-words" },
        h("p", { text: "Join on your phone: scan the code, or open" }), address, localOnly,
        h("p", { className: "ctg-room-code-line" }, "Room code ", code), question, counts,
        perQuestion, compare)),
    h("div", { className: "ctg-room-buttons" }, reveal, lock, previous, next, clear, close),
    confirmBox);
  el.append(intro, start, notice, message, live);

  // A press that deletes answers must be pressed again while it says what it deletes.
  let pending = null;  // {action, question, until}
  let timer = 0;
  const settle = () => {
    pending = null;
    window.clearTimeout(timer);
    confirmBox.hidden = true;
    clear.textContent = "Clear this question";
    close.textContent = "Close room";
  };
  const ask = (action, words, yes) => {
    const s = model.get("status") || {};
    settle();
    pending = { action, question: s.number, until: Date.now() + CONFIRM_MS };
    confirm.textContent = words;
    (action === "clear" ? clear : close).textContent = yes;
    cancel.textContent = action === "clear" ? "Keep these answers" : "Keep the room open";
    confirmBox.hidden = false;
    timer = window.setTimeout(settle, CONFIRM_MS);
  };
  // The counts in a question follow the store while it waits for the second press.
  const clearWords = (s) => `Clear deletes the ${s.answered} answer` +
    `${s.answered === 1 ? "" : "s"} to question ${s.number} (${s.title}) only; the other ` +
    `questions keep theirs. Press "Yes, clear" to delete them.`;
  const closeWords = (s) => `Closing deletes the room and every answer in it (${s.joined} ` +
    "taking part) for good. Keep a record first: \"Download the answers (CSV)\" and " +
    "\"Download the room report\" are just below. Then press \"Yes, close the room\".";
  const confirmed = (action) => pending && pending.action === action &&
    Date.now() < pending.until;
  const act = (action, extra) => model.send({ type: "act", action, ...(extra || {}) });

  start.addEventListener("click", () => {
    start.disabled = true;
    model.send({ type: "start", href: window.location.href });
  });
  reveal.addEventListener("click", () => act(model.get("status").revealed ? "hide" : "reveal"));
  lock.addEventListener("click", () => act(model.get("status").locked ? "unlock" : "lock"));
  previous.addEventListener("click", () => { settle(); act("previous"); });
  next.addEventListener("click", () => { settle(); act("next"); });
  clear.addEventListener("click", () => {
    if (confirmed("clear")) {
      const { question: number } = pending;
      settle();
      act("clear", { question: number });
      return;
    }
    const s = model.get("status") || {};
    ask("clear", clearWords(s), `Yes, clear question ${s.number}`);
  });
  close.addEventListener("click", () => {
    if (confirmed("close")) { settle(); act("close"); return; }
    ask("close", closeWords(model.get("status") || {}), "Yes, close the room");
  });
  cancel.addEventListener("click", settle);
  chooser.addEventListener("change", async () => {
    const file = chooser.files && chooser.files[0];
    chooser.value = "";
    if (!file) { return; }
    if (file.size > MAX_COMPARE_BYTES) {
      message.textContent = "That file is too large to be a room's answers (over 5 MB). " +
        "Nothing was changed.";
      return;
    }
    model.send({ type: "compare" }, undefined, [await file.arrayBuffer()]);
  });
  uncompare.addEventListener("click", () => model.send({ type: "uncompare" }));

  const draw = () => {
    const s = model.get("status") || {};
    message.textContent = model.get("message") || "";
    notice.textContent = model.get("notice") || "";
    start.hidden = Boolean(s.open);
    intro.hidden = Boolean(s.open);
    start.disabled = false;
    live.hidden = !s.open;
    el.classList.toggle("ctg-room-revealed", Boolean(s.open && s.revealed));
    if (!s.open) { settle(); return; }
    if (pending && pending.question !== s.number) { settle(); }
    if (pending) {
      confirm.textContent = (pending.action === "clear" ? clearWords : closeWords)(s);
    }
    code.textContent = s.code;
    address.textContent = s.join || "(open this page by the server's network address)";
    localOnly.textContent = s.local_only || "";
    localOnly.hidden = !s.local_only;
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
    counts.textContent = `${s.joined} taking part · ${s.answered} answered this question` +
      (s.revealed ? "" : " (answers hidden until Reveal)") + (s.locked ? " · locked" : "");
    perQuestion.textContent = "Answers so far: " + (s.answers || [])
      .map((a) => `${a.number}. ${a.title}: ${a.answered}`).join(" · ");
    reveal.textContent = s.revealed ? "Hide answers" : "Reveal";
    reveal.setAttribute("aria-pressed", String(Boolean(s.revealed)));
    lock.textContent = s.locked ? "Unlock" : "Lock";
    lock.setAttribute("aria-pressed", String(Boolean(s.locked)));
    previous.disabled = s.number <= 1;
    next.disabled = s.number >= s.total;
    uncompare.hidden = !s.comparing;
  };
  const onMessage = (content) => {
    if (!content) { return; }
    if (content.type === "keep" && typeof content.key === "string") { keepKey(content.key); }
    if (content.type === "forget") { forgetKey(); }
  };
  model.on("change:status", draw);
  model.on("change:message", draw);
  model.on("change:notice", draw);
  model.on("msg:custom", onMessage);
  draw();
  model.send({ type: "hello", href: window.location.href, key: storedKey() });
  return () => { settle(); model.off("msg:custom", onMessage); };
}

export default { render };
