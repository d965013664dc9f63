// Filters anyone can use: one group of checkboxes per facet, each with the number of
// records it would show, the active filters as removable chips, and "Clear all filters".
//
// Checkboxes are real <input type="checkbox"> elements inside a <fieldset> with a <legend>,
// so a keyboard (Tab, Space) and a screen reader work as they do on any web form.
// `facets` = [{name, label, options: [{id, label, count}]}] comes from the kernel;
// `value` = {facet: [ids]} is what the reader chose. Counts are updated in place, so the
// box that has focus keeps it.

function render({ model, el }) {
  el.classList.add("ctg-filterbox");
  const active = document.createElement("div");
  active.className = "ctg-active-filters";
  active.setAttribute("aria-live", "polite");
  const details = document.createElement("details");
  details.className = "ctg-filter-panel";
  const summary = document.createElement("summary");
  summary.textContent = model.get("title") || "Filter the evidence";
  const help = document.createElement("p");
  help.className = "ctg-help";
  help.textContent = model.get("help") || "";
  const groups = document.createElement("div");
  groups.className = "ctg-facets";
  details.append(summary, help, groups);
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
        const chip = document.createElement("button");
        chip.type = "button";
        chip.className = "ctg-chip";
        chip.textContent = `${facet.label}: ${labels[id] || id} ✕`;
        chip.setAttribute("aria-label", `Remove the filter ${facet.label}: ${labels[id] || id}`);
        chip.addEventListener("click", () => {
          setValue(facet.name, (chosen()[facet.name] || []).filter((x) => x !== id));
        });
        chips.push(chip);
      }
    }
    const lead = document.createElement("span");
    lead.className = "ctg-active-lead";
    lead.textContent = chips.length ? "Active filters:" : "No filters: all evidence records.";
    active.append(lead, ...chips);
    if (chips.length) {
      const clear = document.createElement("button");
      clear.type = "button";
      clear.className = "ctg-clear";
      clear.textContent = "Clear all filters";
      clear.addEventListener("click", () => { model.set("value", {}); model.save_changes(); });
      active.append(clear);
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
        const fieldset = document.createElement("fieldset");
        fieldset.className = `ctg-facet ctg-facet-${facet.name}`;
        const legend = document.createElement("legend");
        legend.textContent = facet.label;
        fieldset.append(legend);
        for (const option of facet.options) {
          const label = document.createElement("label");
          label.className = "ctg-option";
          const box = document.createElement("input");
          box.type = "checkbox";
          box.value = option.id;
          box.dataset.facet = facet.name;
          const text = document.createElement("span");
          text.className = "ctg-option-label";
          const count = document.createElement("span");
          count.className = "ctg-count";
          label.append(box, text, count);
          fieldset.append(label);
          box.addEventListener("change", () => {
            const boxes = fieldset.querySelectorAll("input[type=checkbox]");
            setValue(facet.name, [...boxes].filter((b) => b.checked).map((b) => b.value));
          });
        }
        groups.append(fieldset);
      }
    }
    for (const facet of facets) {
      const picked = new Set(value[facet.name] || []);
      const byId = Object.fromEntries(facet.options.map((o) => [o.id, o]));
      for (const box of groups.querySelectorAll(`input[data-facet="${facet.name}"]`)) {
        const option = byId[box.value];
        box.checked = picked.has(box.value);
        const label = box.parentElement;
        label.querySelector(".ctg-option-label").textContent = option.label;
        label.querySelector(".ctg-count").textContent = ` (${option.count})`;
        label.classList.toggle("ctg-empty", option.count === 0 && !box.checked);
        label.title = `${option.count} record(s) with ${facet.label}: ${option.label}`;
      }
    }
  };

  const draw = () => { drawGroups(); drawActive(); };
  model.on("change:facets", draw);
  model.on("change:value", draw);
  draw();
}

export default { render };
