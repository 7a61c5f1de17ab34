// The files panel of one knowledge base: its summary, uploads (upload progress, then the
// ingestion job's progress and report: failed when no file could be indexed, partial when some
// could not) and its files with status, errors, re-index and delete; files still being uploaded or
// indexed are listed as such.

import * as api from "./api.js";
import { h, fill } from "./dom.js";
import { baseName, formatBytes, t } from "./i18n.js";

const LANGUAGE_NAMES = { auto: "kb.languageAuto", zh: "kb.languageZh", en: "kb.languageEn" };
const percent = (part, whole) => (whole ? Math.round((100 * part) / whole) : 0);

/** A file's error without its own name in front ("a.pdf: cannot parse…" shown beside a.pdf). */
export function errorWithoutName(error, name) {
  const text = String(error || "");
  return text.startsWith(`${name}: `) ? text.slice(name.length + 2) : text;
}

/** done, partial (some files failed) or failed (every file that was tried failed). */
export function reportState(report) {
  const count = (key) => report?.[key]?.length ?? 0;
  const failed = count("failed");
  if (!failed) return "done";
  return count("added") + count("updated") + count("skipped") ? "partial" : "failed";
}

const active = (task) => !task.error && task.job?.state !== "done" && task.job?.state !== "failed";

export class FilesPanel {
  /** `onChanged()` follows any change of the KB's files; `onDeleteKb()` asks to delete the KB. */
  constructor(root, { onError, onChanged, onDeleteKb }) {
    this.info = root.querySelector("#kb-info");
    this.uploadBox = root.querySelector("#upload");
    this.tasksList = root.querySelector("#tasks");
    this.list = root.querySelector("#file-list");
    Object.assign(this, { onError, onChanged, onDeleteKb });
    this.kb = null;
    this.files = [];
    this.tasks = [];
    const input = root.querySelector("#file-input");
    input.addEventListener("change", () => {
      if (input.files.length) this.upload([...input.files]);
      input.value = "";
    });
    const drop = root.querySelector("#dropzone");
    drop.addEventListener("dragover", (event) => {
      event.preventDefault();
      drop.classList.add("dragging");
    });
    drop.addEventListener("dragleave", () => drop.classList.remove("dragging"));
    drop.addEventListener("drop", (event) => {
      event.preventDefault();
      drop.classList.remove("dragging");
      if (event.dataTransfer.files.length) this.upload([...event.dataTransfer.files]);
    });
  }

  /** Show knowledge base `name` (null: none). */
  async load(name) {
    this.name = name;
    this.kb = null;
    this.files = [];
    this.render();
    if (name) await this.reload();
  }

  async reload() {
    const name = this.name;
    try {
      const [kb, files] = await Promise.all([api.get(`/api/kbs/${api.enc(name)}`), api.get(`/api/kbs/${api.enc(name)}/files`)]);
      if (this.name !== name) return;
      Object.assign(this, { kb, files });
    } catch (error) {
      this.onError(error);
    }
    this.render();
  }

  render() {
    this.uploadBox.hidden = !this.name;
    this.renderInfo();
    this.renderTasks();
  }

  /** The KB's files, with those of uploads and re-indexes still under way marked as pending. */
  renderList() {
    if (!this.name) return fill(this.list);
    const pending = new Set(this.tasks.filter((task) => task.kb === this.name && active(task)).flatMap((task) => task.files));
    const listed = new Set(this.files.map((f) => f.name));
    const waiting = [...pending].filter((name) => !listed.has(name));
    if (!this.files.length && !waiting.length) return fill(this.list, h("li", { class: "empty" }, t("files.none")));
    fill(
      this.list,
      this.files.map((f) => this.renderFile(f, pending.has(f.name))),
      waiting.map((name) => this.renderPending(name)),
    );
  }

  renderPending(name) {
    return h(
      "li",
      { class: "file status-pending", dataset: { name } },
      h("div", { class: "file-main" }, h("span", { class: "file-name" }, name), h("span", { class: "badge pending" }, t("files.status.pending"))),
    );
  }

  renderInfo() {
    if (!this.name) return fill(this.info, h("p", { class: "empty" }, t("kb.none")));
    const kb = this.kb;
    fill(
      this.info,
      h(
        "div",
        { class: "kb-head" },
        h("h3", {}, this.name),
        h("button", { type: "button", class: "danger small", onclick: () => this.onDeleteKb(this.name) }, t("kb.delete")),
      ),
      kb?.description && h("p", { class: "muted" }, kb.description),
      kb &&
        h(
          "p",
          { class: "kb-stats" },
          t("kb.stats", {
            files: t("count.files", { count: kb.files }),
            chunks: t("count.chunks", { count: kb.chunks }),
            failed: t("count.failed", { count: kb.failed_files }),
          }),
        ),
      kb && h("p", { class: "muted small" }, t("kb.settings", { language: t(LANGUAGE_NAMES[kb.settings.language] ?? kb.settings.language), embedder: kb.settings.embedder === "auto" ? t("kb.embedderAuto") : kb.settings.embedder })),
    );
  }

