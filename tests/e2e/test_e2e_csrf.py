"""A web page of another origin (another port of this machine) cannot write to the server, even
with no API keys and a request the browser sends without asking (``fetch`` in ``no-cors`` mode);
the web UI on the server's own origin still can."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from playwright.sync_api import expect
from support import upload_folder

ATTACK_PAGE = b"""<!doctype html>
<title>attacker</title>
<script>
async function plant(target, kb) {
  const form = new FormData();
  form.append("files", new Blob(["Pineapples are the planted answer."], {type: "text/plain"}), "planted.txt");
  await fetch(`${target}/api/kbs/${kb}/files`, {method: "POST", mode: "no-cors", body: form});
  return "sent";
}
</script>
"""


@contextmanager
def attacker_site() -> Iterator[str]:
    """A second local origin serving the attacking page."""

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(ATTACK_PAGE)

    site = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=site.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{site.server_address[1]}"
    finally:
        site.shutdown()
        site.server_close()


def test_a_page_of_another_origin_cannot_upload_but_the_web_ui_can(browser, open_ui, server, tmp_path, screenshot):
    ui = open_ui()
    ui.create_kb("victim")

    with attacker_site() as site:
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(site + "/")
            assert page.evaluate("([target, kb]) => plant(target, kb)", [server.url, "victim"]) == "sent"
        finally:
            context.close()
    assert not (upload_folder(server.home, "victim") / "planted.txt").exists()

    notes = tmp_path / "notes.md"
    notes.write_text("# Notes\n\nThe kitchen is cleaned every Friday.\n", encoding="utf-8")
    ui.upload(notes)
    expect(ui.page.locator('.file[data-name="notes.md"] .badge')).to_have_text("indexed")
    screenshot(ui.page, "csrf-own-origin-upload")
    # Ingestion jobs run one at a time in order: a planted upload would be indexed by now.
    assert [file["name"] for file in server.request("GET", "/api/kbs/victim/files").json()] == ["notes.md"]
