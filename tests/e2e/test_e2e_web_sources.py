"""A web search result cited in the web UI: listed among the sources by its URL, and opened in the
source panel as a link with the text quoted from it (there is no passage of the KB to fetch).
SearXNG is stood in for by a server on 127.0.0.1 that replays its documented response."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from playwright.sync_api import expect
from serving import Server, local_http, running_server

SEARXNG_REPLY = (Path(__file__).parents[1] / "fixtures" / "web" / "searxng.json").read_bytes()
PAGE = "https://en.wikipedia.org/wiki/Eiffel_Tower"


class SearXNG(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(SEARXNG_REPLY)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server whose KB "notes" (one note) searches the web too, through the stand-in SearXNG."""
    home = tmp_path_factory.mktemp("ragkb-home")
    note = tmp_path_factory.mktemp("docs") / "leave.md"
    note.write_text("# Leave\n\nAnnual leave is 25 days per calendar year.\n", encoding="utf-8")
    with local_http(SearXNG) as searxng, running_server(home, RAGKB_SEARXNG_URL=f"{searxng}/searxng") as url:
        server = Server(url, home)
        server.ragkb("kb", "create", "notes", "--set", "embedder=none")
        server.ragkb("kb", "profile", "notes", "default", "--set", "web_search=searxng")
        server.ragkb("add", str(note), "--kb", "notes")
        yield server


def test_a_cited_web_page_opens_as_a_link(open_ui, screenshot):
    ui = open_ui()
    page = ui.page
    chunk_requests = []
    page.on("request", lambda request: "/chunks/" in request.url and chunk_requests.append(request.url))
    answer = ui.ask("When was the Eiffel Tower completed?")
    expect(answer.locator(".answer-text")).to_contain_text("31 March 1889")
    expect(answer.locator(".sources")).to_contain_text("en.wikipedia.org · Eiffel Tower - Wikipedia")

    answer.locator(".answer-text button.cite").first.click()
    source = page.locator("#source-panel")
    expect(source.locator(".source-title")).to_contain_text("en.wikipedia.org")
    expect(source.locator(".source-url a")).to_have_attribute("href", PAGE)
    expect(source.locator(".source-url a")).to_have_attribute("rel", "noopener noreferrer")
    expect(source.locator(".source-quote")).to_contain_text("31 March 1889")
    expect(page.locator(".toast")).to_have_count(0)
    assert not chunk_requests, chunk_requests
    screenshot(page, "sources-1-web-page")
