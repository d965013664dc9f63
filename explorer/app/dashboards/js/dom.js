// One small helper that every widget module uses to build its DOM (widgets.py puts this
// file in front of each module). h(tag, props, ...children):
//   props.text    → textContent (text is never parsed as HTML)
//   props.attrs   → setAttribute for each entry (aria-*, role, scope …)
//   props.dataset → data-* attributes
//   props.on      → addEventListener for each entry
//   anything else → the element's own property (className, type, value, title, tabIndex …)
// Children that are null, undefined or false are left out; strings become text nodes.

function h(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null) { continue; }
    if (key === "text") {
      node.textContent = value;
    } else if (key === "attrs") {
      for (const [name, attr] of Object.entries(value)) {
        if (attr !== undefined && attr !== null) { node.setAttribute(name, attr); }
      }
    } else if (key === "dataset") {
      Object.assign(node.dataset, value);
    } else if (key === "on") {
      for (const [event, handler] of Object.entries(value)) {
        node.addEventListener(event, handler);
      }
    } else {
      node[key] = value;
    }
  }
  node.append(...children.filter((child) => child !== null && child !== undefined &&
                                            child !== false));
  return node;
}

// What a matrix cell's count counts, in words (the same as explorer.html.count_text).
function countText(rated, records) {
  if (!records) { return ""; }
  if (rated === 0 || rated === records) {
    return `${records} record${records === 1 ? "" : "s"}`;
  }
  return `${rated} rated of ${records} records`;
}
