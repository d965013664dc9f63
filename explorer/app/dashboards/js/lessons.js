// The lessons exercise as a plain HTML form: fieldsets with legends, labelled checkboxes,
// radio buttons and text boxes, so a keyboard (Tab, Space, arrows, typing) and a screen
// reader work as on any web form. Definitions are tied to their control with
// aria-describedby.
//
// `questions` = {relationships, mechanisms, foundations, recommendations: [{id, label,
// definition}], levels: [[id, label]]} comes from the kernel; `value` = {name,
// relationship_type: [ids], mechanism: [ids], how: {id: text}, foundation: {id: level},
// recommendation: [ids]} is what the room answered. Ticks are sent at once; typing is sent
// after a short pause (and when the box is left). All text is set with textContent or
// .value: nothing typed or received is ever parsed as HTML.

const TYPING_PAUSE_MS = 400;
let formCount = 0;

function render({ model, el }) {
  formCount += 1;
  const uid = `ctg-lessons-${formCount}`;
  el.classList.add("ctg-lessons-form-box");
  const form = h("form", { className: "ctg-lessons-form", noValidate: true,
                           attrs: { "aria-label": "Lessons exercise for your project" },
                           on: { submit: (event) => event.preventDefault() } });
  el.append(form);
  let timer = null;
  let shape = "";

  const maxText = () => model.get("max_text") || 300;

  const element = (tag, className, text) => h(tag, { className: className || undefined, text });

  const help = (id, text) => h("p", { className: "ctg-help ctg-definition", id, text });

  // Read the whole form: the answers as the room sees them.
  const read = () => {
    const ticked = (group) => [...form.querySelectorAll(`input[data-group="${group}"]`)]
      .filter((box) => box.checked).map((box) => box.value);
    const how = {};
    for (const box of form.querySelectorAll("input[data-how]")) {
      if (box.value.trim()) { how[box.dataset.how] = box.value; }
    }
    const foundation = {};
    for (const radio of form.querySelectorAll("input[data-foundation]:checked")) {
      foundation[radio.dataset.foundation] = radio.value;
    }
    const name = form.querySelector("input[data-name]");
    return {
      name: name ? name.value : "",
      relationship_type: ticked("relationship_type"),
      mechanism: ticked("mechanism"),
      how,
      foundation,
      recommendation: ticked("recommendation"),
    };
  };

  const send = () => {
    window.clearTimeout(timer);
    timer = null;
    model.set("value", read());
    model.save_changes();
  };

  const sendSoon = () => {
    window.clearTimeout(timer);
    timer = window.setTimeout(send, TYPING_PAUSE_MS);
  };

  const textBox = (labelText, attribute, key, describedBy) => {
    const box = h("input", { type: "text", maxLength: maxText(), autocomplete: "off",
                             spellcheck: true, dataset: { [attribute]: key },
                             attrs: { "aria-describedby": describedBy || undefined },
                             on: { input: sendSoon, change: send } });
    return h("label", { className: "ctg-text-answer" },
             element("span", "ctg-text-label", labelText), box);
  };

  const tickBox = (group, option, prefix) => {
    const id = option.definition ? `${uid}-${group}-${option.id}` : undefined;
    const box = h("input", { type: "checkbox", value: option.id, dataset: { group },
                             attrs: { "aria-describedby": id }, on: { change: send } });
    const text = h("span", { className: "ctg-option-label" },
                   prefix ? element("b", "", prefix) : null, prefix ? " " : null, option.label);
    return h("div", { className: "ctg-answer" },
             h("label", { className: "ctg-option" }, box, text),
             id ? help(id, option.definition) : null);
  };

  const question = (className, legendText, lead) => {
    const fieldset = element("fieldset", `ctg-question ${className}`);
    fieldset.append(element("legend", "", legendText));
    if (lead) { fieldset.append(element("p", "ctg-help", lead)); }
    form.append(fieldset);
    return fieldset;
  };

  const build = () => {
    const q = model.get("questions") || {};
    form.replaceChildren();

    const project = question("ctg-q-name", "Your project");
    project.append(textBox("Your project's name (optional)", "name", "name"));

    const rel = question("ctg-q-relationships",
      "1. Which relationships does your project set out to change?", "Tick all that apply.");
    for (const option of q.relationships || []) {
      rel.append(tickBox("relationship_type", option));
    }

    const mech = question("ctg-q-mechanisms",
      "2. Which mechanisms do you intend to activate, and how?",
      "Tick each one you intend to activate, and say in a few words how.");
    for (const option of q.mechanisms || []) {
      const item = tickBox("mechanism", option);
      item.classList.add("ctg-mechanism-answer");
      item.append(textBox(`How will you activate “${option.label}”?`, "how", option.id));
      mech.append(item);
    }

    const found = question("ctg-q-foundations", "3. Which foundations are in place?",
      "For each foundation, choose one answer.");
    for (const option of q.foundations || []) {
      const group = element("fieldset", "ctg-radio-group");
      group.append(element("legend", "", option.label));
      const id = `${uid}-foundation-${option.id}`;
      if (option.definition) { group.append(help(id, option.definition)); }
      const row = element("div", "ctg-radios");
      for (const [level, text] of q.levels || []) {
        const radio = h("input", {
          type: "radio", name: `${uid}-foundation-${option.id}`, value: level,
          dataset: { foundation: option.id },
          attrs: { "aria-describedby": option.definition ? id : undefined },
          on: { change: send } });
        row.append(h("label", { className: "ctg-option" },
                     radio, element("span", "ctg-option-label", text)));
      }
      group.append(row);
      found.append(group);
    }

    const recs = q.recommendations || [];
    if (recs.length) {
      const rec = question("ctg-q-recommendations",
        "4. The evaluation's recommendations: which do you already do?",
        "Tick each one your project does.");
      for (const option of recs) {
        rec.append(tickBox("recommendation", option, "We do this:"));
      }
    }

    form.append(h("button", {
      type: "button", className: "ctg-button ctg-clear-answers", text: "Clear all answers",
      on: { click: () => {
        for (const box of form.querySelectorAll("input")) {
          if (box.type === "text") { box.value = ""; } else { box.checked = false; }
        }
        send();
      } },
    }));
  };

  // Show `value` in the form; a box the reader is typing in is left alone.
  const fill = () => {
    const value = model.get("value") || {};
    const sets = {
      relationship_type: new Set(value.relationship_type || []),
      mechanism: new Set(value.mechanism || []),
      recommendation: new Set(value.recommendation || []),
    };
    for (const box of form.querySelectorAll("input[data-group]")) {
      box.checked = sets[box.dataset.group].has(box.value);
    }
    for (const radio of form.querySelectorAll("input[data-foundation]")) {
      radio.checked = (value.foundation || {})[radio.dataset.foundation] === radio.value;
    }
    const texts = { ...(value.how || {}) };
    for (const box of form.querySelectorAll("input[type=text]")) {
      if (box === document.activeElement || timer) { continue; }
      box.value = box.dataset.name ? (value.name || "") : (texts[box.dataset.how] || "");
    }
  };

  const draw = () => {
    const next = JSON.stringify(model.get("questions") || {});
    if (next !== shape) { shape = next; build(); }
    fill();
  };

  model.on("change:questions", draw);
  model.on("change:value", fill);
  draw();
  return () => { window.clearTimeout(timer); };
}

export default { render };
