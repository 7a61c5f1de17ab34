"""Answers computed from table cells, through every front end.

The knowledge base holds four small annual reports written as HTML (real files, ingested by the
real loaders into the table store): each names its company on its first lines and has key figures,
a consolidated income statement and a balance sheet; one also has the parent company's income
statement. Numbers are checked against arithmetic done here by hand.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from llm_servers import chat_server
from server_live import live_server
from support import index_counts, write

from ragkb.answer.answering import Answerer
from ragkb.answer.sql_guard import UnsafeSQL, check_select, run_select
from ragkb.config import KBSettings, Settings
from ragkb.eval.answers import first_number
from ragkb.kb import KnowledgeBase
from ragkb.models import Answer

Figures = dict[str, tuple[str, str]]
"""Row label → (2022, 2021) as printed."""


def _table(title: str, unit: str, header: list[str], rows: Figures) -> str:
    head = "".join(f"<th>{text}</th>" for text in header)
    body = "".join(f"<tr><td>{label}</td><td>{now}</td><td>{before}</td></tr>" for label, (now, before) in rows.items())
    return f"<h2>{title}</h2>\n<p>{unit}</p>\n<table><tr>{head}</tr>{body}</table>\n"


def zh_report(name: str, short: str, code: str, income: Figures, balance: Figures, parent: Figures | None = None) -> str:
    html = f"<html><body><h1>{name}2022年年度报告</h1>\n<p>公司名称：{name}</p><p>股票简称：{short}</p><p>股票代码：{code}</p>\n"
    html += f"<p>公司的法定代表人是{short[:1]}董事长。</p>\n"
    html += _table("主要会计数据和财务指标", "单位：元", ["项目", "2022年", "2021年"], {"营业收入": income["一、营业收入"]})
    html += _table("合并利润表", "单位：元", ["项目", "2022年度", "2021年度"], income)
    html += _table("合并资产负债表", "单位：元", ["项目", "2022年12月31日", "2021年12月31日"], balance)
    if parent:
        html += _table("母公司利润表", "单位：元", ["项目", "2022年度", "2021年度"], parent)
    return html + "</body></html>"


def en_report() -> str:
    html = "<html><body><h1>Bluecrest Software Inc. 2022 Annual Report</h1>\n"
    html += "<p>Company name: Bluecrest Software Inc.</p><p>Stock short name: Bluecrest</p><p>Stock code: 300888</p>\n"
    income = {"Operating revenue": ("5,924,288,081.99", "5,032,531,908.15"), "Net profit": ("600,000,000.00", "550,000,000.00")}
    html += _table("Consolidated Income Statement", "Unit: RMB", ["Item", "2022", "2021"], income)
    balance = {"Total current assets": ("3,000,000,000.00", "2,800,000,000.00")}
    balance["Total current liabilities"] = ("1,500,000,000.00", "1,400,000,000.00")
    html += _table("Consolidated Balance Sheet", "Unit: RMB", ["Item", "December 31, 2022", "December 31, 2021"], balance)
    return html + "</body></html>"


XINGHAI = zh_report(
    "星海科技股份有限公司",
    "星海科技",
    "002715",
    {
        "一、营业收入": ("3,137,792,366.09", "2,794,348,935.91"),
        "销售费用": ("165,432,100.00", "150,000,000.00"),
        "四、净利润": ("300,000,000.00", "280,000,000.00"),
    },
    {"流动资产合计": ("2,000,000,000.00", "1,800,000,000.00"), "流动负债合计": ("1,250,000,000.00", "1,200,000,000.00")},
    parent={"一、营业收入": ("1,000,000,000.00", "900,000,000.00")},
)
DAICHUAN = zh_report(
    "岱川物流股份有限公司",
    "岱川物流",
    "002139",
    {"一、营业收入": ("884,193,573.96", "900,000,000.00"), "四、净利润": ("(21,765,312.72)", "10,000,000.00")},
    {"流动资产合计": ("500,000,000.00", "450,000,000.00"), "流动负债合计": ("400,000,000.00", "300,000,000.00")},
)
JINLAN = zh_report(
    "锦澜智能股份有限公司",
    "锦澜智能",
    "600931",
    {"一、营业收入": ("1,233,000,000.00", "913,065,948.89"), "四、净利润": ("150,000,000.00", "120,000,000.00")},
    {"流动资产合计": ("900,000,000.00", "850,000,000.00"), "流动负债合计": ("960,000,000.00", "700,000,000.00")},
)


@pytest.fixture
def reports(settings: Settings, tmp_path: Path) -> KnowledgeBase:
    kb = KnowledgeBase.create("reports", kb_settings=KBSettings(embedder="none"), settings=settings)
    folder = tmp_path / "reports"
    for name, html in [("xinghai", XINGHAI), ("daichuan", DAICHUAN), ("jinlan", JINLAN), ("bluecrest", en_report())]:
        write(folder / f"{name}.html", html)
    report = kb.add([folder])
    assert len(report.added) == 4 and not report.failed
    return kb


def ask(kb: KnowledgeBase, question: str, generator: str | None = None) -> Answer:
    return Answerer(kb, generator).ask(question)


def cells(answer: Answer) -> list[tuple[str, str, str]]:
    """(file name, row label, column header) of each cited cell."""
    return [(Path(c.file).name, c.cell.row_label, c.cell.column_header) for c in answer.citations if c.cell]


# --- lookups ----------------------------------------------------------------------------------


def test_a_lookup_states_this_years_consolidated_cell_and_cites_it(reports: KnowledgeBase) -> None:
    answer = ask(reports, "2022年星海科技的营业收入是多少元？")
    assert answer.route == "table" and answer.analysis.type == "lookup_table" and answer.generator == "tables"
    assert answer.answer == "星海科技2022年的营业收入为 3,137,792,366.09 元[1]。"
    (citation,) = answer.citations
    assert citation.chunk_id is None and citation.cell.scope == "consolidated" and citation.cell.year == 2022
    assert citation.cell.row_label == "一、营业收入" and citation.cell.column_header == "2022年度"
    assert citation.section == ["合并利润表"] and citation.quote == "一、营业收入 | 2022年度: 3,137,792,366.09"

    assert "2,794,348,935.91 元" in ask(reports, "股票代码为002715的公司2021年的营业收入是多少？").answer  # last year's column
    assert "31.38 亿元（报表数：3,137,792,366.09）" in ask(reports, "星海科技2022年的营业收入是多少亿元？").answer


def test_a_lookup_reads_the_parent_companys_statement_only_when_asked(reports: KnowledgeBase) -> None:
    answer = ask(reports, "星海科技母公司利润表中2022年的营业收入是多少元？")
    assert "1,000,000,000.00 元" in answer.answer and answer.citations[0].cell.scope == "parent"
    assert answer.citations[0].section == ["母公司利润表"]


def test_an_english_lookup(reports: KnowledgeBase) -> None:
    answer = ask(reports, "What was the operating revenue of Bluecrest Software in 2021?")
    assert answer.answer == "The operating revenue of Bluecrest in 2021 was RMB 5,032,531,908.15 [1]."
    assert cells(answer) == [("bluecrest.html", "Operating revenue", "2021")]


# --- calculations and comparisons --------------------------------------------------------------


def test_a_calculation_shows_the_formula_with_its_operands_and_cites_each_cell(reports: KnowledgeBase) -> None:
    answer = ask(reports, "在2022年的财务数据中，星海科技的销售费用率是多少？保留两位小数")
    # 165,432,100.00 ÷ 3,137,792,366.09 = 5.2722 %
    assert answer.answer.splitlines() == [
        "星海科技2022年的销售费用率为 5.27%[1][2]。",
        "计算：销售费用率 = 2022年销售费用 ÷ 2022年营业收入 = 165,432,100.00 ÷ 3,137,792,366.09 = 5.27%",
    ]
    (computation,) = answer.computations
    assert computation.formula == "selling_expense_ratio" and round(computation.value, 6) == 0.052722
    assert [(o.metric, o.year, o.value) for o in computation.operands] == [
        ("selling_expenses", 2022, 165432100.0),
        ("revenue", 2022, 3137792366.09),
    ]
    assert cells(answer) == [("xinghai.html", "销售费用", "2022年度"), ("xinghai.html", "一、营业收入", "2022年度")]
    assert [c.number for c in answer.citations] == [1, 2]


def test_growth_ratios_and_english_calculations(reports: KnowledgeBase) -> None:
    growth = ask(reports, "锦澜智能2022年的营业收入增长率是多少？保留两位小数。")
    assert "35.04%" in growth.answer  # (1,233,000,000 − 913,065,948.89) ÷ 913,065,948.89
    assert {cell[2] for cell in cells(growth)} == {"2022年", "2021年"} or len(cells(growth)) == 2

    current = ask(reports, "What was the current ratio of Bluecrest Software at the end of 2022? Round to two decimal places.")
    assert current.answer.startswith("The current ratio of Bluecrest in 2022 was 2.00 [1][2].")
    assert "Calculation: Current ratio = Total current assets 2022 ÷ Total current liabilities 2022" in current.answer

    times = ask(reports, "星海科技2022年营业收入是净利润的多少倍？保留两位小数")
    assert "10.46[1][2]" in times.answer  # 3,137,792,366.09 ÷ 300,000,000.00


def test_a_comparison_says_which_way_with_the_change_and_the_growth(reports: KnowledgeBase) -> None:
    answer = ask(reports, "与2021年相比，岱川物流2022年的营业收入是增加了还是减少了？")
    assert answer.analysis.type == "comparison" and answer.route == "table"
    first = answer.answer.splitlines()[0]
    assert first.startswith("与2021年相比，岱川物流2022年的营业收入减少了 15,806,426.04 元")
    assert "增长率 -1.76%" in first  # −15,806,426.04 ÷ 900,000,000.00
    assert [c.formula for c in answer.computations] == ["change:revenue", "growth:revenue"]

    english = ask(reports, "Compared with 2021, did the net profit of Bluecrest Software increase or decrease in 2022?")
    assert "increased by RMB 50,000,000.00 in 2022" in english.answer


# --- statistics over many reports ---------------------------------------------------------------


def test_statistics_templates_without_a_language_model(reports: KnowledgeBase) -> None:
    top = ask(reports, "2022年营业收入最高的两家公司是？")
    assert top.route == "statistics" and top.sql is None
    assert top.answer.startswith("2022年营业收入最高的2家公司是：Bluecrest（5,924,288,081.99 元）[1]、星海科技（")

    above = ask(reports, "2022年净利润超过1亿元的公司有哪些？")
    assert above.answer.startswith("3 家公司2022年净利润超过 1亿元：Bluecrest")
    assert "岱川物流" not in above.answer and "锦澜智能" in above.answer and "星海科技" in above.answer

    falling = ask(reports, "2022年营业收入同比下降的公司有几家？")
    assert falling.answer.startswith("1 家公司2022年营业收入同比下降：岱川物流")

    mean = ask(reports, "2022年各公司净利润的平均值是多少亿元？保留两位小数")
    # (300,000,000 − 21,765,312.72 + 150,000,000 + 600,000,000) ÷ 4 = 257,058,671.82
    assert mean.answer.startswith("2022年净利润的平均值为 2.57 亿元（4 家公司")
    assert len({Path(c.file).name for c in mean.citations}) == 4

    lowest = ask(reports, "2022年末流动比率最低的公司是哪家？")
    assert lowest.answer.startswith("2022年流动比率最低的公司是：锦澜智能（0.94）")


GOOD_SQL = "```sql\nSELECT short_name, revenue FROM financials WHERE year = 2022 ORDER BY revenue DESC LIMIT 2;\n```"


def test_nl2sql_runs_the_models_select_over_a_small_schema(reports: KnowledgeBase) -> None:
    with chat_server(GOOD_SQL) as (url, requests):
        reports.app_settings = Settings(home=reports.app_settings.home, openai_base_url=f"{url}/v1")
        answer = ask(reports, "2022年营业收入最高的两家公司是？", "openai:sql-model")
    assert answer.route == "statistics" and answer.generator == "openai:sql-model"
    assert answer.sql == "SELECT short_name, revenue FROM financials WHERE year = 2022 ORDER BY revenue DESC LIMIT 2"
    assert answer.answer.splitlines()[:2] == ["Bluecrest；5,924,288,081.99 元", "星海科技；3,137,792,366.09 元 [1][2]"]
    assert cells(answer) == [("bluecrest.html", "Operating revenue", "2022"), ("xinghai.html", "一、营业收入", "2022年度")]
    prompt = requests[0]["body"]["messages"][0]["content"]
    assert "CREATE TABLE financials" in prompt and "revenue REAL" in prompt
    assert "inventory" not in prompt and "current_liabilities" not in prompt  # only the columns the question needs


HOSTILE = [
    "DELETE FROM financials",
    "SELECT 1; DROP TABLE knowledge_file",
    "PRAGMA table_info(financials)",
    "ATTACH DATABASE 'stolen.db' AS stolen",
    "SELECT name FROM sqlite_master",
    "SELECT path FROM knowledge_file",
    "SELECT short_name FROM financials -- ; DROP TABLE chunk",
    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n",
    "UPDATE financials SET revenue = 0",
]


@pytest.mark.parametrize("sql", HOSTILE)
def test_nl2sql_refuses_anything_but_one_read_only_select_and_falls_back(reports: KnowledgeBase, sql: str) -> None:
    before = index_counts(reports.app_settings.home, "reports")
    with chat_server(sql) as (url, _):
        reports.app_settings = Settings(home=reports.app_settings.home, openai_base_url=f"{url}/v1")
        answer = ask(reports, "2022年营业收入最高的两家公司是？", "openai:sql-model")
    assert answer.sql is None and answer.route == "statistics"  # the templates answered
    assert answer.answer.startswith("2022年营业收入最高的2家公司是：Bluecrest")
    assert index_counts(reports.app_settings.home, "reports") == before


def test_the_sql_guard_alone() -> None:
    assert check_select("  select a from t; ") == "select a from t"
    assert check_select("WITH x AS (SELECT 1 AS a) SELECT a FROM x") == "WITH x AS (SELECT 1 AS a) SELECT a FROM x"
    assert check_select("SELECT 'a;b' AS text") == "SELECT 'a;b' AS text"  # inside a string a ';' is text
    for sql in [
        "",
        "EXPLAIN SELECT 1",
        "SELECT 1;;",
        "SELECT 1 /* x */",
        "select * from t where x in (select replace(a,'b','c') from t)",
    ]:
        with pytest.raises(UnsafeSQL):
            check_select(sql)
    db = sqlite3.connect(":memory:")
    db.execute("CREATE TABLE allowed (n INTEGER)")
    db.execute("CREATE TABLE secret (n INTEGER)")
    db.executemany("INSERT INTO allowed VALUES (?)", [(n,) for n in range(300)])
    result = run_select(db, "SELECT n FROM allowed ORDER BY n", frozenset({"allowed"}), row_limit=100)
    assert len(result.rows) == 100 and result.truncated and result.columns == ["n"]
    with pytest.raises(UnsafeSQL):
        run_select(db, "SELECT n FROM secret", frozenset({"allowed"}))
    with pytest.raises(sqlite3.OperationalError, match="interrupted"):
        run_select(db, "SELECT count(*) FROM allowed a, allowed b, allowed c, allowed d", frozenset({"allowed"}), timeout_s=0.01)
    with pytest.raises(sqlite3.OperationalError):  # query_only stays on
        db.execute("DELETE FROM allowed")


# --- what the tables do not answer goes to the text -----------------------------------------------


def test_questions_the_tables_cannot_answer_get_the_text_answer(reports: KnowledgeBase) -> None:
    text = ask(reports, "星海科技的法定代表人是谁？")
    assert text.route == "text" and text.analysis.type == "lookup_text" and text.generator == "extractive"
    assert "星董事长" in text.answer and text.citations[0].chunk_id is not None

    for question in ["星海科技2022年的存货是多少？", "星海科技2022年第三季度的营业收入是多少？", "2022年的营业收入是多少？"]:
        answer = ask(reports, question)  # no such cell / a quarter / which of four companies?
        assert answer.route == "text" and answer.analysis is not None and not answer.computations, question


def test_a_kb_without_tables_answers_as_before(settings: Settings, tmp_path: Path) -> None:
    kb = KnowledgeBase.create("notes", kb_settings=KBSettings(embedder="none"), settings=settings)
    kb.add([write(tmp_path / "leave.md", "# Leave\n\nAnnual leave is 25 days per calendar year.\n")])
    answer = ask(kb, "How many days of annual leave per year?")
    assert answer.route == "text" and answer.analysis is None and "25 days" in answer.answer


# --- front ends ---------------------------------------------------------------------------------

CALCULATION = "在2022年的财务数据中，星海科技的销售费用率是多少？保留两位小数"


def test_cli_ask_prints_the_formula_and_cells_and_json_has_the_analysis(reports: KnowledgeBase, cli_env: dict) -> None:
    shown = subprocess.run(
        ["ragkb", "ask", CALCULATION, "--kb", "reports"], env=cli_env, capture_output=True, text=True, check=True
    )
    assert "计算：销售费用率 = 2022年销售费用 ÷ 2022年营业收入" in shown.stdout
    assert "销售费用 | 2022年度: 165,432,100.00" in shown.stdout and "§ 合并利润表" in shown.stdout

    printed = subprocess.run(
        ["ragkb", "ask", CALCULATION, "--kb", "reports", "--json"], env=cli_env, capture_output=True, check=True
    )
    data = json.loads(printed.stdout)
    assert data["route"] == "table" and data["analysis"]["type"] == "calculation"
    assert data["analysis"]["formulas"][0]["id"] == "selling_expense_ratio" and data["analysis"]["rounding"]["decimals"] == 2
    assert data["computations"][0]["display"] == "5.27%" and len(data["computations"][0]["operands"]) == 2
    assert data["citations"][0]["cell"]["row_label"] == "销售费用" and data["citations"][0]["chunk_id"] is None


@pytest.fixture
def server(reports: KnowledgeBase) -> Iterator[httpx.Client]:
    with live_server(reports.app_settings) as url, httpx.Client(base_url=url, timeout=120) as client:
        yield client


def test_http_ask_and_its_stream_carry_the_analysis_formula_and_cells(server: httpx.Client) -> None:
    answer = server.post("/api/kbs/reports/ask", json={"question": CALCULATION}).json()
    assert answer["route"] == "table" and answer["computations"][0]["formula"] == "selling_expense_ratio"
    assert [c["cell"]["row_label"] for c in answer["citations"]] == ["销售费用", "一、营业收入"]
    assert answer["citations"][0]["file"] == "xinghai.html"  # a name, never the server's folder

    with server.stream("POST", "/api/kbs/reports/ask", json={"question": CALCULATION, "stream": True}) as response:
        response.read()
    events = [block.split("\n", 1) for block in response.text.strip().split("\n\n")]
    kinds = [kind.removeprefix("event: ") for kind, _ in events]
    final = json.loads(events[-1][1].removeprefix("data: "))
    assert kinds[0] == "meta" and kinds[-1] == "answer"
    assert final["cached"] and not answer["cached"]  # the same question again: from the answer cache
    assert {**final, "timings": None, "cached": None} == {**answer, "timings": None, "cached": None}
    tokens = "".join(json.loads(data.removeprefix("data: "))["text"] for kind, data in events if kind == "event: token")
    assert tokens == answer["answer"]


def test_openai_compatible_answers_include_the_formula_and_the_sources(server: httpx.Client) -> None:
    request = {"model": "kb:reports", "messages": [{"role": "user", "content": CALCULATION}]}
    content = server.post("/v1/chat/completions", json=request).json()["choices"][0]["message"]["content"]
    assert "计算：销售费用率 = " in content
    assert "来源：\n[1] xinghai.html, 合并利润表: 销售费用 | 2022年度: 165,432,100.00" in content

    with server.stream("POST", "/v1/chat/completions", json={**request, "stream": True}) as response:
        response.read()
    pieces = [json.loads(line[6:]) for line in response.text.splitlines() if line.startswith("data: {")]
    assert "".join(p["choices"][0]["delta"].get("content") or "" for p in pieces) == content


# --- evaluation ---------------------------------------------------------------------------------

QA = [
    {"question": CALCULATION, "type": "calculation", "split": "test", "value": 5.27, "unit": "%", "tolerance": 0.01},
    {
        "question": "2022年星海科技的营业收入是多少亿元？",
        "type": "lookup_table",
        "split": "test",
        "value": 31.38,
        "unit": "亿元",
        "tolerance": 0.01,
    },
    {
        "question": "2022年营业收入最高的两家公司是？",
        "type": "statistics",
        "split": "test",
        "gold_list": ["Bluecrest", "星海科技"],
    },
    {"question": "星海科技的法定代表人是谁？", "type": "lookup_text", "split": "test", "answers": ["星董事长"]},
    {"question": "星海科技的股票代码是多少？", "type": "lookup_text", "split": "dev", "answers": ["002715"]},
]


def test_eval_answers_reports_accuracy_per_type_and_route_with_and_without_tables(
    reports: KnowledgeBase, cli_env: dict, tmp_path: Path
) -> None:
    qa = write(tmp_path / "qa.jsonl", "\n".join(json.dumps(row, ensure_ascii=False) for row in QA))
    command = ["ragkb", "eval", "answers", str(qa), "--kb", "reports", "--split", "test", "--json"]
    with_tables = json.loads(subprocess.run(command, env=cli_env, capture_output=True, check=True).stdout)["summary"]
    assert with_tables["questions"] == 4 and with_tables["accuracy"] == 1.0
    assert with_tables["accuracy_by_route"] == {
        "statistics": {"questions": 1, "correct": 1, "accuracy": 1.0},
        "table": {"questions": 2, "correct": 2, "accuracy": 1.0},
        "text": {"questions": 1, "correct": 1, "accuracy": 1.0},
    }
    assert with_tables["accuracy_by_type"]["calculation"] == {"questions": 1, "correct": 1, "accuracy": 1.0}

    text_only = json.loads(subprocess.run([*command, "--no-tables"], env=cli_env, capture_output=True, check=True).stdout)
    assert set(text_only["summary"]["accuracy_by_route"]) == {"text"}
    assert text_only["summary"]["accuracy_by_type"]["calculation"]["correct"] == 0  # no text holds the ratio


def test_numbers_are_read_in_the_gold_unit_first_number_first() -> None:
    assert first_number("星海科技2022年的营业收入为 31.38 亿元[1]。", "亿元") == 31.38
    assert first_number("RMB 3,137,792,366.09 [1]", "亿元") == pytest.approx(31.3779236609)
    assert first_number("2022年流动比率为 1.60[1][2]", "") == 1.6  # the year and the markers are no answer
    assert first_number("增长率 12.5%，营业收入 100 元", "元") == 100.0  # a percentage is no amount
    assert first_number("3 家公司2022年净利润为负", "家") == 3.0
    assert first_number("无", "%") is None


# --- execution accuracy of NL2SQL (ragkb eval sql) --------------------------------------------

TOP_TWO = "SELECT f.short_name FROM financials f WHERE f.year = 2022 ORDER BY f.revenue DESC LIMIT 2"
NET_LOSS = "SELECT COUNT(*) FROM financials f WHERE f.year = 2022 AND f.net_profit < 0"
SQL_QA = [
    {"id": "s1", "question": "2022年营业收入最高的两家公司是？", "split": "test", "subtype": "top_k", "gold_sql": TOP_TWO},
    {"id": "s2", "question": "2022年净利润为负的公司有几家？", "split": "test", "subtype": "count", "gold_sql": NET_LOSS},
    {"id": "s3", "question": "星海科技的法定代表人是谁？", "split": "test", "answers": ["星董事长"]},  # no gold_sql: not scored
]


def _financials_jsonl(path: Path, xinghai_revenue_2022: float) -> Path:
    """The true figures, as bench/annual_reports writes them: a row per company and year, in 元."""
    companies = {
        ("星海科技股份有限公司", "星海科技", "002715"): ([2794348935.91, xinghai_revenue_2022], [280000000.0, 300000000.0]),
        ("岱川物流股份有限公司", "岱川物流", "002139"): ([900000000.0, 884193573.96], [10000000.0, -21765312.72]),
        ("锦澜智能股份有限公司", "锦澜智能", "600931"): ([913065948.89, 1233000000.0], [120000000.0, 150000000.0]),
        ("Bluecrest Software Inc.", "Bluecrest", "300888"): ([5032531908.15, 5924288081.99], [550000000.0, 600000000.0]),
    }
    rows = [
        {"company": full, "short_name": short, "stock_code": code, "year": year, "revenue": revenue[i], "net_profit": profit[i]}
        for (full, short, code), (revenue, profit) in companies.items()
        for i, year in enumerate((2021, 2022))
    ]
    return write(path, "\n".join(json.dumps(row, ensure_ascii=False) for row in rows))


def _eval_sql(reports: KnowledgeBase, tmp_path: Path, reply: str, truth_revenue: float) -> dict:
    from ragkb.eval.sql import load_sql_questions, score
    from ragkb.llms import create_generator

    qa = write(tmp_path / "qa.jsonl", "\n".join(json.dumps(row, ensure_ascii=False) for row in SQL_QA))
    truth = _financials_jsonl(tmp_path / "financials.jsonl", truth_revenue)
    with chat_server(reply) as (url, requests):
        settings = Settings(home=reports.app_settings.home, openai_base_url=f"{url}/v1")
        generator = create_generator("openai:sql-model", settings)
        assert generator is not None
        result = score(reports, load_sql_questions(qa, "test"), generator, truth)
    assert len(requests) == 2 and "CREATE TABLE financials" in requests[0]["body"]["messages"][0]["content"]
    return result


def test_eval_sql_scores_by_the_result_not_the_text_of_the_sql(reports: KnowledgeBase, tmp_path: Path) -> None:
    same_rows = "SELECT short_name FROM financials WHERE year=2022 ORDER BY revenue DESC LIMIT 2;"
    result = _eval_sql(reports, tmp_path, same_rows, 3137792366.09)
    top, loss = result["questions"]
    assert top["correct"] and top["read_right"] and top["correct_end_to_end"] and top["linked"]
    assert not loss["correct"] and not loss["executed"] and loss["error"] == "no such column: revenue"  # not shown to the model
    assert result["summary"]["execution_accuracy"] == {"right": 1, "of": 2, "rate": 0.5}
    assert result["summary"]["by_subtype"] == {"count": {"questions": 1, "correct": 0}, "top_k": {"questions": 1, "correct": 1}}


def test_eval_sql_counts_extra_columns_unsafe_sql_and_a_misread_figure_as_wrong(reports: KnowledgeBase, tmp_path: Path) -> None:
    extra_column = _eval_sql(reports, tmp_path, GOOD_SQL, 3137792366.09)["questions"][0]
    assert extra_column["executed"] and not extra_column["correct"]  # name and revenue: not the gold's rows

    deleting = _eval_sql(reports, tmp_path, "DELETE FROM financials", 3137792366.09)["questions"][0]
    assert not deleting["executed"] and not deleting["correct"] and "not a SELECT" in deleting["error"]

    # had the report printed another figure, the gold SQL would rank differently on the true table
    misread = _eval_sql(reports, tmp_path, TOP_TWO, 6_000_000_000.0)["questions"][0]
    assert misread["correct"] and misread["read_right"] is False and misread["correct_end_to_end"] is False


def test_cli_eval_sql_prints_json_and_says_what_to_do_without_a_model(
    reports: KnowledgeBase, cli_env: dict, tmp_path: Path
) -> None:
    qa = write(tmp_path / "qa.jsonl", "\n".join(json.dumps(row, ensure_ascii=False) for row in SQL_QA))
    command = ["ragkb", "eval", "sql", str(qa), "--kb", "reports"]
    refused = subprocess.run([*command, "-g", "extractive"], env=cli_env, capture_output=True, text=True)
    assert refused.returncode != 0 and "give a model with -g" in refused.stderr
    with chat_server(NET_LOSS) as (url, _):
        env = cli_env | {"RAGKB_OPENAI_BASE_URL": f"{url}/v1"}
        out = subprocess.run([*command, "-g", "openai:m", "--json"], env=env, capture_output=True, text=True, check=True)
    result = json.loads(out.stdout)
    assert [q["correct"] for q in result["questions"]] == [False, True]
    assert result["summary"]["read_right"]["of"] == 0  # no financials.jsonl beside this QA file


def test_nl2sql_columns_found_by_meaning_when_the_kbs_embedder_reads_the_question(settings: Settings, tmp_path: Path) -> None:
    from ragkb.answer.nl2sql import relevant_metrics
    from ragkb.answer.tables import KBTables
    from ragkb.tables.question import analyze

    kb = KnowledgeBase.create("minilm", settings=settings)  # the default embedder, all-MiniLM-L6-v2: English
    kb.add([write(tmp_path / "bluecrest.html", en_report())])
    tables = KBTables(kb)
    english = analyze("Which companies paid the most tax in 2022?", tables.companies())
    assert relevant_metrics(english) == []  # no metric's name shares a word with it
    by_meaning = relevant_metrics(english, tables)
    assert {"taxes_and_surcharges", "income_tax"} <= set(by_meaning) and len(by_meaning) <= 3
    chinese = analyze("2022年缴税最多的公司是哪家？", tables.companies())
    assert tables.similarity(chinese.question, ["营业收入"]) is None  # MiniLM does not read Chinese
    assert relevant_metrics(chinese, tables) == relevant_metrics(chinese)
