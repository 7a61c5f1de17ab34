// Entry point: wires the sidebar, chat, files, source and file agent panels to the API and keeps the
// chosen knowledge base and session in the URL (#kb=...&session=...).

import { AgentPanel } from "./agent.js";
import * as api from "./api.js";
import { Chat, newSessionName } from "./chat.js";
import { $ } from "./dom.js";
import { FilesPanel } from "./files.js";
import { language, onLanguageChange, setLanguage, t, translatePage } from "./i18n.js";
import { askForKey } from "./keydialog.js";
import { showError } from "./notify.js";
import { PersonaEditor } from "./persona.js";
import { Sidebar } from "./sidebar.js";
import { SourcePanel } from "./sources.js";

const state = { kbs: [], kb: null, sessions: [], session: null };

const sidebar = new Sidebar($(".sidebar"), {
  onSelectKb: (name) => selectKb(name),
  onCreateKb: createKb,
  onSelectSession: selectSession,
  onNewChat: newChat,
  onDeleteSession: deleteSession,
});
const chat = new Chat($(".chat"), { onCite: openCitation, onError: showError, onAnswered: refreshSessions });
const files = new FilesPanel($("#files-panel"), { onError: showError, onChanged: refreshKbs, onDeleteKb: deleteKb });
const source = new SourcePanel($("#source-panel"), { onError: showError });
const persona = new PersonaEditor($("#persona-editor"), { onError: showError });
const agent = new AgentPanel($("#agent-panel"));

function showTab(name) {
  for (const tab of document.querySelectorAll("[role=tab]")) {
    const selected = tab.dataset.tab === name;
    tab.setAttribute("aria-selected", String(selected));
    $(`#${tab.getAttribute("aria-controls")}`).hidden = !selected;
  }
}

function remember() {
  const params = new URLSearchParams();
  if (state.kb) params.set("kb", state.kb);
  if (state.session) params.set("session", state.session);
  history.replaceState(null, "", `#${params}`);
}

async function refreshKbs() {
  try {
    state.kbs = await api.get("/api/kbs");
  } catch (error) {
    showError(error);
  }
  sidebar.renderKbs(state.kbs, state.kb);
  agent.setKbs(state.kbs);
}

/** The file agent's tab is there only while the server lets this caller use the agent. */
async function refreshAgent() {
  const tab = $("#tab-agent");
  tab.hidden = !(await agent.probe());
  if (tab.hidden && tab.getAttribute("aria-selected") === "true") showTab("files");
}

async function selectKb(name, session = null) {
  Object.assign(state, { kb: name, session: null, sessions: [] });
  sidebar.renderKbs(state.kbs, name);
  source.clear();
  files.load(name);
  persona.load(name);
  await refreshSessions();
  if (state.kb !== name) return;
  const stored = state.sessions.find((s) => s.name === session) ?? state.sessions[0];
  if (stored) selectSession(stored.name);
  else if (name) newChat();
  else {
    chat.open(null, null, false);
    remember();
  }
}

/** Reload the KB's sessions from the server, keeping the current one listed even before its first question. */
async function refreshSessions() {
  const kb = state.kb;
  let stored = [];
  try {
    if (kb) stored = await api.get(`/api/kbs/${api.enc(kb)}/sessions`);
  } catch (error) {
    showError(error);
  }
  if (state.kb !== kb) return;
  const sessions = stored.map((s) => ({ ...s, stored: true })).sort((a, b) => String(b.updated_at).localeCompare(String(a.updated_at)));
  if (state.session && !sessions.some((s) => s.name === state.session)) sessions.unshift({ name: state.session, stored: false });
  state.sessions = sessions;
  sidebar.renderSessions(sessions, state.session);
}

function selectSession(name) {
  state.session = name;
  sidebar.renderSessions(state.sessions, name);
  chat.open(state.kb, name, Boolean(state.sessions.find((s) => s.name === name)?.stored));
  remember();
}

/** A new, unsaved chat; the list is read again, since a stopped answer is stored once the server notices the stop. */
function newChat() {
  const name = newSessionName();
  state.sessions = [{ name, stored: false }, ...state.sessions.filter((s) => s.stored)];
  selectSession(name);
  $("#question").focus();
  refreshSessions();
}

async function deleteSession(session) {
  if (!window.confirm(t("sessions.confirmDelete", { name: session.name }))) return;
  try {
    if (session.stored) await api.del(`/api/kbs/${api.enc(state.kb)}/sessions/${api.enc(session.name)}`);
  } catch (error) {
    return showError(error);
  }
  state.sessions = state.sessions.filter((s) => s.name !== session.name);
  if (state.session !== session.name) return sidebar.renderSessions(state.sessions, state.session);
  const next = state.sessions.find((s) => s.stored);
  if (next) selectSession(next.name);
  else newChat();
}

async function createKb(body) {
  try {
    await api.post("/api/kbs", body);
  } catch (error) {
    showError(error);
    return false;
  }
  await refreshKbs();
  await selectKb(body.name);
  showTab("files");
  return true;
}

async function deleteKb(name) {
  if (!window.confirm(t("kb.confirmDelete", { name }))) return;
  try {
    await api.del(`/api/kbs/${api.enc(name)}`);
  } catch (error) {
    return showError(error);
  }
  await refreshKbs();
  await selectKb(state.kbs[0]?.name ?? null);
}

const narrow = window.matchMedia("(max-width: 640px)");

/** Show a citation's source; on a narrow screen the panel is below the chat, so scroll to it. */
function openCitation(citation, button) {
  showTab("source");
  source.show(state.kb, citation, button);
  if (narrow.matches) $(".panel").scrollIntoView({ behavior: "smooth", block: "start" });
}

async function start() {
  api.setKeyProvider(askForKey);
  translatePage();
  const languageSelect = $("#language");
  languageSelect.value = language();
  languageSelect.addEventListener("change", () => setLanguage(languageSelect.value));
  onLanguageChange(() => {
    sidebar.renderKbs();
    sidebar.renderSessions();
    chat.render();
    files.render();
    source.render();
    persona.render();
    agent.render();
  });
  $("#key-button").addEventListener("click", async () => {
    const key = await askForKey(t("key.manual"));
    if (key === null) return;
    api.setApiKey(key);
    await refreshKbs();
    await refreshAgent();
    if (!state.kbs.some((kb) => kb.name === state.kb)) await selectKb(state.kbs[0]?.name ?? null);
  });
  for (const tab of document.querySelectorAll("[role=tab]")) tab.addEventListener("click", () => showTab(tab.dataset.tab));
  api.get("/api/health").then(({ version }) => ($("#version").textContent = `v${version}`), showError);

  const wanted = new URLSearchParams(location.hash.slice(1));
  await refreshKbs();
  await refreshAgent();
  const kb = state.kbs.find((k) => k.name === wanted.get("kb")) ?? state.kbs[0];
  $("#kb-create").open = !kb;
  await selectKb(kb?.name ?? null, wanted.get("session"));
  document.body.dataset.ready = "true";
}

start();
