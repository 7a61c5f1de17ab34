"""API keys in the web UI: a 401 asks for a key, says why in words for people (no key yet, or the key
was refused; not the API's text for programs), keeps the key in localStorage["ragkb.apiKey"] and
sends it as Bearer from then on."""

from __future__ import annotations

import json

from playwright.sync_api import expect


def test_a_401_asks_for_the_api_key_and_keeps_it(open_ui, server, screenshot):
    server.ragkb("kb", "create", "secret", "--set", "embedder=none")
    server.ragkb("kb", "create", "other", "--set", "embedder=none")
    key = json.loads(server.ragkb("keys", "create", "browser", "--kb", "secret", "--json"))["key"]
    missing = server.request("GET", "/api/kbs").json()["detail"]
    assert "Authorization: Bearer" in missing  # for programs; the dialog says it for people

    ui = open_ui(wait_until_ready=False)
    page = ui.page
    dialog = page.locator("#key-dialog")
    expect(dialog).to_be_visible()
    expect(page.locator("#key-message")).to_have_text("This server needs an API key. Paste the key you were given.")
    screenshot(page, "auth-1-key-dialog")

    page.fill("#key-input", "wrong")
    page.click("#key-dialog button[value=save]")
    expect(page.locator("#key-message")).to_have_text(
        "The server did not accept this key: it is unknown or was revoked. Check it, or ask for a new one."
    )
    screenshot(page, "auth-2-key-refused")
    page.fill("#key-input", key)
    page.click("#key-dialog button[value=save]")
    expect(dialog).to_be_hidden()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator(".kb-item .item-name")).to_have_text(["secret"])
    assert page.evaluate("localStorage.getItem('ragkb.apiKey')") == key

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(dialog).to_be_hidden()
    expect(page.locator(".kb-item .item-name")).to_have_text(["secret"])
