// UI language (zh/en): the chosen one is kept in localStorage, the default follows navigator.language.

import { STRINGS } from "./strings.js";

export const LANGUAGES = Object.keys(STRINGS);
const STORAGE = "ragkb.lang";
const listeners = [];

function initialLanguage() {
  const stored = localStorage.getItem(STORAGE);
  if (LANGUAGES.includes(stored)) return stored;
  return (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
}

let current = initialLanguage();

export const language = () => current;

/** The string `key` in the current language, with {name} placeholders filled from `params`;
 * with `params.count === 1` the key's singular form (`key.one`) where the language has one. */
export function t(key, params = {}) {
  const singular = params.count === 1 ? STRINGS[current][`${key}.one`] : undefined;
  const text = singular ?? STRINGS[current][key] ?? STRINGS.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in params ? String(params[name]) : whole));
}

/** Translate the static markup: data-i18n (text) and data-i18n-{placeholder,title,aria-label}. */
export function translatePage(root = document) {
  document.documentElement.lang = current === "zh" ? "zh-CN" : "en";
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const attr of ["placeholder", "title", "aria-label"]) {
    for (const el of root.querySelectorAll(`[data-i18n-${attr}]`)) el.setAttribute(attr, t(el.getAttribute(`data-i18n-${attr}`)));
  }
}

export function setLanguage(lang) {
  current = LANGUAGES.includes(lang) ? lang : "en";
  localStorage.setItem(STORAGE, current);
  translatePage();
  for (const listener of listeners) listener(current);
}

export const onLanguageChange = (listener) => listeners.push(listener);

const locale = () => (current === "zh" ? "zh-CN" : "en");

/** A server timestamp in local time; one without a zone is UTC (the catalog stores naive UTC). */
export function formatDate(iso) {
  if (!iso) return "";
  const zoned = /(Z|[+-]\d\d:?\d\d)$/.test(iso) ? iso : `${iso}Z`;
  const date = new Date(zoned);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString(locale(), { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

export function formatBytes(bytes) {
  const units = ["B", "KB", "MB", "GB"];
  let value = Number(bytes) || 0;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${new Intl.NumberFormat(locale(), { maximumFractionDigits: unit ? 1 : 0 }).format(value)} ${units[unit]}`;
}

export const baseName = (path) => String(path || "").split(/[\\/]/).pop();

/** A source's short name: its file's name, or a web page's host. */
export const sourceName = ({ file, url }) => (url ? new URL(url).hostname : baseName(file));

/** "name.pdf · p. 3 · Chapter › Section" for a citation or hit ("host · page title" for a web page). */
export function sourceLabel({ file, page, section, cell, url }) {
  const parts = [sourceName({ file, url })];
  if (page != null) parts.push(t("source.pageShort", { page }));
  if (section && section.length) parts.push(section.join(" › "));
  if (cell) parts.push(`${cell.row_label} | ${cell.column_header}`);
  return parts.join(" · ");
}
