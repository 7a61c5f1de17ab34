"""Browser tests: a real ``ragkb serve`` (subprocess, free port, its own RAGKB_HOME, extractive
answers) driven through Debian's Chromium by Playwright. Screenshots go to tests/e2e/artifacts/."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from serving import Server, running_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).parent / "artifacts"
UI_TIMEOUT_MS = 60_000
"""Indexing and answering share two CPU cores with other tests; waits are generous, never asserted."""
expect.set_options(timeout=UI_TIMEOUT_MS)


TASK_STATE_RECORDER = """() => {
  window.taskStates = [];
  new MutationObserver(() => {
    const task = document.querySelector("#tasks .task");
    if (task) window.taskStates.push(task.dataset.state);
  }).observe(document.querySelector("#tasks"), { childList: true, subtree: true });
}"""


class UI:
    """The web UI in one browser page, with the steps the tests share."""

    def __init__(self, page):
        self.page = page

    def create_kb(self, name: str, *, language: str = "auto", embedder: str = "none") -> None:
        page = self.page
        if page.locator("#kb-create").get_attribute("open") is None:
            page.click("#kb-create summary")
        page.fill("#kb-name", name)
        page.select_option("#kb-language", language)
        page.fill("#kb-embedder", embedder)
        page.click("#kb-form button[type=submit]")
        expect(page.locator(".kb-item[aria-current=true]")).to_contain_text(name)
        expect(page.locator("#chat-title")).to_contain_text(f"{name} · ")  # its new chat is open

    def upload(self, *paths: Path) -> None:
        """Choose files in the upload box and wait until their ingestion job has finished."""
        self.page.evaluate(TASK_STATE_RECORDER)
        self.page.set_input_files("#file-input", [str(p) for p in paths])
        expect(self.page.locator(".task").first).to_have_attribute("data-state", re.compile("done|partial|failed"))

    def task_states(self) -> list[str]:
        """The states the last upload went through (uploading, queued, running, done/failed)."""
        states = self.page.evaluate("window.taskStates")
        return [state for i, state in enumerate(states) if i == 0 or states[i - 1] != state]

    def new_chat(self) -> None:
        self.page.click("#new-chat")
        expect(self.page.locator(".messages > .empty")).to_be_visible()

    def ask(self, question: str):
        """Ask and wait for the complete answer; returns the answer's message element."""
        self.page.fill("#question", question)
        self.page.click("#ask-button")
        answer = self.page.locator(".msg.assistant").last
        expect(answer).not_to_have_attribute("aria-busy", "true")
        expect(answer).not_to_have_class(re.compile("streaming"))
        return answer


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """One real server per test module, with an empty ragkb home of its own."""
    home = tmp_path_factory.mktemp("ragkb-home")
    with running_server(home) as url:
        yield Server(url, home)


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(
            f"Chromium not found at {CHROMIUM}; the browser tests need it: apt-get install -y --no-install-recommends chromium"
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    if report.when == "call":
        item.failed_call = report.failed
    return report


@pytest.fixture
def open_ui(browser, server: Server, request: pytest.FixtureRequest) -> Iterator[Callable]:
    """``open_ui(locale="en-US")`` opens the web UI in a fresh browser context (1440×900 unless
    ``width``/``height`` say otherwise; ``color_scheme`` light or dark) and waits until it has loaded
    (unless ``wait_until_ready=False``); confirm() dialogs are accepted. JavaScript errors in the page
    fail the test, and a failing test leaves a screenshot of each page in tests/e2e/artifacts/."""
    contexts, errors = [], []

    def open_page(
        locale: str = "en-US",
        *,
        wait_until_ready: bool = True,
        width: int = 1440,
        height: int = 900,
        color_scheme: str = "light",
    ):
        viewport = {"width": width, "height": height}
        context = browser.new_context(locale=locale, viewport=viewport, color_scheme=color_scheme)
        context.set_default_timeout(UI_TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("dialog", lambda dialog: dialog.accept())
        page.goto(server.url + "/")
        if wait_until_ready:
            page.wait_for_selector("body[data-ready=true]")
        return UI(page)

    yield open_page
    for number, context in enumerate(contexts):
        if getattr(request.node, "failed_call", False):
            for page in context.pages:
                shoot(page, f"FAILED-{request.node.name}-{number}")
        context.close()
    assert not errors, f"JavaScript errors in the page: {errors}"


def shoot(page, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot (of the whole page, or what the viewport shows) under tests/e2e/artifacts/ (git-ignored)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


@pytest.fixture
def screenshot() -> Callable:
    return shoot
