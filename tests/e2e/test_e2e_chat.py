"""The web UI end to end against a real server: create a KB, upload documents, ask, read the
streamed answer, open its citation; history from the API; deleting; errors from the API."""

from __future__ import annotations

import re
from pathlib import Path

import docx
from playwright.sync_api import expect

FACT = "Employees must submit travel reimbursement claims within 45 days after the trip ends."
QUESTION = "How many days do employees have to submit travel reimbursement claims?"

STREAM_RECORDER = """() => {
  window.streamedTexts = [];
  new MutationObserver((records) => {
    for (const record of records) {
      const streaming = record.target.closest?.(".msg.streaming .answer-text");
      if (streaming && streaming.textContent) window.streamedTexts.push(streaming.textContent);
    }
  }).observe(document.querySelector("#messages"), { childList: true, subtree: true, characterData: true });
}"""
"""Records what the answer bubble shows while its answer is still streaming."""


def make_policy_docx(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("Travel policy", level=1)
    document.add_paragraph("This policy covers business trips of all employees.")
    document.add_heading("Reimbursement deadline", level=2)
    document.add_paragraph(FACT + " Late claims need the approval of a director.")
    document.add_heading("Hotels", level=2)
    document.add_paragraph("The hotel limit is 600 yuan per night in first-tier cities.")
    document.save(path)
    return path


def make_notes(path: Path) -> Path:
    path.write_text("# Office notes\n\nThe office kitchen is cleaned every Friday afternoon.\n", encoding="utf-8")
    return path


def test_ask_streams_an_answer_whose_citation_opens_the_passage(open_ui, screenshot, tmp_path):
    ui = open_ui()
    page = ui.page
    screenshot(page, "chat-1-start")
    ui.create_kb("handbook")
    ui.upload(make_policy_docx(tmp_path / "travel-policy.docx"), make_notes(tmp_path / "office-notes.md"))

    states = ui.task_states()
    assert states[0] == "uploading" and states[-1] == "done", states
    expect(page.locator(".task").first).to_contain_text("2 added")
    files = page.locator("#file-list .file")
    expect(files).to_have_count(2)
    for name in ("travel-policy.docx", "office-notes.md"):
        expect(page.locator(f'.file[data-name="{name}"] .badge')).to_have_text("indexed")
    expect(page.locator(".kb-item[aria-current=true]")).to_contain_text("2 files")
    screenshot(page, "chat-2-indexed")

    page.evaluate(STREAM_RECORDER)
    with page.expect_response(re.compile(r"/api/kbs/handbook/ask$")) as asked:
        answer = ui.ask(QUESTION)
    assert asked.value.headers["content-type"].startswith("text/event-stream")
    expect(answer.locator(".answer-text")).to_contain_text("45 days")
    streamed = page.evaluate("window.streamedTexts")
    assert any("45 days" in text for text in streamed), f"the answer was not shown while streaming: {streamed}"

    citation = answer.locator(".answer-text button.cite").first
    expect(citation).to_have_text(re.compile(r"\[\d+\]"))
    expect(answer.locator(".sources")).to_contain_text("travel-policy.docx")
    citation.click()
    source = page.locator("#source-panel")
    expect(source).to_be_visible()
    expect(source.locator(".source-file")).to_contain_text("travel-policy.docx")
    expect(source.locator(".source-section")).to_have_text("Travel policy › Reimbursement deadline")
    expect(source.locator(".source-quote")).to_contain_text("within 45 days")
    expect(source.locator(".passage")).to_contain_text("Late claims need the approval of a director.")
    expect(source.locator(".passage mark")).to_contain_text("45 days")
    screenshot(page, "chat-3-citation")

    # The conversation is stored: listed with its two messages, and loaded again after a reload.
    expect(page.locator(".session-item[aria-current=true]")).to_contain_text("2 messages")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator(".msg.user")).to_have_text(QUESTION)
    reloaded = page.locator(".msg.assistant")
    expect(reloaded.locator(".answer-text")).to_contain_text("45 days")
    reloaded.locator(".answer-text button.cite").first.click()
    expect(source.locator(".passage mark")).to_contain_text("45 days")


