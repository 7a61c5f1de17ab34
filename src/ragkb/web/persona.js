// The persona editor of one knowledge base (docs/api.md, "Personas"): the assistant's name, tone,
// answer language, refused topics and instructions, read from GET /api/kbs/{kb}/persona and saved
// with PATCH /api/kbs/{kb} (settings.persona). Its strings are its own, in both UI languages.

import * as api from "./api.js";
import { fill, h } from "./dom.js";
import { language } from "./i18n.js";

const STRINGS = {
  en: {
    title: "Assistant persona",
    name: "Name",
    tone: "Tone",
    tonePlaceholder: "e.g. friendly and brief",
    language: "Answer language",
    auto: "The question's",
    zh: "Chinese",
    en: "English",
    refuse: "Topics to decline (comma-separated)",
    prompt: "Instructions",
    hint: "Style only: answers still cite their sources and refuse what the files do not say.",
    save: "Save",
    reset: "Remove persona",
    saved: "Saved.",
  },
  zh: {
    title: "助手人设",
    name: "名字",
    tone: "语气",
    tonePlaceholder: "例如：亲切、简洁",
    language: "回答语言",
    auto: "与提问相同",
    zh: "中文",
    en: "英文",
    refuse: "拒绝回答的话题（用逗号分隔）",
    prompt: "补充说明",
    hint: "只影响说话方式：回答仍会标注来源，资料中没有的内容仍会拒答。",
    save: "保存",
    reset: "清除人设",
    saved: "已保存。",
  },
};

const say = (key) => (STRINGS[language()] ?? STRINGS.en)[key];
const EMPTY = { name: null, tone: null, language: null, refuse: [], prompt: null };

/** The persona a form holds: empty fields are null, topics split on commas (both widths). */
export function personaFrom(form) {
  const text = (name) => form.elements[name].value.trim() || null;
  const topics = form.elements.refuse.value.split(/[,，、]/).map((topic) => topic.trim()).filter(Boolean);
  return { name: text("name"), tone: text("tone"), language: text("language"), refuse: topics, prompt: text("prompt") };
}

export class PersonaEditor {
  constructor(root, { onError }) {
    Object.assign(this, { root, onError });
    this.kb = null;
    this.persona = null;
    this.status = "";
  }

  /** Show knowledge base `name`'s persona (null: none chosen). */
  async load(name) {
    Object.assign(this, { kb: name, persona: null, status: "" });
    this.render();
    if (!name) return;
    try {
      const persona = await api.get(`/api/kbs/${api.enc(name)}/persona`);
      if (this.kb === name) this.persona = persona;
    } catch (error) {
      this.onError(error);
    }
    this.render();
  }

  async save(persona) {
    const name = this.kb;
    try {
      const kb = await api.patch(`/api/kbs/${api.enc(name)}`, { settings: { persona } });
      if (this.kb !== name) return;
      Object.assign(this, { persona: kb.settings.persona, status: say("saved") });
    } catch (error) {
      this.onError(error);
    }
    this.render();
  }

  render() {
    this.root.hidden = !this.persona;
    if (!this.persona) return fill(this.root);
    const p = this.persona;
    const field = (key, input) => h("label", {}, h("span", {}, say(key)), input);
    const option = (value, key) => h("option", { value, selected: (p.language ?? "") === value }, say(key));
    const form = h(
      "form",
      { class: "stack", autocomplete: "off", onsubmit: (event) => (event.preventDefault(), this.save(personaFrom(form))) },
      field("name", h("input", { name: "name", maxlength: 100, value: p.name ?? "" })),
      field("tone", h("input", { name: "tone", maxlength: 300, value: p.tone ?? "", placeholder: say("tonePlaceholder") })),
      field("language", h("select", { name: "language" }, option("", "auto"), option("zh", "zh"), option("en", "en"))),
      field("refuse", h("input", { name: "refuse", value: p.refuse.join(", ") })),
      field("prompt", h("textarea", { name: "prompt", rows: 3, maxlength: 4000 }, p.prompt ?? "")),
      h("p", { class: "muted small" }, say("hint")),
      h(
        "div",
        { class: "dialog-actions" },
        h("button", { type: "button", onclick: () => this.save(EMPTY) }, say("reset")),
        h("button", { type: "submit", class: "primary" }, say("save")),
      ),
      h("p", { class: "muted small", role: "status" }, this.status),
    );
    const open = this.root.querySelector("details")?.open ?? false;
    fill(this.root, h("details", { open }, h("summary", {}, say("title")), form));
  }
}