  renderFile(file, pending = false) {
    const meta = [t("count.chunks", { count: file.chunks }), formatBytes(file.size), file.loader && file.loader, file.version && `v${file.version}`];
    return h(
      "li",
      { class: `file status-${file.status}`, dataset: { name: file.name } },
      h(
        "div",
        { class: "file-main" },
        h("span", { class: "file-name", title: file.path }, file.name),
        pending ? h("span", { class: "badge pending" }, t("files.status.pending")) : h("span", { class: `badge ${file.status}` }, t(`files.status.${file.status}`)),
      ),
      h("div", { class: "file-meta muted small" }, meta.filter(Boolean).join(" · ")),
      file.error && h("p", { class: "error-text small" }, errorWithoutName(file.error, file.name)),
      h(
        "div",
        { class: "file-actions" },
        h("button", { type: "button", class: "small", onclick: () => this.reindex(file) }, t("files.reindex")),
        h("button", { type: "button", class: "small danger", onclick: () => this.remove(file) }, t("files.delete")),
      ),
    );
  }

  renderTasks() {
    fill(this.tasksList, this.tasks.filter((task) => task.kb === this.name).map((task) => this.renderTask(task)));
    this.renderList();
  }

  renderTask(task) {
    const dismiss = h("button", { type: "button", class: "link small", onclick: () => this.dismiss(task) }, t("tasks.dismiss"));
    const bar = (value, max) => h("progress", { value, max: max || 1 });
    const title = h("div", { class: "task-title" }, t(task.title, task.params));
    const job = task.job;
    let body;
    if (task.error) body = [h("p", { class: "error-text" }, task.error), dismiss];
    else if (!job) body = [h("div", {}, t("tasks.uploading", { percent: percent(task.loaded, task.total) })), bar(task.loaded, task.total)];
    else if (job.state === "queued") body = [h("div", {}, t("tasks.queued")), bar(0, 1)];
    else if (job.state === "running") {
      const progress = t("tasks.indexing", { done: job.done, total: job.total, current: job.current || "" });
      body = [h("div", {}, progress), bar(job.done, job.total)];
    } else if (job.state === "failed") body = [h("p", { class: "error-text" }, job.error || t("tasks.failed")), dismiss];
    else body = [this.renderReport(job.report), dismiss];
    let state = task.error || job?.state === "failed" ? "failed" : job?.state || "uploading";
    if (state === "done") state = reportState(job.report);
    return h("li", { class: `task ${state}`, dataset: { state } }, title, body);
  }

  renderReport(report) {
    const counts = Object.fromEntries(["added", "updated", "skipped", "failed"].map((key) => [key, report?.[key]?.length ?? 0]));
    const summary = reportState(report) === "failed" ? t("tasks.allFailed", { count: counts.failed }) : t("tasks.done", counts);
    const failure = (f) => {
      const name = baseName(f.path);
      return h("p", { class: "error-text small" }, h("strong", {}, name), " ", errorWithoutName(f.error, name));
    };
    return h("div", { class: "report" }, h("div", {}, summary), (report?.failed || []).map(failure));
  }

  dismiss(task) {
    this.tasks = this.tasks.filter((other) => other !== task);
    this.renderTasks();
  }

  /** Upload `files` to the current KB and follow the ingestion job it starts. */
  async upload(files) {
    const names = files.map((f) => f.name);
    const params = { count: files.length, names: names.join(", ") };
    const task = { kb: this.name, title: "tasks.uploadTitle", params, files: names, loaded: 0, total: 1 };
    this.tasks.unshift(task);
    this.renderTasks();
    try {
      const accepted = await api.upload(`/api/kbs/${api.enc(task.kb)}/files`, files, (loaded, total) => {
        Object.assign(task, { loaded, total });
        this.renderTasks();
      });
      task.loaded = task.total;
      await this.follow(task, accepted.job_id);
    } catch (error) {
      task.error = error.detail || String(error);
      this.renderTasks();
      this.onError(error);
    }
  }

  async follow(task, jobId) {
    task.job = { state: "queued" };
    this.renderTasks();
    const finished = await api.followJob(jobId, (job) => {
      if (job.state === "done" || job.state === "failed") return; // shown once the list has its files
      task.job = job;
      this.renderTasks();
    });
    if (task.kb === this.name) await this.reload();
    task.job = finished;
    this.renderTasks();
    this.onChanged(task.kb);
  }

  async reindex(file) {
    const task = { kb: this.name, title: "tasks.reindexTitle", params: { name: file.name }, files: [file.name] };
    this.tasks.unshift(task);
    this.renderTasks();
    try {
      const accepted = await api.post(`/api/kbs/${api.enc(task.kb)}/files/${api.enc(file.id)}/reindex`);
      await this.follow(task, accepted.job_id);
    } catch (error) {
      task.error = error.detail || String(error);
      this.renderTasks();
      this.onError(error);
    }
  }

  async remove(file) {
    if (!window.confirm(t("files.confirmDelete", { name: file.name }))) return;
    try {
      await api.del(`/api/kbs/${api.enc(this.name)}/files/${api.enc(file.id)}`);
      await this.reload();
      this.onChanged(this.name);
    } catch (error) {
      this.onError(error);
    }
  }
}
