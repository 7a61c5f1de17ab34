// The ragkb HTTP API (docs/api.md): JSON requests, uploads with progress, streamed answers.
// A 401 asks the user for an API key (kept in localStorage) and retries with it as Bearer.

import { t } from "./i18n.js";
import { readEvents } from "./sse.js";

const KEY_STORAGE = "ragkb.apiKey";

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
    this.detail = detail;
  }
}

let keyProvider = null;

/** `provider(message)` resolves to a new key, or null when the user gives up; `message` says why in
 * words for people (no key yet, or the one sent was refused), not the API's text for programs. */
export function setKeyProvider(provider) {
  keyProvider = provider;
}

export function apiKey() {
  return localStorage.getItem(KEY_STORAGE) || "";
}

export function setApiKey(key) {
  if (key) localStorage.setItem(KEY_STORAGE, key);
  else localStorage.removeItem(KEY_STORAGE);
}

function authHeaders() {
  const key = apiKey();
  return key ? { Authorization: `Bearer ${key}` } : {};
}

/** The one line to show for an error body: {"detail": "..."}, or FastAPI's list of validation errors. */
export function detailOf(status, text) {
  let detail;
  try {
    detail = JSON.parse(text).detail;
  } catch {
    detail = undefined;
  }
  if (typeof detail === "string") return detail;
  if (Array.isArray(detail) && detail.length) {
    return detail.map((d) => [(d.loc || []).filter((p) => p !== "body").join("."), d.msg].filter(Boolean).join(": ")).join("; ");
  }
  return (text || "").trim().slice(0, 300) || `HTTP ${status}`;
}

/** Run `attempt()` (which resolves to {status, text?}) again with a new key while the server answers
 * 401; with `askForKey` false a 401 fails at once, the user not asked. */
async function authorized(attempt, askForKey = true) {
  for (;;) {
    const sent = Boolean(apiKey());
    const result = await attempt();
    if (result.status !== 401) return result;
    const message = t(sent ? "key.rejected" : "key.prompt");
    const key = askForKey && keyProvider ? await keyProvider(message) : null;
    if (!key) throw new ApiError(401, message);
    setApiKey(key);
  }
}

async function send(method, path, { json, headers = {}, signal, askForKey = true } = {}) {
  const init = { method, headers: { ...headers }, signal };
  if (json !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(json);
  }
  let response;
  try {
    response = await authorized(() => fetch(path, { ...init, headers: { ...init.headers, ...authHeaders() } }), askForKey);
  } catch (error) {
    if (error instanceof ApiError || error.name === "AbortError") throw error;
    throw new ApiError(0, t("error.network"));
  }
  if (!response.ok) throw new ApiError(response.status, detailOf(response.status, await response.text()));
  return response;
}

async function request(method, path, json, options = {}) {
  const response = await send(method, path, { json, ...options });
  return response.status === 204 ? null : response.json();
}

export const get = (path) => request("GET", path);
/** GET for an optional part of the UI: a 401 fails without asking the user for a key. */
export const peek = (path) => request("GET", path, undefined, { askForKey: false });
/** GET a file (a page image, an original file) as a Blob, with the API key like any request. */
export const blob = async (path) => (await send("GET", path)).blob();
export const post = (path, json) => request("POST", path, json ?? {});
export const patch = (path, json) => request("PATCH", path, json);
export const del = (path) => request("DELETE", path);

export const enc = encodeURIComponent;

/** POST files as multipart field `files`; `onProgress(loaded, total)` follows the upload. */
export async function upload(path, files, onProgress) {
  const form = new FormData();
  for (const file of files) form.append("files", file, file.name);
  const xhr = await authorized(
    () =>
      new Promise((resolve, reject) => {
        const req = new XMLHttpRequest();
        req.open("POST", path);
        for (const [name, value] of Object.entries(authHeaders())) req.setRequestHeader(name, value);
        req.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded, e.total);
        req.onload = () => resolve(Object.assign(req, { text: async () => req.responseText }));
        req.onerror = () => reject(new ApiError(0, t("error.network")));
        req.send(form);
      }),
  );
  if (xhr.status < 200 || xhr.status >= 300) throw new ApiError(xhr.status, detailOf(xhr.status, xhr.responseText));
  return JSON.parse(xhr.responseText);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll GET /api/jobs/{id} until the job is done or failed; `onUpdate(job)` sees every state. */
export async function followJob(jobId, onUpdate, intervalMs = 400) {
  for (;;) {
    const job = await get(`/api/jobs/${enc(jobId)}`);
    onUpdate(job);
    if (job.state === "done" || job.state === "failed") return job;
    await sleep(intervalMs);
  }
}

/**
 * Ask with `stream: true` and follow the SSE answer: `on.meta({query, session})`, `on.token(text)`
 * for each piece, then resolves to the final Answer. An `error` event rejects with its detail;
 * aborting `signal` closes the stream (the server stops generating) and rejects with an AbortError.
 */
export async function askStream(kb, body, on, signal) {
  const response = await send("POST", `/api/kbs/${enc(kb)}/ask`, {
    json: { ...body, stream: true },
    headers: { Accept: "text/event-stream" },
    signal,
  });
  if (!(response.headers.get("Content-Type") || "").startsWith("text/event-stream")) return response.json();
  for await (const { event, data } of readEvents(response.body)) {
    const payload = JSON.parse(data);
    if (event === "meta") on.meta?.(payload);
    else if (event === "token") on.token?.(payload.text);
    else if (event === "answer") return payload;
    else if (event === "error") throw new ApiError(200, payload.detail);
  }
  throw new ApiError(0, t("error.streamEnded"));
}
