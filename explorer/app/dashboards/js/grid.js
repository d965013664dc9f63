// The evidence matrix as one table of buttons: mechanisms down, the chosen columns across.
//
// One widget draws the whole grid in the browser, however many columns the data has (a
// package with 500 projects draws 2,000 cells without 2,000 widgets). The table scrolls
// inside its own box with its headings kept in view. Keyboard: Tab reaches the grid once;
// the arrow keys, Home and End move between cells and headings; Enter or Space lists the
// evidence (a hint under the grid says so, and the table points to it for screen readers).
// Each cell says its rating in words and symbol, what its count counts ("1 rated of 2
// records"), "contested" when the team's repeated codings disagreed, its confidence (marks out
// of four and words) and, for a gap, which kind; its accessible name says the same. A choice is sent to the kernel as {type: "select", key: "mechanism:column"}.

let gridCount = 0;
// How long a choice waits for its evidence to be drawn before it stops watching for it.
const REVEAL_WITHIN_MS = 20000;
const HINT = "Keyboard: Tab reaches the grid; the arrow keys, Home and End move between " +
  "cells and headings; Enter or Space lists the evidence.";

function button(text, key, classes, label) {
  return h("button", { type: "button", className: classes, dataset: { key }, tabIndex: -1,
                       title: label || undefined, attrs: { "aria-label": label || undefined } },
    ...(Array.isArray(text) ? text : [text]));
}

