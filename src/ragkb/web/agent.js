// The file agent's panel (docs/api.md, "File agent"), shown only while the server names folders the
// agent may change (GET /api/agent/roots). The user picks a folder, types an instruction, reads the
// plan (each operation and why; what could not be planned), runs it or cancels, then sees what became
// of each operation and can undo the plan. Nothing on disk changes before "Run".

import * as api from "./api.js";
import { fill, h } from "./dom.js";
import { t } from "./i18n.js";

const MAX_REASON = 300;

/** Server messages written for the CLI (its flags, its commands), said for someone in this panel. */
const CLI_WORDS = [
  [/;?\s*\(?see:? (?:GET \/api\/agent\/roots|ragkb agent log)\)?/g, ""],
  [/,? or plan with an LLM \(--planner [^)]*\)/g, ""],
  [/give --root an existing folder/g, "choose an existing folder"],
  [/raise --max-operations/g, "split the instruction in parts"],
  [/give --kb/g, "choose a knowledge base"],
  [/with --kb/g, "with a knowledge base chosen"],
];

/** A server message as one short line without the CLI's flags. */
export function plainReason(text) {
  let line = String(text || "").split("\n")[0].trim();
  for (const [pattern, words] of CLI_WORDS) line = line.replace(pattern, words);
  return line.length > MAX_REASON ? `${line.slice(0, MAX_REASON - 1)}…` : line;
}

/** One readable line for a failed request; `step` is plan, run or undo. */
export function agentError(error, step) {
  const status = error?.status;
  const detail = String(error?.detail ?? error?.message ?? error);
  if (status === 0 || status === 401) return detail; // api.js already says these for people
  if (status === 403 && detail.includes("RAGKB_AGENT_ROOTS")) return t(detail.includes(" is off") ? "agent.error.off" : "agent.error.root");
  if (status === 403) return t("agent.error.key");
  if (status === 409) return t("agent.error.ran");
  if (detail.startsWith("nothing to undo")) return t("agent.error.nothingToUndo");
  return t(`agent.error.${step}`, { reason: plainReason(detail) });
}

const opName = (op) => {
  const key = `agent.op.${op}`;
  const name = t(key);
  return name === key ? op : name;
};

/** "a.log → archive/a.log" as path elements that wrap anywhere. */
function route(path, to) {
  return h("span", { class: "agent-route" }, path && h("code", {}, path), path && to && " → ", to && h("code", {}, to));
}

export class AgentPanel {
  constructor(root) {
    this.root = root;
    this.roots = [];
    this.kbs = [];
    this.draft = { root: "", kb: "", instruction: "" };
    this.clear();
  }

  /** Forget what the panel shows below the form (the form keeps its values). */
  clear() {
    Object.assign(this, { plan: null, report: null, error: "", busy: "" });
  }

  /** Ask the server which folders the agent may change; resolves to whether it is on for this caller. */
  async probe() {
    try {
      this.roots = (await api.peek("/api/agent/roots")).roots;
    } catch {
      this.roots = []; // off on this server, or not for this key: the tab is hidden
    }
    if (!this.roots.includes(this.draft.root)) this.draft.root = this.roots[0] ?? "";
    this.render();
    return this.roots.length > 0;
  }

  /** The knowledge bases one may choose to search the files' text, tag and keep in step. */
  setKbs(kbs) {
    const names = kbs.map((kb) => kb.name);
    if (names.join("\n") === this.kbs.join("\n")) return; // no re-render under someone typing
    this.kbs = names;
    if (!names.includes(this.draft.kb)) this.draft.kb = "";
    this.render();
  }

  /** Run `request()` with the panel busy saying `busyKey`; a failure becomes the panel's error line. */
  async step(busyKey, errorStep, request) {
    Object.assign(this, { error: "", busy: t(busyKey) });
    this.render();
    try {
      return await request();
    } catch (error) {
      this.error = agentError(error, errorStep);
      return null;
    } finally {
      this.busy = "";
      this.render();
    }
  }

  async makePlan() {
    const { root, kb, instruction } = this.draft;
    if (!instruction.trim()) return;
    this.clear();
    const body = { instruction: instruction.trim(), root, ...(kb ? { kb } : {}) };
    const plan = await this.step("agent.planning", "plan", () => api.post("/api/agent/plans", body));
    if (plan) this.plan = plan;
    this.render();
  }

  async run() {
    const plan = this.plan;
    const report = await this.step("agent.running", "run", () => api.post(`/api/agent/plans/${api.enc(plan.id)}/execute`));
    if (report) Object.assign(this, { plan: null, report });
    this.render();
  }

  async undo() {
    const report = await this.step("agent.undoing", "undo", () => api.post("/api/agent/undo"));
    if (report) Object.assign(this, { plan: null, report });
    this.render();
  }

  cancel() {
    this.clear();
    this.render();
  }

  render() {
    const busy = Boolean(this.busy);
    fill(
      this.root,
      h("div", { class: "agent-head" }, h("h3", {}, t("agent.title")), h("p", { class: "muted small" }, t("agent.hint"))),
      this.renderForm(busy),
      this.error && h("p", { class: "error-text agent-error", role: "alert" }, this.error),
      h("p", { class: "muted small agent-status", role: "status" }, this.busy),
      this.plan && this.renderPlan(this.plan, busy),
      this.report && this.renderReport(this.report, busy),
    );
    this.root.setAttribute("aria-busy", String(busy));
  }

