"""What a session keeps of its turns, seen after a reload: a table answer's analysis (formula,
operands, cells), a regenerated answer once (not beside the old one), and a stopped first answer
as the stopped turn it was, never an empty session. Answers by the fake model of
tests/e2e/fake_llm.py over KB "samples", like test_e2e_answers.py."""

from __future__ import annotations

import re
import time

from playwright.sync_api import expect
from test_e2e_answers import SLOW, llm, server  # noqa: F401 (the fake model and the server answering with it)
from test_e2e_tables import report_kb

STORED_WITHIN_S = 30
"""How long the server may take to store a stopped turn: it notices the client went away at its next token."""


def reload(page) -> None:
    page.reload()
    page.wait_for_selector("body[data-ready=true]")


def samples_chat(open_ui):
    """The web UI with a new chat of KB "samples" open."""
    ui = open_ui()
    ui.page.click('.kb-item[data-kb="samples"]')
    ui.new_chat()
    return ui


def current_session(page) -> str:
    return page.locator(".session-item[aria-current=true]").get_attribute("data-session")


def test_a_table_answers_analysis_is_shown_again_after_a_reload(open_ui, screenshot, tmp_path):
    ui = report_kb(open_ui(), "reports", tmp_path)
    page = ui.page
    answer = ui.ask("2022年星海科技的销售费用率是多少？保留两位小数")
    expect(answer.locator(".analysis .computation-result")).to_have_text("销售费用率 = 5.27%")

    reload(page)
    expect(page.locator(".kb-item[aria-current=true]")).to_contain_text("reports")
    answer = page.locator(".msg.assistant").last
    expect(answer.locator(".answer-text")).to_contain_text("星海科技2022年的销售费用率为 5.27%")
    expect(answer.locator(".msg-meta")).to_contain_text("computed from table cells")
    analysis = answer.locator(".analysis")
    expect(analysis).to_have_attribute("open", "")
    expect(analysis.locator("summary")).to_have_text("Question analysis: calculation · answered from table cells")
    expect(analysis.locator("[data-field=company]")).to_have_text("星海科技股份有限公司 (002715)")
    expect(analysis.locator("[data-field=year]")).to_have_text("2022")
    expect(analysis.locator("[data-field=formula]")).to_have_text("销售费用率 = 销售费用 ÷ 营业收入")
    expect(analysis.locator("[data-field=route]")).to_have_text("table cells")
    expect(analysis.locator(".computation-result")).to_have_text("销售费用率 = 5.27%")
    expect(analysis.locator(".operands tbody tr")).to_have_count(2)
    expect(analysis.locator(".cells .cell-printed")).to_have_text(["165,432,100.00", "3,137,792,366.09"])
    analysis.locator(".operands tbody tr").nth(1).locator("button.cite").click()
    expect(page.locator("#source-panel .source-row")).to_have_text("一、营业收入")
    screenshot(page, "chat-turns-1-analysis-reloaded")


def test_a_regenerated_answer_replaces_the_stored_one(open_ui, server, screenshot):  # noqa: F811
    ui = samples_chat(open_ui)
    page = ui.page
    answer = ui.ask("Where is the laptop handed out?")
    expect(answer.locator(".answer-text")).to_contain_text("Laptops are handed out")
    answer.locator(".action-regenerate").click()
    regenerated = page.locator(".msg.assistant").last
    expect(regenerated).not_to_have_attribute("aria-busy", "true")
    expect(regenerated.locator(".answer-text")).to_contain_text("On your first day")

    session = current_session(page)
    messages = server.request("GET", f"/api/kbs/samples/sessions/{session}").json()["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant"], messages
    assert "On your first day" in messages[1]["content"]
    expect(page.locator(".session-item[aria-current=true]")).to_contain_text("2 messages")
    reload(page)
    expect(page.locator(".msg.user")).to_have_count(1)
    expect(page.locator(".msg.assistant")).to_have_count(1)
    expect(page.locator(".msg.assistant .answer-text")).to_contain_text("On your first day")
    screenshot(page, "chat-turns-2-regenerated-reloaded")


def test_a_stopped_first_answer_is_kept_stopped_and_leaves_no_empty_session(open_ui, server, screenshot):  # noqa: F811
    ui = samples_chat(open_ui)
    page = ui.page
    session = current_session(page)
    page.fill("#question", "When do VPN sessions end?")
    page.click("#ask-button")
    answer = page.locator(".msg.assistant").last
    expect(answer.locator(".answer-text")).to_contain_text("12 hours")
    page.click("#ask-button")  # Stop
    expect(answer.locator(".msg-meta")).to_contain_text("Stopped")

    deadline = time.monotonic() + STORED_WITHIN_S
    while (found := server.request("GET", f"/api/kbs/samples/sessions/{session}")).status_code == 404:
        assert time.monotonic() < deadline, "the stopped turn was not stored"
        time.sleep(0.2)
    question, stopped = found.json()["messages"]
    assert question["content"] == "When do VPN sessions end?"
    assert stopped["stopped"] and 0 < stopped["content"].count("12 hours") < SLOW.count("12 hours"), stopped
    assert all(s["messages"] > 0 for s in server.request("GET", "/api/kbs/samples/sessions").json())
    ui.new_chat()  # the list is read again: the stopped chat is there, stored
    expect(page.locator(f'.session-item[data-session="{session}"]')).to_contain_text("2 messages")

    reload(page)  # opens the most recent stored chat: the stopped one
    expect(page.locator(".session-item[aria-current=true]")).to_contain_text("2 messages")
    expect(page.locator(".session-item", has_text="0 messages")).to_have_count(0)
    expect(page.locator(".msg.user")).to_have_text("When do VPN sessions end?")
    reloaded = page.locator(".msg.assistant")
    expect(reloaded.locator(".answer-text")).to_contain_text("12 hours")
    expect(reloaded.locator(".msg-meta")).to_have_text(re.compile("Stopped"))
    screenshot(page, "chat-turns-3-stopped-reloaded")
