"""The web UI in Chinese: the default follows the browser's language, every string exists in
both languages, Chinese documents are answered with citations, and the switch to English sticks."""

from __future__ import annotations

from playwright.sync_api import expect

STATIC_TEXTS = """async () => {
  const { STRINGS } = await import("/strings.js");
  const shown = [...document.querySelectorAll("[data-i18n]")].map((el) => [el.dataset.i18n, el.textContent]);
  return { en: Object.keys(STRINGS.en), zh: Object.keys(STRINGS.zh), shown, expected: STRINGS };
}"""


def test_the_ui_speaks_chinese_and_answers_chinese_documents(open_ui, screenshot, tmp_path):
    ui = open_ui(locale="zh-CN")
    page = ui.page
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("#tab-files")).to_have_text("文件")
    expect(page.locator("#kb-create summary")).to_have_text("新建知识库")

    strings = page.evaluate(STATIC_TEXTS)
    singular_forms = {key for key in strings["en"] + strings["zh"] if key.endswith(".one")}
    assert set(strings["en"]) - singular_forms == set(strings["zh"]) - singular_forms, "a UI string is missing in one language"
    for key, text in strings["shown"]:
        assert text == strings["expected"]["zh"][key], f"{key} shows {text!r}"

    ui.create_kb("员工手册", language="zh")
    handbook = tmp_path / "员工手册.md"
    handbook.write_text(
        "# 员工手册\n\n## 差旅报销\n\n出差结束后十五个工作日内提交报销申请，并附上原始发票。\n\n"
        "## 年假\n\n员工每年享有十天带薪年假。\n",
        encoding="utf-8",
    )
    ui.upload(handbook)
    expect(page.locator(".task").first).to_contain_text("新增 1")
    expect(page.locator('.file[data-name="员工手册.md"] .badge')).to_have_text("已索引")

    answer = ui.ask("出差结束后多久内提交报销申请？")
    expect(answer.locator(".answer-text")).to_contain_text("十五个工作日")
    expect(answer.locator(".sources-title")).to_have_text("出处")
    answer.locator(".answer-text button.cite").first.click()
    source = page.locator("#source-panel")
    expect(source.locator(".source-section")).to_have_text("员工手册 › 差旅报销")
    expect(source.locator(".passage mark")).to_contain_text("十五个工作日内提交报销申请")
    expect(source.locator("dt").first).to_have_text("文件")
    screenshot(page, "i18n-1-zh")

    page.select_option("#language", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("#tab-files")).to_have_text("Files")
    expect(answer.locator(".sources-title")).to_have_text("Sources")
    expect(source.locator("dt").first).to_have_text("File")
    page.reload()
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#tab-source")).to_have_text("Source")
    screenshot(page, "i18n-2-en-after-switch")