  renderForm(busy) {
    const keep = (name) => (event) => (this.draft[name] = event.target.value);
    const option = (value, label, chosen) => h("option", { value, selected: value === chosen }, label);
    const instruction = h(
      "textarea",
      {
        name: "instruction",
        rows: 2,
        maxlength: 2000,
        placeholder: t("agent.placeholder"),
        oninput: keep("instruction"),
        onkeydown: (event) => {
          if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
            event.preventDefault();
            event.target.form.requestSubmit();
          }
        },
      },
      this.draft.instruction,
    );
    return h(
      "form",
      { class: "stack agent-form", autocomplete: "off", onsubmit: (event) => (event.preventDefault(), this.makePlan()) },
      h(
        "label",
        {},
        h("span", {}, t("agent.root")),
        h("select", { name: "root", onchange: keep("root") }, this.roots.map((root) => option(root, root, this.draft.root))),
      ),
      h(
        "label",
        {},
        h("span", {}, t("agent.kb")),
        h("select", { name: "kb", onchange: keep("kb") }, option("", t("agent.noKb"), this.draft.kb), this.kbs.map((kb) => option(kb, kb, this.draft.kb))),
      ),
      h("label", {}, h("span", {}, t("agent.instruction")), instruction),
      h(
        "div",
        { class: "agent-actions" },
        h("button", { type: "button", class: "link small agent-undo-last", disabled: busy, onclick: () => this.undo() }, t("agent.undoLast")),
        h("button", { type: "submit", class: "primary", disabled: busy }, t("agent.plan")),
      ),
    );
  }

  renderPlan(plan, busy) {
    const count = plan.operations.length;
    const deletes = plan.operations.some((op) => op.op === "delete");
    const operation = (op) =>
      h(
        "li",
        { class: "agent-op", dataset: { op: op.op } },
        h("div", { class: "agent-op-line" }, h("span", { class: `badge op op-${op.op}` }, opName(op.op)), " ", route(op.path, op.to)),
        op.tags.length > 0 && h("div", { class: "small" }, t("agent.tags", { tags: op.tags.join(", ") })),
        op.content != null && h("div", { class: "muted small" }, t("agent.content", { count: op.content.length })),
        op.reason && h("div", { class: "muted small agent-reason" }, op.reason),
      );
    return h(
      "section",
      { class: "agent-card agent-plan", dataset: { plan: plan.id } },
      h("div", { class: "agent-card-title" }, t("agent.planTitle", { count }), h("span", { class: "muted small" }, t("agent.planner", { planner: plan.planner === "rules" ? t("agent.rules") : plan.planner }))),
      count ? h("ol", { class: "agent-ops" }, plan.operations.map(operation)) : h("p", { class: "empty" }, t("agent.nothing")),
      plan.notes.length > 0 &&
        h("div", { class: "agent-notes" }, h("h4", {}, t("agent.notes")), h("ul", {}, plan.notes.map((note) => h("li", {}, plainReason(note))))),
      count > 0 && h("p", { class: "muted small" }, t("agent.confirmHint")),
      h(
        "div",
        { class: "agent-actions" },
        h("button", { type: "button", class: "agent-cancel", disabled: busy, onclick: () => this.cancel() }, t(count ? "common.cancel" : "common.close")),
        count > 0 &&
          h("button", { type: "button", class: `agent-run ${deletes ? "primary danger-fill" : "primary"}`, disabled: busy, onclick: () => this.run() }, t("agent.run", { count })),
      ),
    );
  }

  renderReport(report, busy) {
    const counts = { done: 0, skipped: 0, failed: 0 };
    for (const result of report.results) counts[result.status] += 1;
    const state = counts.failed ? "failed" : counts.skipped ? "partial" : "done";
    const result = (r) =>
      h(
        "li",
        { class: `agent-op status-${r.status}`, dataset: { status: r.status, op: r.op } },
        h(
          "div",
          { class: "agent-op-line" },
          h("span", { class: `badge ${r.status}` }, t(`agent.status.${r.status}`)),
          " ",
          h("span", { class: "agent-op-kind" }, opName(r.op)),
          " ",
          route(r.path, r.to),
        ),
        r.detail && h("div", { class: r.status === "done" ? "muted small" : "error-text small" }, plainReason(r.detail)),
        r.text != null && h("pre", { class: "agent-text" }, r.text),
      );
    const title = report.undo ? t("agent.undoneTitle", counts) : t("agent.resultTitle", counts);
    return h(
      "section",
      { class: `agent-card agent-report ${state}`, dataset: { state, undo: String(report.undo) } },
      h("div", { class: "agent-card-title" }, title),
      report.results.length ? h("ol", { class: "agent-ops" }, report.results.map(result)) : h("p", { class: "empty" }, t("agent.nothingDone")),
      report.recovered.length > 0 &&
        h("div", { class: "agent-notes" }, h("h4", {}, t("agent.recovered")), h("ul", {}, report.recovered.map((line) => h("li", {}, line)))),
      report.backup && h("p", { class: "muted small agent-backup" }, t("agent.backup", { folder: report.backup })),
      h(
        "div",
        { class: "agent-actions" },
        h("button", { type: "button", class: "agent-close", disabled: busy, onclick: () => this.cancel() }, t("common.close")),
        !report.undo && counts.done > 0 && h("button", { type: "button", class: "agent-undo", disabled: busy, onclick: () => this.undo() }, t("agent.undo")),
      ),
    );
  }
}
