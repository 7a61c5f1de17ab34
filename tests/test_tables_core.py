"""The pure core of table QA (ragkb.tables, issue 15): numbers and units read from report cells,
metric names matched to a synonym dictionary, statement kinds, formulas computed in code, and
questions understood without an LLM. Inputs are written the way annual reports and their readers
write them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ragkb.tables.companies import Company, find_companies
from ragkb.tables.formulas import FORMULAS, Computation, Formula, Ref, change, compute, find_formulas, formula, growth
from ragkb.tables.metrics import FUZZY_THRESHOLD, METRICS, find_metrics, match_metric, metric, normalize_label
from ragkb.tables.numbers import (
    PERCENT,
    YUAN,
    Rounding,
    find_numbers,
    find_unit,
    first_unit,
    format_amount,
    format_number,
    format_percent,
    parse_number,
    rounding_asked,
    small_number,
)
from ragkb.tables.question import QuestionAnalysis, analyze
from ragkb.tables.statements import classify_statement
from ragkb.tables.text import edit_distance, similarity
from ragkb.tables.years import find_years

D = Decimal
WAN = find_unit("单位：万元")

# --- numbers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "unit", "value", "base", "symbol"),
    [
        ("129,188,735.59", YUAN, "129188735.59", "129188735.59", "元"),
        ("(1,234.56)", YUAN, "-1234.56", "-1234.56", "元"),
        ("（1,234.56）", YUAN, "-1234.56", "-1234.56", "元"),  # full-width parentheses
        ("-1,234.56", None, "-1234.56", "-1234.56", ""),
        ("−1,234.56", None, "-1234.56", "-1234.56", ""),  # U+2212 minus sign
        ("－1,234.56", None, "-1234.56", "-1234.56", ""),  # full-width hyphen
        ("(-5.00)", None, "-5.00", "-5.00", ""),  # a minus inside parentheses is one negative
        ("12.5%", None, "12.5", "0.125", "%"),
        ("１２．５％", None, "12.5", "0.125", "%"),
        ("-3.21%", None, "-3.21", "-0.0321", "%"),
        ("１２３，４５６", YUAN, "123456", "123456", "元"),  # full-width digits and comma
        ("１２３，４５６．７８", WAN, "123456.78", "1234567800.00", "万元"),
        ("8,765.43", WAN, "8765.43", "87654300.00", "万元"),
        ("1.23亿元", YUAN, "1.23", "123000000.00", "亿元"),  # the cell's unit wins over the table's
        ("1.23亿", YUAN, "1.23", "123000000.00", "亿元"),  # a bare scale takes the table's currency
        ("5000万元", None, "5000", "50000000", "万元"),
        ("3,500.00元", None, "3500.00", "3500.00", "元"),
        ("人民币1,234.56元", None, "1234.56", "1234.56", "元"),
        ("¥ 1,234", None, "1234", "1234", "元"),
        ("0.35", find_unit("基本每股收益（元/股）"), "0.35", "0.35", "元/股"),
        ("增加12.3个百分点", None, "12.3", "0.123", "个百分点"),
        ("减少2.1个百分点", None, "-2.1", "-0.021", "个百分点"),
        ("下降5.6%", None, "-5.6", "-0.056", "%"),
        ("增长 15.2%", None, "15.2", "0.152", "%"),
        ("2.5 percentage points", None, "2.5", "0.025", "个百分点"),
        ("RMB 100 million", None, "100", "100000000", "RMB million"),
        ("100 million yuan", None, "100", "100000000", "yuan million"),
        ("US$ 5 million", None, "5", "5000000", "US$ million"),
        ("1.5 billion", None, "1.5", "1500000000.0", "billion"),
        ("1,234.56 *", YUAN, "1234.56", "1234.56", "元"),  # a notes marker after the number
        ("1.2E+08", None, "1.2E+8", "1.2E+8", ""),  # a spreadsheet's number as text
        ("3.2倍", None, "3.2", "3.2", "倍"),
        (" 0 ", YUAN, "0", "0", "元"),
    ],
)
def test_cells_read_as_numbers_in_their_unit(text, unit, value, base, symbol):
    quantity = parse_number(text, unit)
    assert quantity is not None, text
    assert quantity.value == D(value) and quantity.base == D(base) and quantity.unit.symbol == symbol
    assert quantity.raw == text


@pytest.mark.parametrize("text", ["", "  ", "-", "—", "——", "–", "--", "/", "不适用", "N/A", "n/a", "无", None])
def test_cells_saying_no_value_are_none(text):
    assert parse_number(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "129 188 735 59 , , .",  # the scrambled cell from the issue: no number, rather than a wrong one
        "七、1",  # a notes reference column
        "五、(三)",
        "2022年",
        "营业收入",
        "1,23,4",  # broken thousands grouping
        "(1,234.56",  # unbalanced parenthesis
        "12.5%%",
        "3,5",
    ],
)
def test_text_that_is_not_one_number_is_none(text):
    assert parse_number(text) is None


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False, allow_infinity=False))
def test_formatted_amounts_read_back_the_same(value):
    quantity = parse_number(format_number(value, 2), YUAN)
    assert quantity is not None and quantity.base == value


@pytest.mark.parametrize(
    ("text", "symbol", "base", "scale"),
    [
        ("单位：元", "元", "元", "1"),
        ("单位:元 币种:人民币", "元", "元", "1"),
        ("单位：万元", "万元", "元", "10000"),
        ("单位：亿元", "亿元", "元", "100000000"),
        ("单位：千元", "千元", "元", "1000"),
        ("金额单位：人民币万元", "万元", "元", "10000"),
        ("单位：人民币元", "元", "元", "1"),
        ("营业收入（万元）", "万元", "元", "10000"),
        ("基本每股收益（元／股）", "元/股", "元/股", "1"),
        ("加权平均净资产收益率(%)", "%", "ratio", "0.01"),
        ("本年比上年增减（%）", "%", "ratio", "0.01"),
        ("股本（万股）", "万股", "股", "10000"),
        ("Unit: RMB", "元", "元", "1"),
        ("RMB'000", "RMB'000", "元", "1000"),
        ("RMB’000", "RMB'000", "元", "1000"),
        ("In thousands of RMB", "RMB thousands", "元", "1000"),
        ("Expressed in RMB million", "RMB million", "元", "1000000"),
        ("(Renminbi thousands)", "Renminbi thousands", "元", "1000"),
        ("in thousands", "thousands", "", "1000"),
        ("Unit: HK$'000", "HK$'000", "HKD", "1000"),
        ("单位：美元", "美元", "USD", "1"),
        ("Unit: RMB10,000", "万元", "元", "10000"),  # English reports in the Chinese scales
        ("R&D investment (RMB10,000)", "万元", "元", "10000"),
        ("In RMB ten thousand", "万元", "元", "10000"),
        ("Unit: 10,000 yuan", "万元", "元", "10000"),
        ("Unit: RMB100 million", "亿元", "元", "100000000"),
    ],
)
def test_units_of_headers_and_unit_lines(text, symbol, base, scale):
    unit = find_unit(text)
    assert unit is not None, text
    assert (unit.symbol, unit.base, unit.scale) == (symbol, base, D(scale))


@pytest.mark.parametrize(
    "text",
    [
        "2022年",
        "本期发生额",
        "上年同期数",
        "多元化经营",
        "元旦",
        "股本",
        "项目",
        "附注",
        "a fine of RMB 10,000 was paid",
        "",
        None,
    ],
)
def test_texts_without_a_unit(text):
    assert find_unit(text) is None


def test_the_most_specific_unit_applies():
    assert first_unit("基本每股收益（元/股）", "2022年", "单位：元") == find_unit("元/股")
    assert first_unit("加权平均净资产收益率（%）", "本期", "单位：万元") == PERCENT
    assert first_unit("营业收入", "2022年", "单位：万元") == WAN
    assert first_unit("营业收入", "2022年", None) is None
    assert parse_number("12.50", first_unit("加权平均净资产收益率（%）", "单位：元")).base == D("0.1250")


def test_numbers_in_running_text():
    assert [q.base for q in find_numbers("净利润超过1亿元且营业收入不低于5,000万元")] == [D("100000000"), D("50000000")]
    assert [q.base for q in find_numbers("more than RMB 100 million, and 5 more")] == [D("100000000"), D("5")]


@pytest.mark.parametrize(
    ("question", "decimals", "percent", "unit"),
    [
        ("销售费用率是多少？保留两位小数", 2, False, None),
        ("保留2位小数", 2, False, None),
        ("结果保留一位小数", 1, False, None),
        ("精确到小数点后三位", 3, False, None),
        ("四舍五入保留整数", 0, False, None),
        ("结果取整", 0, False, None),
        ("以百分比表示，保留两位小数", 2, True, None),
        ("营业收入是多少亿元？保留两位小数", 2, False, "亿元"),
        ("营业收入是多少元？", None, False, "元"),
        ("以万元为单位", None, False, "万元"),
        ("rounded to 2 decimals", 2, False, None),
        ("Round to two decimal places.", 2, False, None),
        ("to one decimal place", 1, False, None),
        ("to the nearest whole number", 0, False, None),
        ("to the nearest tenth", 1, False, None),
        ("as a percentage", None, True, None),
        ("in RMB millions, rounded to 1 decimal", 1, False, "RMB million"),
        ("营业收入是多少？", None, False, None),
    ],
)
def test_rounding_asked(question, decimals, percent, unit):
    assert rounding_asked(question) == Rounding(decimals=decimals, percent=percent, unit=unit)


@pytest.mark.parametrize(
    ("value", "decimals", "expected"),
    [
        (D("12345678"), 2, "12,345,678.00"),
        (D("2.675"), 2, "2.68"),  # half up, exact: a float would give 2.67
        (D("2.665"), 2, "2.67"),
        (2.675, 2, "2.68"),  # floats are read through their shortest text
        (D("-1234.565"), 2, "-1,234.57"),
        (D("-0.001"), 2, "0.00"),  # no "-0.00"
        (D("12345678.5"), 0, "12,345,679"),
        (D("0.1234"), None, "0.1234"),
    ],
)
def test_format_number(value, decimals, expected):
    assert format_number(value, decimals) == expected


def test_format_percent_and_amounts():
    assert format_percent(D("0.0526315")) == "5.26%"
    assert format_percent(D("0.0526315"), 1) == "5.3%"
    assert format_percent(D("-0.125"), 0) == "-13%"
    amount = D("129188735.59")
    assert format_amount(amount) == "129,188,735.59 元"
    assert format_amount(amount, language="en") == "RMB 129,188,735.59"
    assert format_amount(amount, rounding_asked("是多少亿元？保留两位小数")) == "1.29 亿元"
    assert format_amount(amount, rounding_asked("是多少万元")) == "12,918.87 万元"
    assert format_amount(amount, rounding_asked("in RMB millions, rounded to 1 decimal"), "en") == "RMB 129.2 million"


@pytest.mark.parametrize(
    ("word", "number"),
    [("3", 3), ("三", 3), ("两", 2), ("十", 10), ("十二", 12), ("二十", 20), ("three", 3), ("三四", None), ("几", None)],
)
def test_small_numbers(word, number):
    assert small_number(word) == number


# --- metrics -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "metric_id", "how"),
    [
        ("营业收入", "revenue", "exact"),
        ("一、营业总收入", "revenue", "normalized"),
        ("其中：营业收入", "revenue", "normalized"),
        ("营 业 收 入", "revenue", "normalized"),  # a PDF's spaced-out characters
        ("Operating revenues", "revenue", "normalized"),
        ("营业外收入", "non_operating_income", "exact"),  # one character from 营业收入, another metric
        ("二、营业总成本", "total_operating_cost", "normalized"),
        ("减：营业成本", "operating_cost", "normalized"),
        ("Less: Cost of sales", "operating_cost", "normalized"),
        ("销售费用", "selling_expenses", "exact"),
        ("研发投入金额（元）", "rd_investment", "normalized"),  # expensed and capitalised R&D, not 研发费用
        ("研发投入占营业收入比例（%）", "rd_ratio", "normalized"),
        ("其中：利息费用", "interest_expense", "normalized"),
        ("四、净利润（净亏损以“－”号填列）", "net_profit", "normalized"),
        ("归属于上市公司股东的净利润（元）", "net_profit_parent", "normalized"),
        ("1.归属于母公司股东的净利润", "net_profit_parent", "normalized"),
        ("归属于上市公司股东的扣除非经常性损益的净利润", "net_profit_deducted", "exact"),
        ("扣除非经常性损益后归属于上市公司股东的净利润", "net_profit_deducted", "exact"),
        ("2.少数股东损益", "minority_profit", "normalized"),
        ("归属于少数股东的净利润", "minority_profit", "exact"),
        ("（一）基本每股收益（元／股）", "basic_eps", "normalized"),
        ("资产总计", "total_assets", "exact"),
        ("资产总计注", "total_assets", "normalized"),
        ("货币资金³", "cash", "normalized"),  # a superscript footnote
        ("存货注1", "inventory", "normalized"),
        ("存  货", "inventory", "normalized"),
        ("流动资产合计", "current_assets", "exact"),
        ("非流动资产合计", "non_current_assets", "exact"),
        ("流动负债合计", "current_liabilities", "exact"),
        ("负债合计", "total_liabilities", "exact"),
        ("实收资本（或股本）", "share_capital", "normalized"),
        ("所有者权益（或股东权益）合计", "equity_total", "normalized"),
        ("归属于母公司所有者权益（或股东权益）合计", "equity_parent", "normalized"),
        ("负债和所有者权益（或股东权益）总计", "liabilities_and_equity", "normalized"),
        ("经营活动产生的现金流量净额", "operating_cash_flow", "exact"),
        ("五、现金及现金等价物净增加额", "net_increase_in_cash", "normalized"),
        ("Total assets", "total_assets", "exact"),
        ("TOTAL CURRENT LIABILITIES", "current_liabilities", "exact"),
        ("加权平均净资产收益率（%）", "roe_weighted", "normalized"),
        # misread characters: fuzzy, through edit distance and words
        ("归属于上市公司股东的净利闰", "net_profit_parent", "fuzzy"),
        ("经营活动产生的现金流量净頟", "operating_cash_flow", "fuzzy"),
        ("Total current asset", "current_assets", "normalized"),
        ("Net profit attributable to owners of the parent company", "net_profit_parent", "fuzzy"),
    ],
)
def test_row_labels_match_their_metric(label, metric_id, how):
    found = match_metric(label)
    assert found is not None, label
    assert (found.metric.id, found.how) == (metric_id, how)


@pytest.mark.parametrize(
    "label",
    [
        "其他流动资产",  # not 流动资产合计
        "其他应收款",
        "持续经营净利润",
        "少数股东权益",
        "研发投入资本化的金额（元）",  # not 研发投入金额
        "Add: Cash and cash equivalents at the beginning of the year",  # not at the end
        "营业利润率",
        "应付职工薪酬",
        "综合收益总额",
        "归属于母公司所有者的综合收益总额",
        "项目",
        "合计",
        "附注",
        "",
        "2022年12月31日",
    ],
)
def test_labels_of_other_things_match_no_metric(label):
    assert match_metric(label) is None


def test_the_fuzzy_threshold_can_be_lowered():
    assert match_metric("流动资产合汁") is None  # a misread character in a short label: too far by default
    assert match_metric("流动资产合汁", threshold=0.65).metric.id == "current_assets"
    assert match_metric("非流动资产合汁", threshold=0.65).metric.id == "non_current_assets"  # 非 still decides


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [
        ("营业收入", "营业收入", 0),
        ("营业收入", "营业外收入", 1),
        ("净利润", "净利闰", 1),
        ("", "abc", 3),
        ("kitten", "sitting", 3),
    ],
)
def test_edit_distance(a, b, distance):
    assert edit_distance(a, b) == distance == edit_distance(b, a)


def test_similarity_weighs_characters_and_words():
    assert similarity("营业收入", "营业收入") == 1.0
    assert similarity("营业利润率", "营业利润") < FUZZY_THRESHOLD  # one character more, another word
    assert similarity("归属于上市公司股东的净利闰", "归属于上市公司股东的净利润") >= FUZZY_THRESHOLD
    assert similarity("", "营业收入") == 0.0


def test_a_metrics_own_name_outranks_a_synonym():
    own, synonym = match_metric("营业收入"), match_metric("营业总收入")
    assert own.metric == synonym.metric and own.score > synonym.score
    assert match_metric("其中：营业收入").score > match_metric("一、营业总收入").score


@pytest.mark.parametrize(
    ("label", "normalized"),
    [
        ("一、营业总收入", "营业总收入"),
        ("（二）其中：营业收入（注1）", "营业收入"),
        ("(1) 存货*", "存货"),
        ("①应收账款", "应收账款"),
        ("3.投资收益", "投资收益"),
        ("基本每股收益（元／股）", "基本每股收益"),
        ("营 业 收 入", "营业收入"),
        ("Less: Cost of Sales", "cost of sale"),
        ("Add: Non-operating income Note 5", "non operating income"),
    ],
)
def test_normalize_label(label, normalized):
    assert normalize_label(label) == normalized


def test_the_dictionary_names_each_metric_once():
    owners: dict[str, set[str]] = {}
    for each in METRICS:
        for name in each.names:
            owners.setdefault(normalize_label(name), set()).add(each.id)
    assert {name: ids for name, ids in owners.items() if len(ids) > 1} == {}
    assert len({each.id for each in METRICS}) == len(METRICS)
    for required in ["revenue", "operating_cost", "selling_expenses", "admin_expenses", "rd_expenses", "finance_expenses", "net_profit",
                     "net_profit_parent", "net_profit_deducted", "total_assets", "current_assets", "total_liabilities",
                     "current_liabilities", "inventory", "equity_total", "operating_cash_flow", "basic_eps"]:  # fmt: skip
        assert metric(required).zh and metric(required).en


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("2022年营业收入和归属于上市公司股东的净利润分别是多少？净利润呢？", ["revenue", "net_profit_parent", "net_profit"]),
        ("营业外收入与利息收入", ["non_operating_income", "interest_income"]),  # not 收入 (revenue)
        ("What were total assets and net profit in FY2022? And revenue?", ["total_assets", "net_profit", "revenue"]),
        ("cost of sales", ["operating_cost"]),  # not "sales" (revenue)
        ("法定代表人是谁", []),
    ],
)
def test_metrics_named_in_text(text, ids):
    assert [mention.metric.id for mention in find_metrics(text)] == ids


# --- statements ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "kind", "scope"),
    [
        ("合并资产负债表", "balance_sheet", "consolidated"),
        ("母公司资产负债表", "balance_sheet", "parent"),
        ("合并利润表", "income_statement", "consolidated"),
        ("母公司利润表", "income_statement", "parent"),
        ("合并现金流量表", "cash_flow", "consolidated"),
        ("母公司现金流量表", "cash_flow", "parent"),
        ("合并所有者权益变动表", "equity_changes", "consolidated"),
        ("七、近三年主要会计数据和财务指标", "key_figures", "consolidated"),
        ("资产负债表", "balance_sheet", None),
        ("Consolidated Balance Sheet", "balance_sheet", "consolidated"),
        ("Balance Sheet of the Parent Company", "balance_sheet", "parent"),
        ("Consolidated Statement of Profit or Loss", "income_statement", "consolidated"),
        ("Consolidated Cash Flow Statement", "cash_flow", "consolidated"),
        ("Statement of Cash Flows of the Company", "cash_flow", "parent"),
        ("Key Accounting Data and Financial Indicators", "key_figures", "consolidated"),
        ("归属于母公司股东的净利润", None, None),  # attributable to the parent's owners: no parent scope
        ("第三节 管理层讨论与分析", None, None),
    ],
)
def test_statement_kinds(title, kind, scope):
    found = classify_statement(title)
    assert (found.kind, found.scope) == (kind, scope)


# --- formulas ------------------------------------------------------------------------------------


def test_a_ratio_shows_its_formula_with_the_operand_values():
    result = compute(
        formula("selling_expense_ratio"), {("selling_expenses", "this"): D("12345678.00"), ("revenue", "this"): D("234567890.12")}
    )
    assert result.error is None and result.display == "5.26%"
    assert result.expression == "销售费用率 = 销售费用 ÷ 营业收入 = 12,345,678.00 ÷ 234,567,890.12 = 5.26%"
    assert result.value == pytest.approx(0.0526315771)
    assert [(o.metric, o.value) for o in result.operands] == [("selling_expenses", 12345678.0), ("revenue", 234567890.12)]


@pytest.mark.parametrize(
    ("formula_id", "values", "language", "year", "rounding", "display", "expression"),
    [
        (
            "gross_margin",
            {("revenue", "this"): D("1000"), ("operating_cost", "this"): D("600")},
            "zh", 2022, None, "40.00%",
            "毛利率 = (2022年营业收入 - 2022年营业成本) ÷ 2022年营业收入 = (1,000.00 - 600.00) ÷ 1,000.00 = 40.00%",
        ),
        (
            "quick_ratio",
            {("current_assets", "this"): D("1500.50"), ("inventory", "this"): D("300.25"), ("current_liabilities", "this"): D("700")},
            "en", None, None, "1.71",
            "Quick ratio = (Total current assets - Inventories) ÷ Total current liabilities = (1,500.50 - 300.25) ÷ 700.00 = 1.71",
        ),
        (
            "current_ratio",
            {("current_assets", "this"): 2, ("current_liabilities", "this"): 3},
            "zh", None, Rounding(decimals=4), "0.6667",
            "流动比率 = 流动资产合计 ÷ 流动负债合计 = 2.00 ÷ 3.00 = 0.6667",
        ),
        (
            "current_ratio",
            {("current_assets", "this"): 2, ("current_liabilities", "this"): 3},
            "zh", None, Rounding(decimals=1, percent=True), "66.7%",
            "流动比率 = 流动资产合计 ÷ 流动负债合计 = 2.00 ÷ 3.00 = 66.7%",
        ),
        (
            "debt_to_asset",
            {("total_liabilities", "this"): 4.5e8, ("total_assets", "this"): 1.2e9},
            "zh", None, Rounding(decimals=1), "37.5%",
            "资产负债率 = 负债合计 ÷ 资产总计 = 450,000,000.00 ÷ 1,200,000,000.00 = 37.5%",
        ),
        (
            "roe",
            {("net_profit", "this"): 1000, ("equity_total", "this"): 6000, ("equity_total", "last"): 5000},
            "zh", 2022, None, "18.18%",
            "净资产收益率 = 2022年净利润 ÷ ((2021年所有者权益合计 + 2022年所有者权益合计) ÷ 2) = 1,000.00 ÷ ((5,000.00 + 6,000.00) ÷ 2) = 18.18%",
        ),
        (
            "roe_end",
            {("net_profit", "this"): 1000, ("equity_total", "this"): 6000},
            "en", None, None, "16.67%",
            "Return on period-end equity = Net profit ÷ Total equity = 1,000.00 ÷ 6,000.00 = 16.67%",
        ),
        (
            "gross_profit",
            {("revenue", "this"): D("1000.5"), ("operating_cost", "this"): D("600.25")},
            "zh", None, None, "400.25 元",
            "毛利 = 营业收入 - 营业成本 = 1,000.50 - 600.25 = 400.25 元",
        ),
        (
            "bvps",
            {("equity_parent", "this"): D("3000000000"), ("share_capital", "this"): D("1000000000")},
            "en", None, None, "RMB 3.00 per share",
            "Net assets per share = Equity attributable to owners of the parent ÷ Share capital = 3,000,000,000.00 ÷ 1,000,000,000.00 = RMB 3.00 per share",
        ),
        (
            "period_expense_ratio",
            {("selling_expenses", "this"): 10, ("admin_expenses", "this"): 20, ("rd_expenses", "this"): 30, ("finance_expenses", "this"): -5, ("revenue", "this"): 500},
            "zh", None, None, "11.00%",
            "期间费用率 = (销售费用 + 管理费用 + 研发费用 + 财务费用) ÷ 营业收入 = (10.00 + 20.00 + 30.00 + (-5.00)) ÷ 500.00 = 11.00%",
        ),
    ],
)  # fmt: skip
def test_formulas(formula_id, values, language, year, rounding, display, expression):
    result = compute(formula(formula_id), values, year=year, language=language, rounding=rounding)
    assert (result.error, result.display, result.expression) == (None, display, expression)


def test_growth_is_against_the_absolute_last_year():
    revenue = growth("revenue")
    result = compute(revenue, {("revenue", "this"): D("120"), ("revenue", "last"): D("100")}, year=2020)
    assert result.display == "20.00%"
    assert (
        result.expression
        == "营业收入增长率 = (2020年营业收入 - 2019年营业收入) ÷ |2019年营业收入| = (120.00 - 100.00) ÷ |100.00| = 20.00%"
    )
    from_a_loss = compute(
        growth("net_profit"), {("net_profit", "this"): -50, ("net_profit", "last"): -100}, rounding=Rounding(decimals=1)
    )
    assert from_a_loss.display == "50.0%"  # a smaller loss is growth
    assert compute(growth("net_profit"), {("net_profit", "this"): -150, ("net_profit", "last"): 100}).display == "-250.00%"
    assert formula("growth:revenue") == revenue and formula("change:net_profit_parent") == change("net_profit_parent")


def test_change_keeps_the_sign_and_unit():
    result = compute(
        change("net_profit_parent"),
        {("net_profit_parent", "this"): D("90.5"), ("net_profit_parent", "last"): D("100")},
        year=2022,
    )
    assert result.value == pytest.approx(-9.5) and result.display == "-9.50 元"
    eps = compute(change("basic_eps"), {("basic_eps", "this"): D("0.35"), ("basic_eps", "last"): D("0.30")}, language="en")
    assert eps.display == "RMB 0.05 per share"
    amount = compute(
        change("revenue"), {("revenue", "this"): 3e8, ("revenue", "last"): 1e8}, rounding=rounding_asked("增加了多少亿元？")
    )
    assert amount.display == "2.00 亿元"


@pytest.mark.parametrize(
    ("formula_id", "values", "language", "year", "error"),
    [
        ("selling_expense_ratio", {("revenue", "this"): 100}, "zh", 2022, "无法计算：未找到2022年销售费用"),
        ("selling_expense_ratio", {("revenue", "this"): 100}, "en", 2022, "cannot compute: Selling expenses 2022 not found"),
        ("selling_expense_ratio", {("selling_expenses", "this"): 5, ("revenue", "this"): 0}, "en", None, "cannot compute: Operating revenue is zero"),
        ("selling_expense_ratio", {("selling_expenses", "this"): 5, ("revenue", "this"): None}, "zh", None, "无法计算：未找到营业收入"),
        ("selling_expense_ratio", {("selling_expenses", "this"): 5, ("revenue", "this"): float("nan")}, "zh", None, "无法计算：未找到营业收入"),
        ("current_ratio", {}, "en", None, "cannot compute: Total current assets not found"),
        ("roe", {("net_profit", "this"): 1, ("equity_total", "this"): 6}, "en", 2022, "cannot compute: Total equity 2021 not found"),
        ("roe", {("net_profit", "this"): 1, ("equity_total", "this"): 5, ("equity_total", "last"): -5}, "zh", None,
         "无法计算：(上年所有者权益合计 + 所有者权益合计) ÷ 2为零"),
        ("growth:revenue", {("revenue", "this"): 5, ("revenue", "last"): 0}, "zh", 2020, "无法计算：|2019年营业收入|为零"),
    ],
)  # fmt: skip
def test_formulas_that_cannot_be_computed_say_why(formula_id, values, language, year, error):
    result = compute(formula(formula_id), values, year=year, language=language)
    assert isinstance(result, Computation)
    assert (result.error, result.value, result.display) == (error, None, None)
    assert result.expression.startswith(formula(formula_id).name(language) + " = ")


@pytest.mark.parametrize("each", FORMULAS, ids=lambda each: each.id)
def test_every_formula_is_complete(each: Formula):
    assert each.zh and each.en and each.unit in ("%", "ratio", "元", "元/股")
    for operand in each.operands:
        assert metric(operand.metric)  # every operand is a metric of the dictionary
    assert each.definition("zh").startswith(each.zh + " = ") and each.definition("en").startswith(each.en + " = ")
    values = {(ref.metric, ref.period): 7 for ref in each.operands}
    assert compute(each, values).error is None  # evaluates on any present, non-zero operands


def test_formula_names_are_unique_and_not_metric_names():
    formula_names = [name.lower() for each in FORMULAS for name in each.names]
    assert len(formula_names) == len(set(formula_names))
    metric_names = {name.lower() for each in METRICS for name in each.names}
    assert not metric_names & set(formula_names)


def test_roe_says_which_equity():
    assert "平均所有者权益" in formula("roe").definition("zh") or "年初 + 年末" in formula("roe").definition("zh")
    assert formula("roe").definition("en").endswith("(on average equity: (opening + closing) ÷ 2)")
    assert "期末" in formula("roe_end").definition("zh")


def test_operand_values_that_are_no_numbers_are_missing():
    result = compute(formula("current_ratio"), {("current_assets", "this"): float("inf"), ("current_liabilities", "this"): 3})
    assert result.error == "无法计算：未找到流动资产合计"
    assert [o.value for o in result.operands] == [None, 3.0]


def test_unknown_formula_is_a_key_error():
    with pytest.raises(KeyError):
        formula("no_such_formula")


@pytest.mark.parametrize(
    ("text", "ids"),
    [
        ("毛利率和毛利", ["gross_margin", "gross_profit"]),
        ("期末净资产收益率与ROE", ["roe_end", "roe"]),
        ("流动比率、速动比率、资产负债率", ["current_ratio", "quick_ratio", "debt_to_asset"]),
        ("What is the quick ratio and gross margin?", ["quick_ratio", "gross_margin"]),
        ("营业收入是多少", []),
    ],
)
def test_formulas_named_in_text(text, ids):
    assert [mention.formula.id for mention in find_formulas(text)] == ids


def test_operands_can_be_written_as_expressions():
    ratio = Formula("test", "测试", "Test", (Ref("revenue") - Ref("revenue", "last")) * 100 / Ref("revenue", "last"), "ratio")
    assert compute(ratio, {("revenue", "this"): 110, ("revenue", "last"): 100}).display == "10.00"


# --- years and companies -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "year", "years", "offsets"),
    [
        ("2022年营业收入是多少？", 2022, [2022], []),
        ("与2021年相比，2022年净利润增加了吗？", 2022, [2021, 2022], []),
        ("2022年营业收入比上年增长了多少？", 2022, [2021, 2022], [-1]),
        ("2022年与去年同期相比", 2022, [2021, 2022], [-1]),
        ("2022年比前年", 2022, [2020, 2022], [-2]),
        ("去年的营业收入", None, [], [-1]),
        ("营业收入超过2000万元的公司", None, [], []),  # an amount, no year
        ("2019-2021年的营业收入", 2021, [2019, 2020, 2021], []),
        ("What was revenue in FY2022?", 2022, [2022], []),
        ("revenue in 2021, 2022 and 2023.", 2023, [2021, 2022, 2023], []),
        ("fiscal year 2021 compared with the previous year", 2021, [2020, 2021], [-1]),
        ("股票代码688123", None, [], []),
    ],
)
def test_years(text, year, years, offsets):
    found = find_years(text)
    assert (found.year, found.years, found.offsets) == (year, years, offsets)


KNOWN = [
    Company(name="星海科技股份有限公司", short_names=["星海科技"], code="688123"),
    Company(name="月湖电子股份有限公司", short_names=["月湖电子"], code="002456"),
    Company(name="Northwind Technology Co., Ltd.", short_names=["Northwind"], code="600100"),
]


@pytest.mark.parametrize(
    ("text", "names", "matched"),
    [
        ("星海科技股份有限公司2022年营业收入", ["星海科技股份有限公司"], ["星海科技股份有限公司"]),
        ("星海科技的法定代表人", ["星海科技股份有限公司"], ["星海科技"]),
        ("688123的净利润", ["星海科技股份有限公司"], ["688123"]),
        ("600100.SH revenue", ["Northwind Technology Co., Ltd."], ["600100"]),
        ("星海科技和月湖电子哪家更高", ["星海科技股份有限公司", "月湖电子股份有限公司"], ["星海科技", "月湖电子"]),
        ("northwind technology's revenue", ["Northwind Technology Co., Ltd."], ["northwind technology"]),
        ("Northwinds", [], []),  # whole words only
        ("16881234", [], []),  # a code inside a longer number is none
        ("公司的电子信箱", [], []),
    ],
)
def test_companies_by_full_name_short_name_or_code(text, names, matched):
    found = find_companies(text, KNOWN)
    assert [mention.name for mention in found] == names and [mention.matched for mention in found] == matched


# --- questions -----------------------------------------------------------------------------------

QUESTIONS = [
    # (question, type, route, year, companies, metrics, formulas)
    ("星海科技的法定代表人是谁？", "lookup_text", "text", None, ["星海科技股份有限公司"], [], []),
    ("公司的电子信箱是什么？", "lookup_text", "text", None, [], [], []),
    ("2022年星海科技的营业收入是多少元？", "lookup_table", "table", 2022, ["星海科技股份有限公司"], ["revenue"], []),
    ("2021年的研发投入是多少？", "lookup_table", "table", 2021, [], ["rd_investment"], []),
    ("688123的2022年加权平均净资产收益率是多少？", "lookup_table", "table", 2022, ["星海科技股份有限公司"], ["roe_weighted"], []),
    ("在2022年的财务数据中，星海科技的销售费用率是多少？保留两位小数", "calculation", "table", 2022, ["星海科技股份有限公司"], [], ["selling_expense_ratio"]),
    ("2020年营业收入增长率是多少？", "calculation", "table", 2020, [], ["revenue"], ["growth:revenue"]),
    ("星海科技2022年的流动比率、资产负债率、毛利率分别是多少？", "calculation", "table", 2022, ["星海科技股份有限公司"], [], ["current_ratio", "debt_to_asset", "gross_margin"]),
    ("2022年星海科技的每股净资产是多少？", "calculation", "table", 2022, ["星海科技股份有限公司"], [], ["bvps"]),
    ("2022年营业收入比上年增加了多少万元？", "calculation", "table", 2022, [], ["revenue"], ["change:revenue"]),
    ("与2021年相比，2022年归属于上市公司股东的净利润是增加了还是减少了？", "comparison", "table", 2022, [], ["net_profit_parent"], ["change:net_profit_parent"]),
    ("星海科技和月湖电子2022年哪家营业收入更高？", "comparison", "table", 2022, ["星海科技股份有限公司", "月湖电子股份有限公司"], ["revenue"], []),
    ("2022年营业收入同比增长的原因是什么？", "comparison", "both", 2022, [], ["revenue"], ["change:revenue"]),
    ("2021年净利润超过1亿元的公司有哪些？", "statistics", "statistics", 2021, [], ["net_profit"], []),
    ("营业收入最高的三家公司是？", "statistics", "statistics", None, [], ["revenue"], []),
    ("有多少家公司2022年营业收入超过5000万元？", "statistics", "statistics", 2022, [], ["revenue"], []),
    ("2022年研发费用率排名前五的公司", "statistics", "statistics", 2022, [], [], ["rd_expense_ratio"]),
    ("2022年各公司的平均毛利率是多少？", "statistics", "statistics", 2022, [], [], ["gross_margin"]),
    ("公司的主营业务是什么？", "summary", "text", None, [], [], []),
    ("请简述星海科技的发展战略", "summary", "text", None, ["星海科技股份有限公司"], [], []),
    ("什么是流动比率？", "knowledge", "both", None, [], [], ["current_ratio"]),  # the text, then the formula library
    ("速动比率怎么计算？", "knowledge", "both", None, [], [], ["quick_ratio"]),
    ("什么是非经常性损益？", "knowledge", "text", None, [], [], []),
    ("What was Northwind Technology's operating revenue in 2022?", "lookup_table", "table", 2022, ["Northwind Technology Co., Ltd."], ["revenue"], []),
    ("What is the selling expense ratio of Northwind in FY2022? Round to 2 decimal places.", "calculation", "table", 2022, ["Northwind Technology Co., Ltd."], [], ["selling_expense_ratio"]),
    ("What was the revenue growth rate in 2020?", "calculation", "table", 2020, [], ["revenue"], ["growth:revenue"]),
    ("Did net profit attributable to owners of the parent increase or decrease in 2022 compared with 2021?", "comparison", "table", 2022, [], ["net_profit_parent"], ["change:net_profit_parent"]),
    ("Which three companies had the highest revenue in 2021?", "statistics", "statistics", 2021, [], ["revenue"], []),
    ("How many companies had net profit above RMB 100 million in 2021?", "statistics", "statistics", 2021, [], ["net_profit"], []),
    ("What is a current ratio?", "knowledge", "both", None, [], [], ["current_ratio"]),
    ("What is the current ratio?", "calculation", "table", None, [], [], ["current_ratio"]),  # its value
    ("营业收入", "lookup_table", "table", None, [], ["revenue"], []),
    ("2022年营业收入是否超过1亿元？", "lookup_table", "table", 2022, [], ["revenue"], []),  # one company's figure
    ("How is the quick ratio calculated?", "knowledge", "both", None, [], [], ["quick_ratio"]),
    ("What is the company's main business?", "summary", "text", None, [], [], []),
    ("Who is the legal representative of Northwind Technology?", "lookup_text", "text", None, ["Northwind Technology Co., Ltd."], [], []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("question", "kind", "route", "year", "companies", "metrics", "formulas"), QUESTIONS, ids=[q[0][:40] for q in QUESTIONS]
)
def test_questions_are_understood(question, kind, route, year, companies, metrics, formulas):
    found = analyze(question, KNOWN)
    assert (found.type, found.route, found.year) == (kind, route, year)
    assert [c.name for c in found.companies] == companies
    assert [m.id for m in found.metrics] == metrics
    assert [f.id for f in found.formulas] == formulas


@pytest.mark.parametrize(
    ("question", "shape", "k", "order", "threshold", "aggregate"),
    [
        ("2021年净利润超过1亿元的公司有哪些？", "threshold", None, None, (">", 1e8), None),
        ("营业收入最高的三家公司是？", "top_k", 3, "desc", None, None),
        ("研发费用最低的2家公司", "top_k", 2, "asc", None, None),
        ("哪家公司的净利润最高？", "top_k", 1, "desc", None, None),
        ("有多少家公司2022年营业收入超过5000万元？", "count", None, None, (">", 5e7), None),
        ("营业收入不低于1,000万元的公司有几家", "count", None, None, (">=", 1e7), None),
        ("资产负债率低于50%的公司有哪些", "threshold", None, None, ("<", 0.5), None),
        ("净利润在1亿元以上的公司有哪些", "threshold", None, None, (">=", 1e8), None),
        ("2022年各公司的平均毛利率是多少？", "aggregate", None, None, None, "avg"),
        ("2022年所有公司的营业收入合计是多少", "aggregate", None, None, None, "sum"),
        ("哪些公司披露了研发投入？", "list", None, None, None, None),
        ("营业收入超过2021年的公司有哪些", "list", None, None, None, None),  # a year is no threshold
        ("Which three companies had the highest revenue in 2021?", "top_k", 3, "desc", None, None),
        ("List the top 5 companies by net profit", "top_k", 5, "desc", None, None),
        ("How many companies had net profit above RMB 100 million in 2021?", "count", None, None, (">", 1e8), None),
        ("Which companies have a debt-to-asset ratio of at least 60%?", "threshold", None, None, (">=", 0.6), None),
        ("What was the average gross margin of the companies?", "aggregate", None, None, None, "avg"),
    ],
)
def test_statistics_shapes(question, shape, k, order, threshold, aggregate):
    found = analyze(question, KNOWN)
    assert found.type == "statistics" and found.route == "statistics"
    shown = found.statistics
    assert (shown.shape, shown.k, shown.order, shown.aggregate) == (shape, k, order, aggregate)
    assert (None if shown.threshold is None else (shown.threshold.op, pytest.approx(shown.threshold.value))) == threshold


@pytest.mark.parametrize(
    ("question", "direction"),
    [
        ("与2021年相比，2022年归属于上市公司股东的净利润是增加了还是减少了？", "increase_or_decrease"),
        ("2022年营业收入与上年相比是否增长？", "increase"),
        ("2022年净利润较上年是否下降？", "decrease"),
        ("星海科技和月湖电子2022年哪家营业收入更高？", "higher"),
        ("星海科技与月湖电子2022年谁的资产负债率更低", "lower"),
        ("Did revenue rise or fall in 2022 compared with 2021?", "increase_or_decrease"),
        ("2022年营业收入是多少？", None),
    ],
)
def test_comparison_direction(question, direction):
    assert analyze(question, KNOWN).comparison == direction


@pytest.mark.parametrize(
    ("question", "kind", "metrics", "loss", "shape"),
    [
        ("哪些公司2022年亏损？", "statistics", ["net_profit"], "net_profit", "list"),
        (
            "Among all 32 companies, how many companies reported a net loss in 2021?",
            "statistics",
            ["net_profit"],
            "net_profit",
            "count",
        ),
        ("2022年亏损的公司中营业收入最高的是哪家？", "statistics", ["net_profit", "revenue"], "net_profit", "top_k"),
        ("2022年归属于上市公司股东的净利润亏损的公司有哪些", "statistics", ["net_profit_parent"], "net_profit_parent", "list"),
        ("星海科技2022年是否亏损？", "lookup_table", ["net_profit"], "net_profit", None),
        ("Did Northwind make a loss in 2022?", "lookup_table", ["net_profit"], "net_profit", None),
        ("星海科技2022年的非经常性损益是多少？", "lookup_text", [], None, None),  # 损益 is no loss
    ],
)
def test_a_loss_is_asked_of_net_profit(question, kind, metrics, loss, shape):
    found = analyze(question, KNOWN)
    assert (found.type, [m.id for m in found.metrics], found.loss) == (kind, metrics, loss)
    assert (found.statistics.shape if found.statistics else None) == shape


def test_relative_years_are_counted_from_the_year_asked():
    found = analyze("2022年星海科技的净利润比去年增加了多少？", KNOWN)
    assert (found.year, found.years, found.relative_years) == (2022, [2021, 2022], [-1])
    assert [f.id for f in found.formulas] == ["change:net_profit"]
    unanchored = analyze("去年的营业收入是多少？")
    assert (unanchored.year, unanchored.years, unanchored.relative_years) == (None, [], [-1])


def test_the_analysis_is_json_for_the_cli_and_the_web_ui():
    found = analyze("在2022年的财务数据中，星海科技的销售费用率是多少？以百分比表示，保留两位小数", KNOWN)
    shown = found.model_dump(mode="json")
    assert shown["type"] == "calculation" and shown["language"] == "zh"
    assert shown["rounding"] == {"decimals": 2, "percent": True, "unit": None}
    assert shown["companies"] == [{"name": "星海科技股份有限公司", "code": "688123", "matched": "星海科技"}]
    assert shown["formulas"][0]["definition"] == "销售费用率 = 销售费用 ÷ 营业收入"
    assert QuestionAnalysis.model_validate_json(found.model_dump_json()) == found
    assert "statistics" in QuestionAnalysis.model_json_schema()["properties"]  # for the OpenAPI schema
    english = analyze("What is the gross margin of Northwind in 2022?", KNOWN)
    assert (
        english.language == "en"
        and english.formulas[0].definition == "Gross margin = (Operating revenue - Cost of sales) ÷ Operating revenue"
    )


@pytest.mark.parametrize("question", ["", "   ", "？？？", "2022", "%", "1" * 5000, "营业收入" * 200, "\x00\u202e", "What?"])
def test_any_text_gives_an_analysis(question):
    found = analyze(question)
    assert found.type in ("lookup_text", "lookup_table") and found.route == ("table" if found.metrics else "text")