def test_files_sessions_and_knowledge_bases_can_be_deleted(open_ui, server, tmp_path):
    ui = open_ui()
    page = ui.page
    ui.create_kb("scratch")
    ui.upload(make_notes(tmp_path / "office-notes.md"))
    answer = ui.ask("When is the office kitchen cleaned?")
    expect(answer.locator(".answer-text")).to_contain_text("every Friday afternoon")

    page.click('.file[data-name="office-notes.md"] button.danger')
    expect(page.locator("#file-list .file")).to_have_count(0)
    assert server.request("GET", "/api/kbs/scratch/files").json() == []

    session = page.locator(".session-item[aria-current=true]").get_attribute("data-session")
    page.click(f'.session-row:has([data-session="{session}"]) button.danger')
    expect(page.locator(f'[data-session="{session}"]')).to_have_count(0)
    assert server.request("GET", "/api/kbs/scratch/sessions").json() == []

    page.click("#kb-info button.danger")
    expect(page.locator('.kb-item[data-kb="scratch"]')).to_have_count(0)
    assert server.request("GET", "/api/kbs/scratch").status_code == 404


def test_an_unsupported_upload_shows_the_servers_message(open_ui, server, screenshot, tmp_path):
    ui = open_ui()
    page = ui.page
    ui.create_kb("errors")
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ\x90\x00 not a document")
    refused = server.request("POST", "/api/kbs/errors/files", files={"files": (program.name, program.read_bytes())})
    assert refused.status_code == 415
    detail = refused.json()["detail"]

    page.set_input_files("#file-input", str(program))
    expect(page.locator(".toast.error")).to_contain_text(detail)
    expect(page.locator(".task").first).to_have_attribute("data-state", "failed")
    expect(page.locator(".task .error-text")).to_have_text(detail)
    expect(page.locator("#file-list .file")).to_have_count(0)
    screenshot(page, "chat-4-upload-error")


def test_a_file_that_cannot_be_read_is_listed_with_its_error(open_ui, server, tmp_path):
    ui = open_ui()
    page = ui.page
    ui.create_kb("damaged")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 this is not really a PDF")
    ui.upload(broken, make_notes(tmp_path / "office-notes.md"))

    error = next(f["error"] for f in server.request("GET", "/api/kbs/damaged/files").json() if f["name"] == "broken.pdf")
    reason = error.removeprefix("broken.pdf: ")  # shown beside the file's name, not after it again
    assert reason
    task = page.locator(".task").first
    expect(task).to_have_attribute("data-state", "partial")
    expect(task).to_contain_text("1 added")
    expect(task).to_contain_text("1 failed")
    expect(task.locator(".error-text")).to_have_text(f"broken.pdf {reason}")
    expect(page.locator('.file[data-name="broken.pdf"] .badge')).to_have_text("failed")
    expect(page.locator('.file[data-name="broken.pdf"] .error-text')).to_have_text(reason)
    expect(page.locator('.file[data-name="office-notes.md"] .badge')).to_have_text("indexed")
    expect(page.locator("#kb-info .kb-stats")).to_have_text("2 files · 1 chunk · 1 failed")


def test_an_error_while_asking_shows_the_servers_message(open_ui, server, tmp_path):
    ui = open_ui()
    page = ui.page
    ui.create_kb("vanishing")
    assert server.request("DELETE", "/api/kbs/vanishing").status_code == 204
    detail = server.request("POST", "/api/kbs/vanishing/ask", json={"question": "anything?"}).json()["detail"]

    answer = ui.ask("Is anything here?")
    expect(answer.locator(".error-text")).to_have_text(detail)
    expect(page.locator(".toast.error")).to_contain_text(detail)
    expect(page.locator("#ask-button")).to_be_enabled()


SSE_READ = """async (size) => {
  const { readEvents } = await import("/sse.js");
  const text = 'event: meta\\r\\ndata: {"query": "q"}\\r\\n\\r\\nevent: token\\ndata: {"text": "半句"}\\n\\n'
    + ': comment\\n\\nevent: answer\\ndata: {"answer":\\ndata: 1}\\n\\n';
  const bytes = new TextEncoder().encode(text);
  const body = new ReadableStream({
    start(controller) {
      for (let at = 0; at < bytes.length; at += size) controller.enqueue(bytes.slice(at, at + size));
      controller.close();
    },
  });
  const events = [];
  for await (const event of readEvents(body)) events.push(event);
  return events;
}"""
"""Reads a stream of SSE events delivered in pieces of `size` bytes."""


def test_the_sse_reader_handles_events_split_across_reads(open_ui):
    """Events split mid-line and mid-character, CRLF line ends, comments, multi-line data."""
    page = open_ui().page
    expected = [
        {"event": "meta", "data": '{"query": "q"}'},
        {"event": "token", "data": '{"text": "半句"}'},
        {"event": "answer", "data": '{"answer":\n1}'},
    ]
    for size in (1, 2, 7, 10_000):
        assert page.evaluate(SSE_READ, size) == expected, f"read in pieces of {size} bytes"
