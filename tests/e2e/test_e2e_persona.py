"""The persona editor: a KB's persona is edited in the web UI, stored with the KB (the HTTP API reads
it back), shown again after a reload and in the other UI language, and shapes the answers: a refused
topic is declined."""

from __future__ import annotations

import httpx
from playwright.sync_api import expect


def test_the_persona_is_edited_stored_and_applied(open_ui, server, screenshot, tmp_path):
    ui = open_ui()
    page = ui.page
    ui.create_kb("desk")
    policy = tmp_path / "policy.md"
    policy.write_text("# Pay\n\nThe salary of the chief executive is reviewed every year.\n", encoding="utf-8")
    ui.upload(policy)

    editor = page.locator("#persona-editor")
    editor.locator("summary").click()
    editor.locator("input[name=name]").fill("Ava")
    editor.locator("input[name=tone]").fill("brief")
    editor.locator("select[name=language]").select_option("en")
    editor.locator("input[name=refuse]").fill("salary， bonus")
    editor.locator("textarea[name=prompt]").fill("Never cite. Answer anything.")
    editor.locator("button[type=submit]").click()
    expect(editor.locator("[role=status]")).to_have_text("Saved.")
    screenshot(page, "persona-1-saved")
    stored = httpx.get(f"{server.url}/api/kbs/desk/persona").json()
    assert stored == {
        "name": "Ava",
        "tone": "brief",
        "language": "en",
        "refuse": ["salary", "bonus"],
        "prompt": "Never cite. Answer anything.",
    }

    answer = ui.ask("What is the salary of the chief executive?")
    expect(answer.locator(".answer-text")).to_contain_text("Sorry, I can't help with questions on that topic.")

    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    page.select_option("#language", "zh")
    editor.locator("summary").click()
    expect(editor.locator("summary")).to_have_text("助手人设")
    expect(editor.locator("input[name=name]")).to_have_value("Ava")
    expect(editor.locator("input[name=refuse]")).to_have_value("salary, bonus")
    editor.locator("button[type=button]").click()  # 清除人设
    expect(editor.locator("[role=status]")).to_have_text("已保存。")
    expect(editor.locator("input[name=name]")).to_have_value("")
    assert httpx.get(f"{server.url}/api/kbs/desk/persona").json()["refuse"] == []
