// Visible errors: each one a toast with the server's `detail`, until closed or timed out.

import { $, h } from "./dom.js";
import { t } from "./i18n.js";

const LIFETIME_MS = 15000;

export function showError(error) {
  const text = error?.detail ?? error?.message ?? String(error);
  const toast = h(
    "div",
    { class: "toast error", role: "alert" },
    h("span", { class: "toast-text" }, text),
    h("button", { type: "button", class: "icon", "aria-label": t("common.close"), onclick: () => toast.remove() }, "×"),
  );
  $("#toasts").append(toast);
  setTimeout(() => toast.remove(), LIFETIME_MS);
}
