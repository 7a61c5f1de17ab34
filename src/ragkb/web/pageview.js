// The page behind a citation: the page of a PDF or image file (GET /api/kbs/{kb}/files/{id}/pages/{n}.png)
// with the quoted passage's boxes (fractions of the page, docs/api.md "Page images") drawn over it,
// and a button that opens the original file. Images come through api.blob: they need the API key
// like every request, which an <img src> could not send. Its strings are its own, in both UI languages.

import * as api from "./api.js";
import { h } from "./dom.js";
import { language } from "./i18n.js";

const STRINGS = {
  en: {
    title: "On the page",
    alt: "Page {page} of {file} with the quoted passage highlighted",
    loading: "Drawing the page…",
    ocr: "Text read from the page's image (OCR): the highlight follows its lines.",
    original: "Open the original file",
  },
  zh: {
    title: "原文页面",
    alt: "{file} 第 {page} 页，引文已高亮",
    loading: "正在绘制页面…",
    ocr: "该页文字由图像识别（OCR）得到，高亮按识别出的行显示。",
    original: "打开原始文件",
  },
};
const PAGE_WIDTH = 1000; // pixels asked of the server: sharp in the panel, small to send

function s(key, params = {}) {
  const text = (STRINGS[language()] ?? STRINGS.en)[key];
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** The boxes to highlight: the quote's (a citation's), else the passage's; those of its first page.
 * A table cell stored without its box (before migration 0009) still has its page, shown unmarked. */
export function pageBoxes(citation, hit) {
  const boxes = citation?.boxes?.length ? citation.boxes : hit?.boxes ?? [];
  if (!boxes.length) return { page: citation?.cell ? citation.page ?? null : null, boxes: [] };
  const page = boxes[0].page;
  return { page, boxes: boxes.filter((box) => box.page === page) };
}

/** The figure for `hit` (a chunk from GET /chunks/{id}; null for a table cell) cited by `citation` in
 * knowledge base `kb`, or null when it has no place on a page (a Markdown file, a chunk indexed before
 * page boxes, a cell of a Word table). */
export function pageView(kb, citation, hit, { onError }) {
  const { page, boxes } = pageBoxes(citation, hit);
  const fileId = hit?.file_id ?? citation.file_id;
  if (page == null || fileId == null) return null;
  const base = `/api/kbs/${api.enc(kb)}/files/${api.enc(fileId)}`;
  const sheet = h("div", { class: "page-sheet" }, h("p", { class: "muted" }, s("loading")));
  const marks = boxes.map((box) =>
    h("div", {
      class: "page-mark",
      style: `left:${box.x0 * 100}%;top:${box.y0 * 100}%;width:${(box.x1 - box.x0) * 100}%;height:${(box.y1 - box.y0) * 100}%`,
    }),
  );
  api
    .blob(`${base}/pages/${page}.png?width=${PAGE_WIDTH}`)
    .then((image) => {
      const img = h("img", { class: "page-image", alt: s("alt", { page, file: citation.file }), src: URL.createObjectURL(image) });
      img.addEventListener("load", () => marks[0]?.scrollIntoView({ block: "center" }), { once: true });
      sheet.replaceChildren(img, ...marks);
    })
    .catch((error) => {
      sheet.replaceChildren(h("p", { class: "error-text" }, error.detail ?? String(error)));
      onError(error);
    });
  const open = async () => {
    try {
      const file = await api.blob(`${base}/original`);
      const url = URL.createObjectURL(file);
      window.open(file.type === "application/pdf" ? `${url}#page=${page}` : url, "_blank", "noopener");
    } catch (error) {
      onError(error);
    }
  };
  return h(
    "section",
    { class: "page-view", dataset: { page } },
    h("h4", {}, s("title")),
    boxes.some((box) => box.ocr) && h("p", { class: "muted small" }, s("ocr")),
    h("div", { class: "page-frame" }, sheet),
    h("button", { type: "button", class: "link small page-original", onclick: open }, s("original")),
  );
}
