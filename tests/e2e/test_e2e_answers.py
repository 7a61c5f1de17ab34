"""Answers in the web UI over a KB of the bundled English samples, written by a model that streams
Markdown (tests/e2e/fake_llm.py): Markdown rendered and sanitized, stop, regenerate, copy with the
sources, sources in order with each [n] on its source's line, a 390 px wide phone, dark mode."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_llm import FakeLLM, Reply, fake_llm
from playwright.sync_api import expect
from serving import Server, running_server

SAMPLES = Path(__file__).resolve().parents[2] / "samples" / "en"

MARKDOWN = (
    "Error `AUTH-403` means your account is **not in the VPN group yet** [1].\n\n"
    "- New accounts are added automatically within 4 hours of activation [1].\n"
    "- If it takes longer, contact the *IT Help Desk* [1].\n\n"
    '<img src=x onerror="window.pwned=1"> <script>window.pwned=2</script> [details](javascript:window.pwned=3)'
)
SLOW = "VPN sessions end after 12 hours [1]. " * 12
TWO_SOURCES = "The VPN client is **NebulaConnect** [2]. VPN sessions end after 12 hours [1]."
REPLIES = {
    "AUTH-403": Reply([MARKDOWN]),
    "sessions end": Reply([SLOW.strip()], pause_s=0.25),
    "laptop handed out": Reply(
        [
            "Laptops are handed out at the IT Bar on the 3rd floor [1].",
            "On your first day, at the **IT Bar** on the 3rd floor [1].",
        ]
    ),
    "client called": Reply([TWO_SOURCES]),
}


@pytest.fixture(scope="module")
def llm() -> Iterator[FakeLLM]:
    with fake_llm(REPLIES) as model:
        yield model


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, llm: FakeLLM) -> Iterator[Server]:
    """A server whose answers come from the fake model, with KB "samples" of samples/en."""
    home = tmp_path_factory.mktemp("ragkb-home")
    with running_server(home, RAGKB_GENERATOR="openai:fake", RAGKB_OPENAI_BASE_URL=llm.url) as url:
        server = Server(url, home)
        server.ragkb("kb", "create", "samples", "--set", "embedder=none")
        server.ragkb("add", str(SAMPLES), "--kb", "samples")
        yield server


def test_markdown_is_rendered_and_sanitized(open_ui, screenshot):
    ui = open_ui()
    page = ui.page
    ui.new_chat()
    answer = ui.ask("What does AUTH-403 mean?")
    text = answer.locator(".answer-text")
    expect(text.locator("code")).to_have_text("AUTH-403")
    expect(text.locator("strong")).to_have_text("not in the VPN group yet")
    expect(text.locator("ul > li")).to_have_count(2)
    expect(text.locator("li em")).to_have_text("IT Help Desk")
    expect(text.locator("li button.cite")).to_have_count(2)
    expect(answer.locator(".msg-meta")).to_contain_text("Answered by openai:fake")
    # Raw HTML is shown as text, never run; a javascript: link loses its target.
    expect(text.locator("img, script")).to_have_count(0)
    expect(text).to_contain_text('<img src=x onerror="window.pwned=1">')
    assert text.locator("a", has_text="details").get_attribute("href") is None
    assert page.evaluate("window.pwned") is None
    screenshot(page, "answers-1-markdown")


def test_stop_ends_the_stream_and_the_generation(open_ui, llm, screenshot):
    ui = open_ui()
    page = ui.page
    ui.new_chat()
    page.fill("#question", "When do VPN sessions end?")
    page.click("#ask-button")
    answer = page.locator(".msg.assistant").last
    expect(answer.locator(".answer-text")).to_contain_text("12 hours")
    expect(page.locator("#ask-button")).to_have_text("Stop")
    page.click("#ask-button")

    expect(answer).not_to_have_class(re.compile("streaming"))
    expect(answer.locator(".msg-meta")).to_contain_text("Stopped")
    expect(page.locator("#ask-button")).to_have_text("Ask")
    shown = answer.locator(".answer-text").inner_text()
    assert 0 < shown.count("12 hours") < SLOW.count("12 hours"), shown
    generation = next(r for r in reversed(llm.requests) if "sessions end" in r.prompt)
    assert generation.done.wait(30), "the model is still being read after the stop"
    assert generation.stopped_early, f"the server read all {generation.words} words after the stop"
    screenshot(page, "answers-2-stopped")


def test_regenerate_replaces_the_last_answer(open_ui, llm, screenshot):
    ui = open_ui()
    page = ui.page
    ui.new_chat()
    answer = ui.ask("Where is the laptop handed out?")
    expect(answer.locator(".answer-text")).to_contain_text("Laptops are handed out")
    answered = llm.served["laptop handed out"]

    answer.locator(".action-regenerate").click()
    regenerated = page.locator(".msg.assistant").last
    expect(regenerated).not_to_have_attribute("aria-busy", "true")
    expect(regenerated.locator(".answer-text")).to_contain_text("On your first day")
    expect(regenerated.locator(".answer-text strong")).to_have_text("IT Bar")
    expect(page.locator(".msg.user")).to_have_count(1)
    expect(page.locator(".msg.assistant")).to_have_count(1)
    assert llm.served["laptop handed out"] == answered + 1
    screenshot(page, "answers-3-regenerated")


def test_copy_puts_the_answer_and_its_sources_on_the_clipboard(open_ui, server, screenshot):
    ui = open_ui()
    page = ui.page
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    ui.new_chat()
    answer = ui.ask("What does AUTH-403 mean?")
    answer.locator(".action-copy").click()
    expect(answer.locator(".action-copy")).to_have_text("Copied")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("Error `AUTH-403` means your account is **not in the VPN group yet** [1]."), copied
    assert copied.endswith(
        "\n\nSources:\n[1] onboarding.md · Welcome to Nebula Networks: New Employee Onboarding Guide › 3. VPN Setup"
    ), copied
    screenshot(page, "answers-4-copied")


def test_on_a_phone_sources_are_in_order_and_a_marker_scrolls_to_its_source(open_ui, screenshot):
    ui = open_ui(width=390, height=844)
    page = ui.page
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    header = page.locator(".topbar").bounding_box()
    key_button = page.locator("#key-button").bounding_box()
    assert header["height"] < 56 and key_button["height"] < 36, (header, key_button)  # one line each

    ui.new_chat()
    answer = ui.ask("What is the VPN client called?")
    sources = answer.locator(".sources li")
    numbers = [int(n) for n in sources.evaluate_all("items => items.map(li => li.dataset.number)")]
    assert len(numbers) >= 2 and numbers == sorted(numbers), numbers
    for i in range(sources.count()):
        marker = sources.nth(i).locator("button.cite").bounding_box()
        label = sources.nth(i).locator("button.source-link").bounding_box()
        assert abs(marker["y"] - label["y"]) < 4, f"[{numbers[i]}] is not on its source's line: {marker} {label}"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "layout-1-phone-answer")

    marker = answer.locator(".answer-text button.cite").first
    number = marker.get_attribute("data-number")
    marker.click()
    panel = page.locator("#source-panel")
    expect(panel.locator(".source-title")).to_be_in_viewport()
    expect(panel.locator(".source-title")).to_contain_text(f"[{number}] onboarding.md")
    expect(answer.locator(f'.sources li[data-number="{number}"]')).to_have_class(re.compile("current"))
    screenshot(page, "layout-2-phone-source", full_page=False)
    panel.locator(".back-to-answer").click()
    expect(marker).to_be_in_viewport()


def test_dark_mode_follows_the_system(open_ui, screenshot):
    colors = "() => [getComputedStyle(document.body).backgroundColor, getComputedStyle(document.body).color]"
    light = open_ui(color_scheme="light").page.evaluate(colors)
    ui = open_ui(color_scheme="dark")
    page = ui.page
    dark = page.evaluate(colors)
    assert light == ["rgb(246, 247, 249)", "rgb(31, 41, 51)"], light
    assert brightness(dark[0]) < 40 < 180 < brightness(dark[1]), dark
    ui.new_chat()
    answer = ui.ask("What does AUTH-403 mean?")
    bubble = answer.locator(".bubble").evaluate("el => getComputedStyle(el).backgroundColor")
    assert brightness(bubble) < 60, bubble
    screenshot(page, "layout-3-dark")


def brightness(css_color: str) -> float:
    red, green, blue = (int(v) for v in re.findall(r"\d+", css_color)[:3])
    return 0.299 * red + 0.587 * green + 0.114 * blue
