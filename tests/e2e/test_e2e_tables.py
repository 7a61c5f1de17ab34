"""A table answer in the web UI: the question's analysis (type, company, year, metric or formula,
route); for a computed answer its formula with its operands and the cited cells, in the sources and
in the source panel (table, row, column, the number as printed)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

REPORT = (Path(__file__).parents[1] / "fixtures" / "reports" / "xinghai-2022.html").read_text(encoding="utf-8")
"""A Chinese annual report's income statement, as HTML: a company, its stock code, two years of two metrics."""


def report_kb(ui, name: str, folder: Path):
    """KB ``name`` made in the UI, holding the report above."""
    ui.create_kb(name)
    report = folder / "xinghai.html"
    report.write_text(REPORT, encoding="utf-8")
    ui.upload(report)
    return ui


def test_a_computed_answer_shows_its_formula_and_cells(open_ui, screenshot, tmp_path: Path):
    ui = report_kb(open_ui(), "reports", tmp_path)
    page = ui.page

    answer = ui.ask("2022年星海科技的销售费用率是多少？保留两位小数")
    expect(answer.locator(".answer-text")).to_contain_text("星海科技2022年的销售费用率为 5.27%")
    expect(answer.locator(".answer-text")).to_contain_text("计算：销售费用率 = 2022年销售费用 ÷ 2022年营业收入")
    expect(answer.locator(".sources")).to_contain_text("合并利润表 · 销售费用 | 2022年度")
    expect(answer.locator(".msg-meta")).to_contain_text("computed from table cells")

    analysis = answer.locator(".analysis")
    expect(analysis).to_have_attribute("open", "")  # a computed answer shows how it was computed
    expect(analysis.locator("summary")).to_have_text("Question analysis: calculation · answered from table cells")
    expect(analysis.locator("[data-field=type]")).to_have_text("calculation")
    expect(analysis.locator("[data-field=company]")).to_have_text("星海科技股份有限公司 (002715)")
    expect(analysis.locator("[data-field=year]")).to_have_text("2022")
    expect(analysis.locator("[data-field=formula]")).to_have_text("销售费用率 = 销售费用 ÷ 营业收入")
    expect(analysis.locator("[data-field=route]")).to_have_text("table cells")
    expect(analysis.locator(".computation-result")).to_have_text("销售费用率 = 5.27%")
    operands = analysis.locator(".operands tbody tr")
    expect(operands).to_have_count(2)
    expect(operands.nth(0)).to_contain_text("2022年销售费用165,432,100.00")
    expect(operands.nth(1)).to_contain_text("2022年营业收入3,137,792,366.09")
    cells = analysis.locator(".cells tbody tr")
    expect(cells.locator(".cell-row")).to_have_text(["销售费用", "一、营业收入"])
    expect(cells.locator(".cell-printed")).to_have_text(["165,432,100.00", "3,137,792,366.09"])
    screenshot(page, "tables-2-analysis")

    operands.nth(1).locator("button.cite").click()
    source = page.locator("#source-panel")
    expect(source.locator(".source-row")).to_have_text("一、营业收入")

    answer.locator(".answer-text button.cite").first.click()
    expect(source.locator(".source-row")).to_have_text("销售费用")
    expect(source.locator(".source-column")).to_have_text("2022年度")
    expect(source.locator(".source-quote")).to_have_text("165,432,100.00")
    screenshot(page, "tables-1-computed")


def test_a_table_lookup_shows_the_question_analysis(open_ui, screenshot, tmp_path: Path):
    ui = report_kb(open_ui(), "lookups", tmp_path)
    page = ui.page

    answer = ui.ask("2022年星海科技的营业收入是多少元？")
    expect(answer.locator(".answer-text")).to_contain_text("3,137,792,366.09")
    analysis = answer.locator(".analysis")
    expect(analysis).not_to_have_attribute("open", "")  # no formula: the analysis stays folded
    analysis.locator("summary").click()
    expect(analysis.locator("[data-field=type]")).to_have_text("look-up in a table")
    expect(analysis.locator("[data-field=company]")).to_have_text("星海科技股份有限公司 (002715)")
    expect(analysis.locator("[data-field=year]")).to_have_text("2022")
    expect(analysis.locator("[data-field=metric]")).to_have_text("营业收入")
    expect(analysis.locator("[data-field=route]")).to_have_text("table cells")
    expect(analysis.locator(".computation")).to_have_count(0)
    expect(analysis.locator(".cells .cell-printed")).to_have_text(["3,137,792,366.09"])
    screenshot(page, "tables-3-lookup-analysis")
