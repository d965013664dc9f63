// The explorer's navigation bar and its link to the browser: page links, presentation mode,
// "cite this view", the address bar, the tab title, history, in-page navigation, and a
// heartbeat that tells the reader in plain words when the server has gone away. While the
// browser is idle it loads plotly.js (plotly_loader.js), so a first chart does not wait.
//
// Python sets `page`, `query`, `title` and `history` ("push" | "replace" | "none"); this
// module updates the address bar so that it always reopens the view. A click on a link to
// another page of the explorer (`<page>.ipynb?...`, no modifier key, same window) does not
// load a new notebook: it asks the kernel to switch views ({type: "navigate"}), so one
// reader keeps one kernel. Back and forward send the same message for the page in history.
//
// The heartbeat: the page pings its kernel; the kernel answers between other work. A late
// answer alone proves nothing (a kernel building a page on a loaded machine answers late), so
// once answers are overdue the page asks the server about its kernel: gone (404, or no
// server) shows the banner at once; busy (working, as the server sees it) waits; idle yet
// still silent, or no word from the server, at two checks in a row means the page has lost
// its kernel. An answer that comes after all takes the banner away again.

const PING_EVERY_MS = 10000;
const LOST_AFTER_MS = 25000;
const SHORTEST_MS = 100;
// Consecutive checks finding the kernel idle yet silent (or the server mute) before the
// banner shows: one could be the moment a busy kernel finishes, its answers on their way.
const SILENT_CHECKS = 2;
// How long a check waits for the server's word (at least): a loaded server answers late too.
const CHECK_WITHIN_MS = 10000;
// Start loading plotly.js once the page is idle (at the latest after this long), so that
// moving to a page with a chart does not wait for it. `plotly()` is plotly_loader.js's.
const PRELOAD_PLOTLY_MS = 3000;
// Addresses that name this computer itself: nobody else can open them.
const LOCAL_HOSTS = /^(localhost|127(\.\d+){3}|\[::1\]|0\.0\.0\.0)$/;

// The heartbeat's timing. A test may shorten it by defining
// `window.ctgHeartbeat = {pingMs, lostMs}` before the page loads (a browser test's init
// script); a reader's page never defines it, so the site keeps the defaults above.
function heartbeatTiming() {
  const given = (typeof window.ctgHeartbeat === "object" && window.ctgHeartbeat) || {};
  const ms = (value, fallback) =>
    (Number.isFinite(value) && value >= SHORTEST_MS ? value : fallback);
  return { ping: ms(given.pingMs, PING_EVERY_MS), lost: ms(given.lostMs, LOST_AFTER_MS) };
}

function pageOf(url, pages) {
  const match = url.pathname.match(/([^/]+)\.ipynb$/);
  return match && pages.includes(match[1]) ? match[1] : null;
}

function targetUrl(page, query) {
  const url = new URL(window.location.href);
  url.pathname = url.pathname.replace(/[^/]+\.ipynb$/, `${page}.ipynb`);
  url.search = query || "";
  url.hash = "";
  return url;
}

// What the server says of this page's kernel: "gone" (no such kernel, or no server),
// "busy" (it is working: a late answer is no sign of loss), "idle", or "unknown" (the page
// names no kernel, or the server did not answer in time).
async function kernelState(timeoutMs) {
  let config;
  try {
    config = JSON.parse(document.getElementById("jupyter-config-data").textContent);
  } catch (error) {
    return "unknown";
  }
  if (!config || !config.kernelId) { return "unknown"; }
  const base = (config.baseUrl || "/").replace(/\/?$/, "/");
  const abort = new AbortController();
  const timer = window.setTimeout(() => abort.abort(), timeoutMs);
  try {
    const reply = await fetch(`${base}api/kernels/${encodeURIComponent(config.kernelId)}`,
                              { cache: "no-store", signal: abort.signal });
    if (!reply.ok) { return reply.status === 404 ? "gone" : "unknown"; }
    const kernel = await reply.json();
    return ["busy", "starting"].includes(kernel.execution_state) ? "busy" : "idle";
  } catch (error) {
    return abort.signal.aborted ? "unknown" : "gone";
  } finally {
    window.clearTimeout(timer);
  }
}

function lostBanner() {
  if (document.getElementById("ctg-lost")) { return; }
  document.body.prepend(h("div", { id: "ctg-lost", className: "ctg-lost",
                                   attrs: { role: "alert" } },
    h("span", { text: "This page has lost its connection to the explorer's server: reload " +
                      "it to open the same view again." }),
    h("button", { type: "button", text: "Reload this page",
                  on: { click: () => window.location.reload() } })));
}

