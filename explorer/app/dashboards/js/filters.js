// Filters anyone can use: one group of checkboxes per facet, each with the number of
// records it would show, the active filters as removable chips, and "Clear all filters".
//
// Checkboxes are real <input type="checkbox"> elements inside a <fieldset> with a <legend>,
// so a keyboard (Tab, Space) and a screen reader work as they do on any web form.
// `facets` = [{name, label, options: [{id, label}]}] and `counts` = {facet: [count of each
// option]} come from the kernel (a tick sends only the counts); `value` = {facet: [ids]} is
// what the reader chose. Counts are updated in place, so the box that has focus keeps it.

function render({ model, el }) {
  el.classList.add("ctg-filterbox");
  const active = h("div", { className: "ctg-active-filters", attrs: { "aria-live": "polite" } });
  const groups = h("div", { className: "ctg-facets" });
  const details = h("details", { className: "ctg-filter-panel" },
    h("summary", { text: model.get("title") || "Filter the evidence" }),
    h("p", { className: "ctg-help", text: model.get("help") || "" }),
    groups);
  el.append(active, details);
  if (model.get("expanded")) { details.open = true; }
  let shape = "";

  const chosen = () => model.get("value") || {};

  const setValue = (facet, ids) => {
    const next = { ...chosen() };
    if (ids.length) { next[facet] = ids; } else { delete next[facet]; }
    model.set("value", next);
    model.save_changes();
  };

  const drawActive = () => {
    active.replaceChildren();
    const value = chosen();
    const chips = [];
    for (const facet of model.get("facets") || []) {
      const labels = Object.fromEntries(facet.options.map((o) => [o.id, o.label]));
      for (const id of value[facet.name] || []) {
        const name = `${facet.label}: ${labels[id] || id}`;
        chips.push(h("button", {
          type: "button", className: "ctg-chip", text: `${name} ✕`,
          attrs: { "aria-label": `Remove the filter ${name}` },
          on: { click: () => setValue(facet.name,
            (chosen()[facet.name] || []).filter((x) => x !== id)) },
        }));
      }
    }
    active.append(h("span", {
      className: "ctg-active-lead",
      text: chips.length ? "Active filters:" : "No filters: all evidence records.",
    }), ...chips);
    if (chips.length) {
      active.append(h("button", {
        type: "button", className: "ctg-clear", text: "Clear all filters",
        on: { click: () => { model.set("value", {}); model.save_changes(); } },
      }));
    }
  };

  const drawGroups = () => {
    const facets = model.get("facets") || [];
    const value = chosen();
    const nextShape = JSON.stringify(facets.map((f) => [f.name, f.options.map((o) => o.id)]));
    if (nextShape !== shape) {
      shape = nextShape;
      groups.replaceChildren();
      for (const facet of facets) {
        const fieldset = h("fieldset", { className: `ctg-facet ctg-facet-${facet.name}` },
          h("legend", { text: facet.label }));
        const changed = () => {
          const boxes = fieldset.querySelectorAll("input[type=checkbox]");
          setValue(facet.name, [...boxes].filter((b) => b.checked).map((b) => b.value));
        };
        for (const option of facet.options) {
          fieldset.append(h("label", { className: "ctg-option" },
            h("input", { type: "checkbox", value: option.id, dataset: { facet: facet.name },
                         on: { change: changed } }),
            h("span", { className: "ctg-option-label" }),
            h("span", { className: "ctg-count" })));
        }
        groups.append(fieldset);
      }
    }
    const counts = model.get("counts") || {};
    for (const facet of facets) {
      const picked = new Set(value[facet.name] || []);
      const numbers = counts[facet.name] || [];
      const byId = Object.fromEntries(facet.options.map((o, i) => [o.id, [o, numbers[i] || 0]]));
      for (const box of groups.querySelectorAll(`input[data-facet="${facet.name}"]`)) {
        const [option, count] = byId[box.value];
        box.checked = picked.has(box.value);
        const label = box.parentElement;
        label.querySelector(".ctg-option-label").textContent = option.label;
        label.querySelector(".ctg-count").textContent = ` (${count})`;
        label.classList.toggle("ctg-empty", count === 0 && !box.checked);
        label.title = `${count} record(s) with ${facet.label}: ${option.label}`;
      }
    }
  };

  const draw = () => { drawGroups(); drawActive(); };
  // A redraw may send facets, counts and value together; draw once, after all have arrived.
  let queued = false;
  const redraw = () => {
    if (queued) { return; }
    queued = true;
    queueMicrotask(() => { queued = false; draw(); });
  };
  for (const name of ["facets", "counts", "value"]) { model.on(`change:${name}`, redraw); }
  draw();
}

export default { render };
