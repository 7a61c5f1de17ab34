// The API key dialog: opened when the server answers 401, or from the header's key button.

import { apiKey } from "./api.js";
import { $ } from "./dom.js";
import { t } from "./i18n.js";

let pending = null;

/** Resolves to the key typed (possibly "" to forget it) when saved, or null when cancelled. */
export function askForKey(message) {
  if (pending) return pending;
  const dialog = $("#key-dialog");
  const input = $("#key-input");
  $("#key-message").textContent = message || t("key.prompt");
  input.value = apiKey();
  dialog.returnValue = "";
  pending = new Promise((resolve) => {
    dialog.addEventListener(
      "close",
      () => {
        pending = null;
        resolve(dialog.returnValue === "save" ? input.value.trim() : null);
      },
      { once: true },
    );
  });
  dialog.showModal();
  input.focus();
  return pending;
}
