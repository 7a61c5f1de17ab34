"""A computed answer in the web UI: its formula in the answer, its cited cells in the sources and
in the source panel (table, row, column, the number as printed)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

REPORT = """<html><body><h1>星海科技股份有限公司2022年年度报告</h1>
<p>公司名称：星海科技股份有限公司</p><p>股票简称：星海科技</p><p>股票代码：002715</p>
<h2>合并利润表</h2><p>单位：元</p>
<table><tr><th>项目</th><th>2022年度</th><th>2021年度</th></tr>
<tr><td>一、营业收入</td><td>3,137,792,366.09</td><td>2,794,348,935.91</td></tr>
<tr><td>销售费用</td><td>165,432,100.00</td><td>150,000,000.00</td></tr></table>
</body></html>"""


def test_a_computed_answer_shows_its_formula_and_cells(open_ui, screenshot, tmp_path: Path):
    ui = open_ui()
    page = ui.page
    ui.create_kb("reports")
    report = tmp_path / "xinghai.html"
    report.write_text(REPORT, encoding="utf-8")
    ui.upload(report)

    answer = ui.ask("2022年星海科技的销售费用率是多少？保留两位小数")
    expect(answer.locator(".answer-text")).to_contain_text("星海科技2022年的销售费用率为 5.27%")
    expect(answer.locator(".answer-text")).to_contain_text("计算：销售费用率 = 2022年销售费用 ÷ 2022年营业收入")
    expect(answer.locator(".sources")).to_contain_text("合并利润表 · 销售费用 | 2022年度")
    expect(answer.locator(".msg-meta")).to_contain_text("computed from table cells")

    answer.locator(".answer-text button.cite").first.click()
    source = page.locator("#source-panel")
    expect(source.locator(".source-row")).to_have_text("销售费用")
    expect(source.locator(".source-column")).to_have_text("2022年度")
    expect(source.locator(".source-quote")).to_have_text("165,432,100.00")
    screenshot(page, "tables-1-computed")
