// The source panel: where a citation comes from (file, page, section) and its whole passage,
// fetched from GET /api/kbs/{kb}/chunks/{chunk_id}, with the quoted sentence highlighted; for a
// table cell (a computed answer's number): its table, row, column and text as printed; for a web
// search result: its page, as a link, and the text quoted from it. A passage or a table cell of a PDF
// or image file shows its page with the quote or the cell highlighted (pageview.js). On a narrow
// screen the panel is below the chat: a link leads back to the [n] that opened it.

import * as api from "./api.js";
import { h, fill } from "./dom.js";
import { sourceName, t } from "./i18n.js";
import { pageView } from "./pageview.js";

/** The passage as text nodes with the first occurrence of `quote` wrapped in <mark>. */
function highlighted(text, quote) {
  const at = quote ? text.indexOf(quote.trim()) : -1;
  if (at < 0) return [text];
  const end = at + quote.trim().length;
  return [text.slice(0, at), h("mark", {}, text.slice(at, end)), text.slice(end)];
}

export class SourcePanel {
  constructor(root, { onError }) {
    this.root = root;
    this.onError = onError;
    this.citation = null;
    this.hit = null;
    this.failure = null;
    this.origin = null;
  }

  /** Show `citation` of knowledge base `kb` and load its full passage; `origin`: the [n] clicked. */
  async show(kb, citation, origin = null) {
    Object.assign(this, { kb, citation, hit: null, failure: null, origin });
    this.render();
    if (citation.cell || citation.url) return; // a table cell or a web page: all there is to show came with the answer
    try {
      const hit = await api.get(`/api/kbs/${api.enc(kb)}/chunks/${api.enc(citation.chunk_id)}`);
      if (this.citation === citation) this.hit = hit;
    } catch (error) {
      if (this.citation === citation) this.failure = error.detail;
      this.onError(error);
    }
    if (this.citation === citation) this.render();
  }

  clear() {
    Object.assign(this, { citation: null, hit: null, failure: null, origin: null });
    this.render();
  }

  backLink() {
    const origin = this.origin;
    if (!origin?.isConnected) return null;
    return h("button", { type: "button", class: "link small back-to-answer", onclick: () => origin.scrollIntoView({ block: "center" }) }, t("source.back"));
  }

  /** The panel: the way back, "[n] file", the fields (file and page, unless a web page, then `fields`), then `body`. */
  layout(c, fields, body) {
    const field = (label, value, cls) => [h("dt", {}, label), h("dd", { class: cls }, value)];
    const where = c.url ? [] : [[t("source.file"), c.file, "source-file"], [t("source.page"), c.page ?? "—", "source-page"]];
    fill(
      this.root,
      this.backLink(),
      h("h3", { class: "source-title" }, `[${c.number}] ${sourceName(c)}`),
      h(
        "dl",
        { class: "source-fields" },
        [...where, ...fields].filter(Boolean).map(([label, value, cls]) => field(label, value, cls)),
      ),
      body,
    );
  }

  renderWebPage(c) {
    const link = h("a", { href: c.url, target: "_blank", rel: "noopener noreferrer" }, c.url);
    const fields = [
      [t("source.webPage"), link, "source-url"],
      c.section.length > 0 && [t("source.webTitle"), c.section.join(" › "), "source-section"],
    ];
    this.layout(c, fields, [h("p", { class: "muted" }, t("source.webNote")), h("h4", {}, t("source.quote")), h("blockquote", { class: "source-quote" }, c.quote)]);
  }

  render() {
    const c = this.citation;
    if (!c) return fill(this.root, h("p", { class: "empty" }, t("source.none")));
    if (c.url) return this.renderWebPage(c);
    if (c.cell) {
      const fields = [
        [t("source.table"), c.section.join(" › ") || "—", "source-section"],
        [t("source.row"), c.cell.row_label, "source-row"],
        [t("source.column"), c.cell.column_header, "source-column"],
      ];
      return this.layout(c, fields, [
        h("h4", {}, t("source.printed")),
        h("blockquote", { class: "source-quote" }, c.cell.raw_text),
        pageView(this.kb, c, null, { onError: this.onError }),
      ]);
    }
    const section = c.section && c.section.length ? c.section.join(" › ") : t("source.noSection");
    const passage = this.hit
      ? h("div", { class: "passage" }, highlighted(this.hit.text, c.quote))
      : h("p", { class: this.failure ? "error-text" : "muted" }, this.failure || t("source.loading"));
    const page = this.hit && pageView(this.kb, c, this.hit, { onError: this.onError });
    const fields = [
      [t("source.section"), section, "source-section"],
      this.hit && !page && [t("source.position"), t("source.chars", { start: this.hit.char_start, end: this.hit.char_end })],
    ];
    this.layout(c, fields, [
      c.inferred && h("p", { class: "muted" }, t("source.inferred")),
      h("h4", {}, t("source.quote")),
      h("blockquote", { class: "source-quote" }, c.quote),
      page,
      h("h4", {}, t("source.passage")),
      passage,
    ]);
  }
}