function foundAgain() {
  const banner = document.getElementById("ctg-lost");
  if (banner) { banner.remove(); }
}

function today() {
  return new Date().toISOString().slice(0, 10);
}

function buildBar(model, el) {
  const nav = h("nav", { className: "ctg-nav", attrs: { "aria-label": "Explorer pages" } });
  const present = h("button", { type: "button", className: "ctg-present-toggle",
                                text: "Presentation mode",
                                title: "Larger text for projecting to a room" });
  const cite = h("button", { type: "button", className: "ctg-cite-button",
                             text: "Cite this view", attrs: { "aria-expanded": "false" } });
  const bar = h("div", { className: "ctg-bar" }, nav,
                h("div", { className: "ctg-tools" }, present, cite));
  const box = h("textarea", { className: "ctg-citation", readOnly: true, rows: 4 });
  const local = h("p", { className: "ctg-cite-local", hidden: true });
  const status = h("p", { className: "ctg-cite-status", attrs: { role: "status" } });
  const panel = h("div", { className: "ctg-cite-panel", hidden: true },
    h("label", { text: "Citation of this view (paste it into a briefing):" }, box),
    local, status);
  // On paper: what the page is, which data, whose coding, where it came from and when.
  const stamp = h("p", { className: "ctg-print-stamp" });
  el.append(bar, panel, stamp);
  const drawStamp = () => {
    const note = model.get("print_note") || "";
    // The view's own address, as the kernel states it: never what the address bar held
    // before the page cleaned it (an old address's room=… key, an ignored setting).
    const page = model.get("page");
    const address = page ? targetUrl(page, model.get("query")).href : "";
    stamp.textContent = note && address ? `${note} Printed from ${address} on ${today()}.` : "";
  };

  const drawNav = () => {
    const current = model.get("page");
    nav.replaceChildren(...(model.get("links") || []).map(([name, title]) =>
      h("a", { href: `${name}.ipynb`, text: title,
               attrs: { "aria-current": name === current ? "page" : undefined } })));
  };
  const drawPresent = () => {
    present.setAttribute("aria-pressed", model.get("presenting") ? "true" : "false");
  };
  present.addEventListener("click", () => {
    model.set("presenting", !model.get("presenting"));
    model.save_changes();
  });
  // A cited address names the data version it was read at, so that opened after a new
  // release the page opens with what has changed since (the "version" parameter).
  const withVersion = (address, version) => {
    if (!version || /[?&]version=/.test(address)) return address;
    const [head, fragment] = address.split("#", 2);
    const joined = `${head}${head.includes("?") ? "&" : "?"}version=${encodeURIComponent(version)}`;
    return fragment === undefined ? joined : `${joined}#${fragment}`;
  };
  cite.addEventListener("click", async () => {
    // A local address (this computer) works for nobody else: say so, and cite the
    // read-only site's address instead when the server knows one.
    const isLocal = LOCAL_HOSTS.test(window.location.hostname);
    const alternative = model.get("static_address");
    const address = withVersion(isLocal && alternative ? alternative : window.location.href,
                                model.get("data_version"));
    local.hidden = !isLocal;
    local.textContent = !isLocal ? "" : alternative
      ? `This page's address (${window.location.host}) only works on this computer, so ` +
        "the citation gives the read-only site's address of the same view instead."
      : `This page's address (${window.location.host}) only works on this computer: ` +
        "others cannot open it. Cite the published explorer's address instead, or attach " +
        "the handout.";
    box.value = `${model.get("citation")} ${address} (accessed ${today()}).`;
    panel.hidden = false;
    cite.setAttribute("aria-expanded", "true");
    box.focus();
    // All of it selected, ready to copy, with the box showing its start (the claim), not
    // its end: a selection made backwards leaves the caret, and the scroll, at the start.
    box.setSelectionRange(0, box.value.length, "backward");
    box.scrollTop = 0;
    try {
      await navigator.clipboard.writeText(box.value);
      status.textContent = "Copied to the clipboard.";
    } catch (error) {
      status.textContent = "Select the text and copy it (Ctrl+C, or Cmd+C on a Mac).";
    }
  });
  model.on("change:links", drawNav);
  model.on("change:page", () => { drawNav(); drawStamp(); panel.hidden = true; });
  model.on("change:query", () => { panel.hidden = true; });
  model.on("change:presenting", drawPresent);
  model.on("change:print_note", drawStamp);
  model.on("change:query", drawStamp);
  drawNav();
  drawPresent();
  drawStamp();

  // A printed page holds every explanation: each folded one (why this rating, how far to
  // trust it) is opened for the print and folded again after it.
  const opened = [];
  const openAll = () => {
    drawStamp();
    for (const details of document.querySelectorAll(".ctg-root details:not([open])")) {
      details.open = true;
      opened.push(details);
    }
  };
  const foldAgain = () => {
    for (const details of opened.splice(0)) { details.open = false; }
  };
  window.addEventListener("beforeprint", openAll);
  window.addEventListener("afterprint", foldAgain);
  return () => {
    window.removeEventListener("beforeprint", openAll);
    window.removeEventListener("afterprint", foldAgain);
  };
}

