"""Table answers to what the annual-report set's dev half missed (issue 15): a loss is net
profit below zero, in statistics and lookups; a formula asked of no company gets its definition
and which company to name, and "什么是流动比率" the formula library's definition. Same reports
as tests/test_tables_answer.py."""

from __future__ import annotations

from pathlib import Path

import test_tables_answer
from support import write
from test_tables_answer import ask, en_report

from ragkb.config import KBSettings, Settings
from ragkb.kb import KnowledgeBase

reports = test_tables_answer.reports  # the fixture: four reports, one in English


def test_a_loss_is_net_profit_below_zero(reports: KnowledgeBase) -> None:
    losing = ask(reports, "哪些公司2022年亏损？")
    assert losing.route == "statistics" and losing.analysis.loss == "net_profit"
    assert losing.answer.startswith("1 家公司2022年净利润为负（亏损）：岱川物流（-21,765,312.72 元")
    assert "星海科技" not in losing.answer and "Bluecrest" not in losing.answer

    english = ask(reports, "How many companies reported a net loss in 2022?")
    assert english.answer.startswith("1 company had net profit below zero (a net loss) in 2022: 岱川物流")

    among = ask(reports, "2022年亏损的公司中营业收入最高的是哪家？")
    assert among.answer.startswith("净利润为负（亏损）的公司中，2022年营业收入最高的公司是：岱川物流（884,193,573.96 元）")

    one = ask(reports, "岱川物流2022年是否亏损？")
    assert one.route == "table" and one.answer.startswith("岱川物流2022年的净利润为 -21,765,312.72 元")
    assert one.answer.endswith("，亏损。")
    assert ask(reports, "星海科技2022年是否亏损？").answer.endswith("，未亏损。")


def test_what_a_ratio_is_and_which_company_to_compute_it_for(reports: KnowledgeBase, settings: Settings, tmp_path: Path) -> None:
    knowledge = ask(reports, "什么是流动比率？")
    assert knowledge.analysis.type == "knowledge" and knowledge.analysis.route == "both" and not knowledge.computations
    assert knowledge.answer.endswith("流动比率是流动资产合计与流动负债合计之比：流动比率 = 流动资产合计 ÷ 流动负债合计。")

    which = ask(reports, "What is the quick ratio?")  # of which of the four companies?
    assert which.analysis.type == "calculation" and which.route == "table" and not which.computations
    assert which.answer.splitlines() == [
        "Quick ratio = (Total current assets - Inventories) ÷ Total current liabilities.",
        "The knowledge base holds the reports of 4 companies (Bluecrest, 岱川物流, 星海科技, 锦澜智能); "
        "name the company and the year to compute it.",
    ]

    single = KnowledgeBase.create("single", kb_settings=KBSettings(embedder="none"), settings=settings)
    single.add([write(tmp_path / "one" / "bluecrest.html", en_report())])
    computed = ask(single, "What is the current ratio?")  # the one company, its latest year
    assert computed.answer.startswith("The current ratio of Bluecrest in 2022 was 2.00 [1][2].")