function render({ model, el }) {
  gridCount += 1;
  const hintId = `ctg-grid-hint-${gridCount}`;
  el.classList.add("ctg-grid");
  const scroller = h("div", { className: "ctg-grid-scroll" });
  el.append(scroller, h("p", { className: "ctg-help ctg-grid-hint", id: hintId, text: HINT }));
  let cells = [];  // rows of buttons, [0] = column headings; column 0 = row headings

  const markSelected = () => {
    const selected = model.get("selected") || "";
    for (const node of scroller.querySelectorAll("button")) {
      const on = node.dataset.key === selected;
      node.classList.toggle("ctg-selected", on);
      node.setAttribute("aria-pressed", on ? "true" : "false");
    }
  };

  const setActive = (node) => {
    for (const other of scroller.querySelectorAll("button[tabindex='0']")) {
      other.tabIndex = -1;
    }
    node.tabIndex = 0;
  };

  const draw = () => {
    const focused = document.activeElement && scroller.contains(document.activeElement)
      ? document.activeElement.dataset.key : null;
    const grid = model.get("frame") || {};
    const columns = grid.columns || [];
    const rows = grid.rows || [];
    const looks = model.get("looks") || [];
    const at = model.get("cells") || [];
    const styles = model.get("styles") || {};
    const head = h("tr", {}, h("th", { className: "ctg-corner", text: grid.corner || "",
                                       attrs: { scope: "col" } }));
    cells = [[null]];
    for (const [id, label] of columns) {
      const node = button(label, `:${id}`, "ctg-colhead", `All evidence for ${label}`);
      head.append(h("th", { attrs: { scope: "col" } }, node));
      cells[0].push(node);
    }
    const tbody = h("tbody");
    rows.forEach(([rowId, rowLabel, definition], r) => {
      const rowNode = button(rowLabel, `${rowId}:`, "ctg-rowhead", `All evidence for ${rowLabel}`);
      if (definition) {
        rowNode.title = `${rowLabel}: ${definition} Choose to list all its evidence.`;
      }
      const tr = h("tr", {}, h("th", { attrs: { scope: "row" } }, rowNode));
      const line = [rowNode];
      columns.forEach(([columnId, columnLabel], c) => {
        const [strength, rated, records, contested, kind, level] =
          looks[at[r * columns.length + c]] || ["no_rows", 0, 0, 0, "", ""];
        const [strengthLabel, symbol] = styles[strength] || [strength, ""];
        // A cell with no records says which kind of gap it is (project not identified).
        const label = kind === "project_not_identified" ? (grid.kinds || {})[kind] || strengthLabel
          : strengthLabel;
        const counted = countText(rated, records === undefined ? rated : records);
        const [levelLabel, marks] = (grid.levels || {})[level] || ["", ""];
        const text = [h("span", { className: "ctg-cell-rating", text: `${symbol} ${label}` })];
        if (counted) { text.push(h("span", { className: "ctg-count", text: ` (${counted})` })); }
        if (contested) {
          text.push(h("span", { className: "ctg-contested", text: " contested" }));
        }
        if (levelLabel) {
          text.push(h("span", { className: `ctg-cell-confidence ctg-confidence-${level}` },
            h("span", { className: "ctg-marks", text: marks, attrs: { "aria-hidden": "true" } }),
            ` ${levelLabel}`));
        }
        const spoken = `${rowLabel} × ${columnLabel}: ${label}` +
          (counted ? `, ${counted}` : ", no records") +
          (contested ? "; contested: the team's repeated codings differed" : "") +
          (levelLabel ? `; ${levelLabel.toLowerCase()}` : "") +
          ". Choose to list the evidence.";
        const node = button(text, `${rowId}:${columnId}`,
          `ctg-cell ctg-strength-${strength}${contested ? " ctg-cell-contested" : ""}`, spoken);
        tr.append(h("td", {}, node));
        line.push(node);
      });
      cells.push(line);
      tbody.append(tr);
    });
    const table = h("table", { className: "ctg-grid-table",
                               attrs: { "aria-describedby": hintId } },
      h("caption", { className: "ctg-srOnly", text: grid.caption || "" }),
      h("thead", {}, head), tbody);
    scroller.replaceChildren(table);
    markSelected();
    const all = [...scroller.querySelectorAll("button")];
    const keep = focused && all.find((node) => node.dataset.key === focused);
    const start = keep || scroller.querySelector(".ctg-selected") ||
      scroller.querySelector(".ctg-cell") || all[0];
    if (start) { setActive(start); }
    if (keep) { keep.focus(); }
  };

  const position = (node) => {
    for (let r = 0; r < cells.length; r += 1) {
      const c = cells[r].indexOf(node);
      if (c >= 0) { return [r, c]; }
    }
    return null;
  };

  // Choosing shows the result: once the page has drawn the chosen cell's evidence (its
  // heading names the key), it is scrolled into view and takes the focus, so a reader
  // using a mouse, a keyboard (Enter or Space is a click) or a touch screen lands on it.
  let revealing = null;
  const reveal = (key) => {
    if (revealing) { revealing(); }
    const target = () => [...document.querySelectorAll("[data-chosen]")]
      .find((node) => node.dataset.chosen === key);
    const observer = new MutationObserver(() => {
      const found = target();
      if (found) { show(found); }
    });
    const timer = window.setTimeout(() => stop(), REVEAL_WITHIN_MS);
    const stop = () => { observer.disconnect(); window.clearTimeout(timer); revealing = null; };
    const show = (node) => {
      stop();
      node.scrollIntoView({ block: "start" });
      node.focus({ preventScroll: true });
    };
    revealing = stop;
    const shown = target();  // chosen again: its evidence is on the page already
    if (shown) { show(shown); return; }
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
  };

  scroller.addEventListener("click", (event) => {
    const node = event.target.closest("button");
    if (!node) { return; }
    setActive(node);
    reveal(node.dataset.key);
    model.send({ type: "select", key: node.dataset.key });
  });

  scroller.addEventListener("keydown", (event) => {
    const node = event.target.closest("button");
    const at = node && position(node);
    if (!at) { return; }
    let [r, c] = at;
    const moves = {
      ArrowRight: () => { c += 1; }, ArrowLeft: () => { c -= 1; },
      ArrowDown: () => { r += 1; }, ArrowUp: () => { r -= 1; },
      Home: () => { c = event.ctrlKey ? 1 : 0; if (event.ctrlKey) { r = 1; } },
      End: () => { c = cells[r].length - 1; if (event.ctrlKey) { r = cells.length - 1; } },
    };
    if (!moves[event.key]) { return; }
    event.preventDefault();
    moves[event.key]();
    r = Math.max(0, Math.min(cells.length - 1, r));
    c = Math.max(0, Math.min(cells[r].length - 1, c));
    const target = cells[r][c] || cells[r][c + 1];
    if (target) { setActive(target); target.focus(); }
  });

  // A redraw sends frame, looks and cells together; draw once, after all have arrived.
  let queued = false;
  const redraw = () => {
    if (queued) { return; }
    queued = true;
    queueMicrotask(() => { queued = false; draw(); });
  };
  for (const name of ["frame", "looks", "cells"]) { model.on(`change:${name}`, redraw); }
  model.on("change:selected", markSelected);
  draw();
}

export default { render };
