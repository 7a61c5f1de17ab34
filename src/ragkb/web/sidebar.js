// The sidebar: knowledge bases (list and create form) and the chat sessions of the chosen one.

import { h, fill } from "./dom.js";
import { formatDate, t } from "./i18n.js";

export class Sidebar {
  constructor(root, handlers) {
    this.kbList = root.querySelector("#kb-list");
    this.sessionList = root.querySelector("#session-list");
    this.newChat = root.querySelector("#new-chat");
    this.handlers = handlers;
    this.kbs = [];
    this.sessions = [];
    const form = root.querySelector("#kb-form");
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const settings = { language: data.get("language") };
      const embedder = data.get("embedder").trim();
      if (embedder) settings.embedder = embedder;
      const created = await handlers.onCreateKb({ name: data.get("name").trim(), description: data.get("description").trim(), settings });
      if (created) {
        form.reset();
        root.querySelector("#kb-create").open = false;
      }
    });
    this.newChat.addEventListener("click", () => handlers.onNewChat());
  }

  renderKbs(kbs = this.kbs, current = this.kb) {
    Object.assign(this, { kbs, kb: current });
    this.newChat.disabled = !current;
    if (!kbs.length) return fill(this.kbList, h("li", { class: "empty" }, t("kb.empty")));
    fill(
      this.kbList,
      kbs.map((kb) => {
        const meta = t("kb.short", { files: t("count.files", { count: kb.files }), chunks: t("count.chunks", { count: kb.chunks }) });
        return h("li", {}, item("kb-item", { kb: kb.name }, kb.name === current, kb.name, meta, () => this.handlers.onSelectKb(kb.name)));
      }),
    );
  }

  renderSessions(sessions = this.sessions, current = this.session) {
    Object.assign(this, { sessions, session: current });
    if (!this.kb) return fill(this.sessionList);
    if (!sessions.length) return fill(this.sessionList, h("li", { class: "empty" }, t("sessions.empty")));
    fill(
      this.sessionList,
      sessions.map((s) => {
        const meta = s.stored ? t("sessions.meta", { count: s.messages, date: formatDate(s.updated_at) }) : t("sessions.unsaved");
        const remove = h(
          "button",
          {
            type: "button",
            class: "icon danger",
            title: t("sessions.delete"),
            "aria-label": t("sessions.deleteNamed", { name: s.name }),
            onclick: () => this.handlers.onDeleteSession(s),
          },
          "×",
        );
        const select = () => this.handlers.onSelectSession(s.name);
        return h("li", { class: "session-row" }, item("session-item", { session: s.name }, s.name === current, s.name, meta, select), remove);
      }),
    );
  }
}

/** A list entry: its name and a line of details; aria-current marks the chosen one. */
function item(kind, dataset, chosen, name, meta, onclick) {
  return h(
    "button",
    { type: "button", class: `item ${kind}`, "aria-current": chosen ? "true" : null, dataset, onclick },
    h("span", { class: "item-name" }, name),
    h("span", { class: "item-meta" }, meta),
  );
}
