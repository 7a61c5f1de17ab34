// Answers as Markdown: parsed by marked, with raw HTML shown as text (a quoted document or a model
// may write "<key>" or "<script>"), then sanitized by DOMPurify to the tags Markdown makes (no
// images: they would load from anywhere), and each [n] outside code turned into a citation button.

import { Marked } from "./vendor/marked.esm.js";
import DOMPurify from "./vendor/purify.es.mjs";

const MARKER = /\[(\d{1,3})\]/g;
const escapeHtml = (text) => text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

const parser = new Marked({ gfm: true, breaks: true, renderer: { html: ({ text }) => escapeHtml(text) } });

const SANITIZE = {
  ALLOWED_TAGS: ["p", "br", "strong", "em", "del", "code", "pre", "blockquote", "ul", "ol", "li", "hr", "a"]
    .concat(["h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td"]),
  ALLOWED_ATTR: ["href", "title", "start", "align"],
  RETURN_DOM_FRAGMENT: true,
};

/** Replace the [n] markers of text nodes (not in code) with `cite(number, marker)`'s element, where it gives one. */
function linkMarkers(root, cite) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  const texts = [];
  while (walker.nextNode()) if (!walker.currentNode.parentElement?.closest("code, pre")) texts.push(walker.currentNode);
  for (const node of texts) {
    const text = node.nodeValue;
    const parts = [];
    let last = 0;
    for (const match of text.matchAll(MARKER)) {
      const button = cite(Number(match[1]), match[0]);
      if (!button) continue;
      parts.push(text.slice(last, match.index), button);
      last = match.index + match[0].length;
    }
    if (!parts.length) continue;
    parts.push(text.slice(last));
    node.replaceWith(...parts.filter((part) => part !== ""));
  }
}

/** `text` (Markdown) as sanitized DOM nodes; `cite(number, marker)` makes a marker's button or returns null. */
export function renderMarkdown(text, cite) {
  const fragment = DOMPurify.sanitize(parser.parse(text, { async: false }), SANITIZE);
  for (const link of fragment.querySelectorAll("a[href]")) {
    link.target = "_blank";
    link.rel = "noopener noreferrer";
  }
  linkMarkers(fragment, cite);
  return fragment;
}
