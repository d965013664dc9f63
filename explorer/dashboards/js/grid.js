// The evidence matrix as one table of buttons: mechanisms down, the chosen columns across.
//
// One widget draws the whole grid in the browser, however many columns the data has (a
// package with 500 projects draws 2,000 cells without 2,000 widgets). The table scrolls
// inside its own box with its headings kept in view. Keyboard: Tab reaches the grid once;
// the arrow keys, Home and End move between cells and headings; Enter or Space lists the
// evidence. A choice is sent to the kernel as {type: "select", key: "mechanism:column"}.

function button(text, key, classes, label) {
  const node = document.createElement("button");
  node.type = "button";
  node.className = classes;
  node.dataset.key = key;
  node.textContent = text;
  if (label) { node.setAttribute("aria-label", label); node.title = label; }
  node.tabIndex = -1;
  return node;
}

function render({ model, el }) {
  el.classList.add("ctg-grid");
  const scroller = document.createElement("div");
  scroller.className = "ctg-grid-scroll";
  el.append(scroller);
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
    const grid = model.get("grid") || {};
    const columns = grid.columns || [];
    const rows = grid.rows || [];
    const values = grid.cells || [];
    const styles = model.get("styles") || {};
    const table = document.createElement("table");
    table.className = "ctg-grid-table";
    const caption = document.createElement("caption");
    caption.className = "ctg-srOnly";
    caption.textContent = grid.caption || "";
    const head = document.createElement("tr");
    const corner = document.createElement("th");
    corner.scope = "col";
    corner.className = "ctg-corner";
    corner.textContent = grid.corner || "";
    head.append(corner);
    cells = [[null]];
    for (const [id, label] of columns) {
      const th = document.createElement("th");
      th.scope = "col";
      const node = button(label, `:${id}`, "ctg-colhead", `All evidence for ${label}`);
      th.append(node);
      head.append(th);
      cells[0].push(node);
    }
    const thead = document.createElement("thead");
    thead.append(head);
    const tbody = document.createElement("tbody");
    rows.forEach(([rowId, rowLabel, definition], r) => {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.scope = "row";
      const rowNode = button(rowLabel, `${rowId}:`, "ctg-rowhead", `All evidence for ${rowLabel}`);
      if (definition) {
        rowNode.title = `${rowLabel}: ${definition} Choose to list all its evidence.`;
      }
      th.append(rowNode);
      tr.append(th);
      const line = [rowNode];
      columns.forEach(([columnId, columnLabel], c) => {
        const [strength, count] = values[r * columns.length + c] || ["no_rows", 0];
        const [label, symbol] = styles[strength] || [strength, ""];
        const td = document.createElement("td");
        const node = button(`${symbol} ${label} (${count})`, `${rowId}:${columnId}`,
          `ctg-cell ctg-strength-${strength}`,
          `${rowLabel} × ${columnLabel}: ${label}, ${count} record(s). Choose to list them.`);
        td.append(node);
        tr.append(td);
        line.push(node);
      });
      cells.push(line);
      tbody.append(tr);
    });
    table.append(caption, thead, tbody);
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

  scroller.addEventListener("click", (event) => {
    const node = event.target.closest("button");
    if (!node) { return; }
    setActive(node);
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

  model.on("change:grid", draw);
  model.on("change:selected", markSelected);
  draw();
}

export default { render };
