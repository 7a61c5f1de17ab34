// The conversation: history of a session, streamed answers rendered as Markdown with [n] markers
// that open their source, stop / regenerate / copy, and the analysis of a table answer. The server
// stores each turn with what the answer showed (citations, analysis, formulas, SQL), a stopped one
// with its text so far, marked stopped; a regenerated answer replaces the last turn there too.

import { analysisView } from "./analysis.js";
import * as api from "./api.js";
import { h, fill } from "./dom.js";
import { sourceLabel, t } from "./i18n.js";
import { renderMarkdown } from "./markdown.js";

const ANSWER_FIELDS = ["citations", "refused", "generator", "fallback_from", "dropped_citations", "computations", "analysis", "route", "sql"];
const COPIED_MS = 2000;

/** A new session name such as chat-20250131-1425-k3f9 (the server creates it with its first question). */
export function newSessionName(now = new Date()) {
  const pad = (n) => String(n).padStart(2, "0");
  const date = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}`;
  const suffix = Math.random().toString(36).slice(2, 6);
  return `chat-${date}-${pad(now.getHours())}${pad(now.getMinutes())}-${suffix}`;
}

const byNumber = (citations) => [...(citations || [])].sort((a, b) => a.number - b.number);

/** An answer as it is copied: its text, then its sources one a line as "[n] file · page · section". */
export function answerAsText(message) {
  const sources = byNumber(message.citations).map((c) => `[${c.number}] ${sourceLabel(c)}`);
  return sources.length ? `${message.content}\n\n${t("chat.sources")}:\n${sources.join("\n")}` : message.content;
}

async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // no clipboard API outside a secure context (http:// on a LAN address): the selection way below
  }
  const area = h("textarea", { style: "position: fixed; opacity: 0", "aria-hidden": "true" }, text);
  document.body.append(area);
  area.select();
  const copied = document.execCommand("copy");
  area.remove();
  if (!copied) throw new Error(t("chat.copyFailed"));
}

export class Chat {
  /** `onCite(citation, button)` opens a source; `onAnswered(session)` follows a stored turn. */
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
    this.controller = null;
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      if (this.busy) this.stop();
      else this.submit();
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
    this.stop();
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
    this.button.disabled = !this.kb;
    this.button.textContent = t(this.busy ? "chat.stop" : "chat.send");
    this.button.classList.toggle("stop", this.busy);
    if (!this.kb) return fill(this.list, h("p", { class: "empty" }, t("chat.noKb")));
    if (!this.messages.length) return fill(this.list, h("p", { class: "empty" }, t("chat.empty")));
    fill(this.list, this.messages.map((m) => this.renderMessage(m)));
    this.scrollToEnd();
  }

  scrollToEnd() {
    this.list.scrollTop = this.list.scrollHeight;
  }

  /** Render `message` again in place (during and after its answer). */
  rerender(message) {
    const index = this.messages.indexOf(message);
    if (index >= 0) this.list.children[index]?.replaceWith(this.renderMessage(message));
    this.scrollToEnd();
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
    const citations = byNumber(m.citations);
    const note = m.streaming ? "" : this.generatorNote(m);
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
        analysisView({ ...m, citations }, (c) => this.citeButton(c, `[${c.number}]`, "cite")),
        citations.length > 0 &&
          h(
            "div",
            { class: "sources" },
            h("div", { class: "sources-title" }, t("chat.sources")),
            h(
              "ol",
              {},
              citations.map((c) =>
                h("li", { dataset: { number: c.number } }, this.citeButton(c, `[${c.number}]`, "cite"), this.citeButton(c, sourceLabel(c), "source-link")),
              ),
            ),
          ),
      ),
      !m.streaming && this.actions(m),
      note ? h("div", { class: "msg-meta" }, note) : null,
    );
  }

  /** Copy (the answer with its sources) and, for the last answer, regenerate. */
  actions(m) {
    const last = this.messages[this.messages.length - 1] === m;
    const copy = h("button", { type: "button", class: "small action-copy", onclick: () => this.copy(m, copy) }, t("chat.copy"));
    const regenerate = h("button", { type: "button", class: "small action-regenerate", onclick: () => this.regenerate(m) }, t("chat.regenerate"));
    const buttons = [m.content && copy, last && !this.busy && regenerate].filter(Boolean);
    return buttons.length ? h("div", { class: "msg-actions" }, buttons) : null;
  }

  async copy(m, button) {
    try {
      await copyText(answerAsText(m));
    } catch (error) {
      return this.onError(error);
    }
    button.textContent = t("chat.copied");
    setTimeout(() => (button.textContent = t("chat.copy")), COPIED_MS);
  }

  generatorNote(m) {
    const notes = [];
    if (m.stopped) notes.push(t("chat.stopped"));
    if (m.generator) notes.push(t("chat.answeredBy", { generator: m.generator }));
    if (m.computations && m.computations.length) notes.push(t("chat.computed"));
    if (m.fallback_from != null) notes.push(t("chat.fallback"));
    if (m.dropped_citations) notes.push(t("chat.dropped", { count: m.dropped_citations }));
    return notes.join(" · ");
  }

  citeButton(citation, label, cls) {
    const button = h(
      "button",
      { type: "button", class: cls, title: sourceLabel(citation), dataset: { number: citation.number }, onclick: () => this.cite(citation, button) },
      label,
    );
    return button;
  }

  /** Mark the cited source in its answer's list and open it. */
  cite(citation, button) {
    const message = button.closest(".msg");
    for (const item of message?.querySelectorAll(".sources li") ?? []) item.classList.toggle("current", item.dataset.number === String(citation.number));
    this.onCite(citation, button);
  }

  /** The answer as Markdown, each [n] that has a citation a button; other markers stay text. */
  answerBody(text, citations) {
    const numbered = new Map(citations.map((c) => [c.number, c]));
    return renderMarkdown(text, (number, marker) => {
      const citation = numbered.get(number);
      return citation ? this.citeButton(citation, marker, "cite") : null;
    });
  }

  submit() {
    const question = this.input.value.trim();
    if (!question || this.busy || !this.kb) return;
    this.input.value = "";
    const asked = { role: "user", content: question };
    this.messages.push(asked);
    return this.answer(asked);
  }

  /** Answer the question of `reply` again, in its place (the server replaces the stored turn too). */
  regenerate(reply) {
    const index = this.messages.indexOf(reply);
    const asked = this.messages[index - 1];
    if (this.busy || index < 1 || asked.role !== "user") return;
    this.messages.splice(index, 1);
    return this.answer(asked, { regenerate: true });
  }

  /** Stop the answer being streamed: the request is aborted, which stops the server's generation. */
  stop() {
    this.controller?.abort();
  }

  /** Ask `asked` in the session; `regenerate` replaces the session's last turn (which asked it). */
  async answer(asked, { regenerate = false } = {}) {
    if (!this.session) this.session = newSessionName();
    const { kb, session } = this;
    const reply = { role: "assistant", content: "", streaming: true };
    this.messages.push(reply);
    const controller = (this.controller = new AbortController());
    this.busy = true;
    this.render();
    try {
      const handlers = {
        meta: ({ query }) => {
          asked.query = query;
          this.rerender(asked);
        },
        token: (piece) => {
          reply.content += piece;
          const index = this.messages.indexOf(reply);
          const text = index >= 0 && this.list.children[index]?.querySelector(".answer-text");
          if (text) fill(text, this.answerBody(reply.content, []));
          this.scrollToEnd();
        },
      };
      const body = { question: asked.content, session, ...(regenerate && { regenerate }) };
      const answer = await api.askStream(kb, body, handlers, controller.signal);
      reply.content = answer.answer;
      for (const field of ANSWER_FIELDS) reply[field] = answer[field];
      this.onAnswered(session);
    } catch (error) {
      if (error.name === "AbortError") {
        reply.stopped = true; // the server stores the turn as it was, marked stopped
        this.onAnswered(session);
      } else {
        reply.error = error.detail || String(error);
        this.onError(error);
      }
    } finally {
      reply.streaming = false;
      if (this.controller === controller) {
        this.controller = null;
        this.busy = false;
      }
      this.render();
    }
  }
}
