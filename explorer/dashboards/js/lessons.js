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
  const form = document.createElement("form");
  form.className = "ctg-lessons-form";
  form.setAttribute("aria-label", "Lessons exercise for your project");
  form.noValidate = true;
  form.addEventListener("submit", (event) => event.preventDefault());
  el.append(form);
  let timer = null;
  let shape = "";

  const maxText = () => model.get("max_text") || 300;

  const element = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  };

  const help = (id, text) => {
    const node = element("p", "ctg-help ctg-definition", text);
    node.id = id;
    return node;
  };

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
    const label = element("label", "ctg-text-answer");
    const caption = element("span", "ctg-text-label", labelText);
    const box = document.createElement("input");
    box.type = "text";
    box.maxLength = maxText();
    box.autocomplete = "off";
    box.spellcheck = true;
    box.dataset[attribute] = key;
    if (describedBy) { box.setAttribute("aria-describedby", describedBy); }
    box.addEventListener("input", sendSoon);
    box.addEventListener("change", send);
    label.append(caption, box);
    return label;
  };

  const tickBox = (group, option, prefix) => {
    const wrap = element("div", "ctg-answer");
    const label = element("label", "ctg-option");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = option.id;
    box.dataset.group = group;
    const text = element("span", "ctg-option-label");
    if (prefix) { text.append(element("b", "", prefix)); text.append(" "); }
    text.append(option.label);
    label.append(box, text);
    wrap.append(label);
    if (option.definition) {
      const id = `${uid}-${group}-${option.id}`;
      box.setAttribute("aria-describedby", id);
      wrap.append(help(id, option.definition));
    }
    box.addEventListener("change", send);
    return wrap;
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
        const label = element("label", "ctg-option");
        const radio = document.createElement("input");
        radio.type = "radio";
        radio.name = `${uid}-foundation-${option.id}`;
        radio.value = level;
        radio.dataset.foundation = option.id;
        if (option.definition) { radio.setAttribute("aria-describedby", id); }
        radio.addEventListener("change", send);
        label.append(radio, element("span", "ctg-option-label", text));
        row.append(label);
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

    const clear = element("button", "ctg-button ctg-clear-answers", "Clear all answers");
    clear.type = "button";
    clear.addEventListener("click", () => {
      for (const box of form.querySelectorAll("input")) {
        if (box.type === "text") { box.value = ""; } else { box.checked = false; }
      }
      send();
    });
    form.append(clear);
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
