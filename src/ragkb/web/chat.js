// The conversation: history of a session, streamed answers, [n] markers that open their source.

import * as api from "./api.js";
import { h, fill } from "./dom.js";
import { sourceLabel, t } from "./i18n.js";

const MARKER = /\[(\d{1,3})\]/g;

/** A new session name such as chat-20250131-1425-k3f9 (the server creates it with its first question). */
export function newSessionName(now = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  const date = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}`;
  const suffix = Math.random().toString(36).slice(2, 6);
  return `chat-${date}-${pad(now.getHours())}${pad(now.getMinutes())}-${suffix}`;
}

export class Chat {
  /** `onCite(citation)` opens a source; `onAnswered(session)` follows a stored turn. */
  constructor(root, { onCite, onError, onAnswered }) {
    this.list = root.querySelector("#messages");
    this.title = root.querySelector("#chat-title");
    this.form = root.querySelector("#ask-form");
    this.input = root.querySelector("#question");
    this.button = root.querySelector("#ask-button");
    Object.assign(this, { onCite, onError, onAnswered });
    this.kb = null;
    this.session = null;
    this.messages = [];
    this.busy = false;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.submit();
    });
    this.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        this.submit();
      }
    });
  }

  /** Show session `session` of `kb`; its history is loaded when the server already has it. */
  async open(kb, session, stored) {
    Object.assign(this, { kb, session, messages: [] });
    const opening = (this.opening = Symbol("open"));
    this.render();
    if (!kb || !session || !stored) return;
    try {
      const data = await api.get(`/api/kbs/${api.enc(kb)}/sessions/${api.enc(session)}`);
      if (this.opening !== opening) return;
      this.messages = data.messages;
      this.render();
    } catch (error) {
      this.onError(error);
    }
  }

  render() {
    this.title.textContent = this.kb ? `${this.kb} · ${this.session || t("chat.newSession")}` : t("app.title");
    this.input.disabled = !this.kb;
    this.button.disabled = !this.kb || this.busy;
    this.button.textContent = t(this.busy ? "chat.answering" : "chat.send");
    if (!this.kb) return fill(this.list, h("p", { class: "empty" }, t("chat.noKb")));
    if (!this.messages.length) return fill(this.list, h("p", { class: "empty" }, t("chat.empty")));
    fill(this.list, this.messages.map((m) => this.renderMessage(m)));
    this.scrollToEnd();
  }

  scrollToEnd() {
    this.list.scrollTop = this.list.scrollHeight;
  }

  renderMessage(m) {
    if (m.role === "user") {
      const rewritten = m.query && m.query !== m.content;
      return h(
        "div",
        { class: "msg user" },
        h("div", { class: "bubble" }, m.content),
        rewritten && h("div", { class: "msg-meta" }, t("chat.searchedFor", { query: m.query })),
      );
    }
    const citations = m.citations || [];
    const classes = ["msg", "assistant", m.refused && "refused", m.error && "failed", m.streaming && "streaming"];
    return h(
      "div",
      { class: classes.filter(Boolean).join(" "), "aria-busy": m.streaming ? "true" : null },
      h(
        "div",
        { class: "bubble" },
        h("div", { class: "answer-text" }, this.answerBody(m.content || "", citations)),
        m.streaming && h("span", { class: "cursor", "aria-hidden": "true" }),
        m.error && h("p", { class: "error-text" }, m.error),
        citations.length > 0 &&
          h(
            "div",
            { class: "sources" },
            h("div", { class: "sources-title" }, t("chat.sources")),
            h(
              "ol",
              {},
              citations.map((c) =>
                h("li", {}, this.citeButton(c, `[${c.number}]`, "cite"), " ", this.citeButton(c, sourceLabel(c), "source-link")),
              ),
            ),
          ),
      ),
      m.generator && h("div", { class: "msg-meta" }, this.generatorNote(m)),
    );
  }

  generatorNote(m) {
    const notes = [t("chat.answeredBy", { generator: m.generator })];
    if (m.computations && m.computations.length) notes.push(t("chat.computed"));
    if (m.fallback_from != null) notes.push(t("chat.fallback"));
    if (m.dropped_citations) notes.push(t("chat.dropped", { count: m.dropped_citations }));
    return notes.join(" · ");
  }

  citeButton(citation, label, cls) {
    return h(
      "button",
      { type: "button", class: cls, title: sourceLabel(citation), dataset: { number: citation.number }, onclick: () => this.onCite(citation) },
      label,
    );
  }

  /** The answer with each [n] that has a citation turned into a button; other text stays text. */
  answerBody(text, citations) {
    const byNumber = new Map(citations.map((c) => [c.number, c]));
    const parts = [];
    let last = 0;
    for (const match of text.matchAll(MARKER)) {
      const citation = byNumber.get(Number(match[1]));
      if (!citation) continue;
      parts.push(text.slice(last, match.index), this.citeButton(citation, match[0], "cite"));
      last = match.index + match[0].length;
    }
    parts.push(text.slice(last));
    return parts;
  }

  async submit() {
    const question = this.input.value.trim();
    if (!question || this.busy || !this.kb) return;
    if (!this.session) this.session = newSessionName();
    const { kb, session } = this;
    const asked = { role: "user", content: question };
    const reply = { role: "assistant", content: "", streaming: true };
    this.messages.push(asked, reply);
    this.input.value = "";
    this.busy = true;
    this.render();
    const rerender = (message) => {
      const index = this.messages.indexOf(message);
      if (index >= 0) this.list.children[index]?.replaceWith(this.renderMessage(message));
      this.scrollToEnd();
    };
    try {
      const answer = await api.askStream(kb, { question, session }, {
        meta: ({ query }) => {
          asked.query = query;
          rerender(asked);
        },
        token: (piece) => {
          reply.content += piece;
          const index = this.messages.indexOf(reply);
          const text = index >= 0 && this.list.children[index]?.querySelector(".answer-text");
          if (text) text.textContent = reply.content;
          this.scrollToEnd();
        },
      });
      Object.assign(reply, { content: answer.answer, citations: answer.citations, refused: answer.refused });
      Object.assign(reply, { generator: answer.generator, fallback_from: answer.fallback_from, dropped_citations: answer.dropped_citations });
      Object.assign(reply, { computations: answer.computations });
      this.onAnswered(session);
    } catch (error) {
      reply.error = error.detail || String(error);
      this.onError(error);
    } finally {
      reply.streaming = false;
      this.busy = false;
      this.render();
    }
  }
}