function render({ model, el }) {
  el.classList.add("ctg-navigation");
  const unbuild = buildBar(model, el);
  const pages = () => (model.get("links") || []).map(([name]) => name);

  const apply = () => {
    const page = model.get("page");
    if (!page) { return; }
    const mode = model.get("history");
    const url = targetUrl(page, model.get("query"));
    const state = { ctgPage: page, ctgQuery: model.get("query") || "" };
    if (mode === "push" && url.href !== window.location.href) {
      window.history.pushState(state, "", url.href);
    } else if (mode !== "none") {
      window.history.replaceState(state, "", url.href);
    }
    const title = model.get("title");
    if (title) { document.title = title; }
  };

  const navigate = (page, query, history) => {
    model.send({ type: "navigate", page, query, history });
  };

  const onClick = (event) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey ||
        event.shiftKey || event.altKey) { return; }
    const link = event.target.closest && event.target.closest("a[href]");
    if (!link || (link.target && link.target !== "_self") || link.hasAttribute("download")) {
      return;
    }
    const url = new URL(link.href, window.location.href);
    if (url.origin !== window.location.origin) { return; }
    // A link to a place on this page ("#…") is the browser's to follow.
    if (url.hash && url.pathname === window.location.pathname &&
        url.search === window.location.search) { return; }
    const here = window.location.pathname.replace(/[^/]+$/, "");
    if (url.pathname.replace(/[^/]+$/, "") !== here) { return; }
    const page = pageOf(url, pages());
    if (!page) { return; }
    event.preventDefault();
    navigate(page, url.search, "push");
  };

  const onPop = (event) => {
    const url = new URL(window.location.href);
    const page = (event.state && event.state.ctgPage) || pageOf(url, pages());
    if (page) { navigate(page, url.search, "none"); }
  };

  const timing = heartbeatTiming();
  let lastPong = Date.now();
  let checking = false;
  let silentChecks = 0;
  const onMessage = (message) => {
    if (message && message.type === "pong") {
      lastPong = Date.now();
      silentChecks = 0;
      foundAgain();
    }
  };
  const check = async () => {
    checking = true;
    try {
      const state = await kernelState(Math.max(timing.lost, CHECK_WITHIN_MS));
      if (Date.now() - lastPong <= timing.lost) { return; }  // it answered meanwhile
      silentChecks = state === "busy" ? 0 : silentChecks + 1;
      if (state === "gone" || silentChecks >= SILENT_CHECKS) { lostBanner(); }
    } finally {
      checking = false;
    }
  };
  const timer = window.setInterval(() => {
    if (Date.now() - lastPong > timing.lost && !checking) { check(); }
    try { model.send({ type: "ping" }); } catch (error) {
      // A ping that cannot be sent is an answer that will not come: the checks decide.
    }
  }, timing.ping);

  const preload = () => { plotly().catch(() => {}); };
  const idle = window.requestIdleCallback
    ? window.requestIdleCallback(preload, { timeout: PRELOAD_PLOTLY_MS })
    : window.setTimeout(preload, PRELOAD_PLOTLY_MS);

  model.on("change:query", apply);
  model.on("change:page", apply);
  model.on("change:title", apply);
  model.on("msg:custom", onMessage);
  document.addEventListener("click", onClick);
  window.addEventListener("popstate", onPop);
  apply();
  return () => {
    if (window.cancelIdleCallback) { window.cancelIdleCallback(idle); }
    window.clearTimeout(idle);
    window.clearInterval(timer);
    document.removeEventListener("click", onClick);
    window.removeEventListener("popstate", onPop);
    unbuild();
  };
}

export default { render };
