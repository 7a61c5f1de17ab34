// Small DOM helpers. Text always goes in as text nodes, never as HTML, so file names,
// passages and answers cannot inject markup.

function nodes(children) {
  return children.flat(Infinity).filter((c) => c != null && c !== false).map((c) => (c instanceof Node ? c : String(c)));
}

/** Create an element: h("button", {class: "x", onclick: fn}, "label", childElement). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value == null || value === false) continue;
    if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
    else if (key === "class") el.className = value;
    else if (key === "dataset") Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? "" : String(value));
  }
  el.append(...nodes(children));
  return el;
}

/** Replace all children of `el`. */
export function fill(el, ...children) {
  el.replaceChildren(...nodes(children));
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);
