"""Questions about the generated reports, answered from the generator's own data.

Every answer is computed from the exact figures (in fen) and checked against what the reports
print: each evidence item is a (file, page, text) that the page really shows, and a value read
from the printed text lies within the question's tolerance of the exact answer. Types:

* ``lookup_text``: a fact stated in words (法定代表人, 电子信箱, 会计师事务所, dividend plan);
* ``lookup_table``: one table cell (营业收入, 存货, 研发投入 …), consolidated unless asked otherwise;
* ``calculation``: a ratio or growth rate from two or three cells (毛利率, 流动比率, 增长率 …);
* ``comparison``: did a figure rise or fall against the year before;
* ``statistics``: one question over all reports (threshold, top-k, count, sum, average);
* ``summary``: what the company does, or what a financial term means (no report needed).
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from annual_reports.companies import Company
from annual_reports.formats import number, words
from annual_reports.formulas import FORMULAS
from annual_reports.report import BEFORE, LAST, THIS, Fact, Report

TWO = Decimal("0.01")
TYPES = ("lookup_text", "lookup_table", "calculation", "comparison", "statistics", "summary")


@dataclass(frozen=True)
class Metric:
    key: str
    zh: str
    en: str
    scopes: tuple[str, ...]  # where the reports print it, best first: indicator, group, expense, rd, cashflow, staff
    point: bool = False  # a balance at the year end (年末), not a flow over the year
    unit: str = "元"


METRICS = {
    m.key: m
    for m in (
        Metric("revenue", "营业收入", "operating revenue", ("indicator", "group")),
        Metric(
            "np_parent",
            "归属于上市公司股东的净利润",
            "net profit attributable to shareholders of the listed company",
            ("indicator", "group"),
        ),
        Metric(
            "np_deducted",
            "归属于上市公司股东的扣除非经常性损益的净利润",
            "net profit attributable to shareholders of the listed company after deducting non-recurring gains and losses",
            ("indicator",),
        ),
        Metric(
            "cfo", "经营活动产生的现金流量净额", "net cash flows from operating activities", ("indicator", "group", "cashflow")
        ),
        Metric("total_assets", "总资产", "total assets", ("indicator", "group"), point=True),
        Metric(
            "equity_parent",
            "归属于上市公司股东的净资产",
            "net assets attributable to shareholders of the listed company",
            ("indicator", "group"),
            point=True,
        ),
        Metric("eps_basic", "基本每股收益", "basic earnings per share", ("indicator", "group"), unit="元/股"),
        Metric("net_profit", "净利润", "net profit", ("group",)),
        Metric("cost_of_sales", "营业成本", "cost of sales", ("group",)),
        Metric("selling_expenses", "销售费用", "selling expenses", ("group", "expense")),
        Metric("admin_expenses", "管理费用", "administrative expenses", ("group", "expense")),
        Metric("rd_expenses", "研发费用", "research and development expenses", ("group", "expense")),
        Metric("financial_expenses", "财务费用", "financial expenses", ("group", "expense")),
        Metric("operating_profit", "营业利润", "operating profit", ("group",)),
        Metric("income_tax", "所得税费用", "income tax expenses", ("group",)),
        Metric("inventory", "存货", "inventories", ("group",), point=True),
        Metric("accounts_rec", "应收账款", "accounts receivable", ("group",), point=True),
        Metric("cash", "货币资金", "monetary funds", ("group",), point=True),
        Metric("current_assets", "流动资产合计", "total current assets", ("group",), point=True),
        Metric("current_liabilities", "流动负债合计", "total current liabilities", ("group",), point=True),
        Metric("total_liabilities", "负债合计", "total liabilities", ("group",), point=True),
        Metric("rd_invest", "研发投入金额", "R&D investment", ("rd",)),
        Metric("rd_staff", "研发人员数量", "number of R&D staff", ("rd",), unit="人"),
        Metric("employees", "在职员工数量", "total number of employees", ("staff",), point=True, unit="人"),
    )
}


def plain(text: str) -> str:
    """'(1,234.56)' -> '-1,234.56': answers state negatives with a minus sign, whatever the report prints."""
    return f"-{text[1:-1]}" if text.startswith("(") and text.endswith(")") else text


@dataclass
class Question:
    question: str
    type: str
    subtype: str
    lang: str
    answer: str
    answers: list[str]
    evidence: list[dict]
    company: Company | None = None
    year: int | None = None
    value: Decimal | None = None
    unit: str | None = None
    tolerance: Decimal | None = None
    formula: str | None = None
    gold_list: list[str] | None = None
    extra: dict = field(default_factory=dict)

    def record(self, number: int, split: str) -> dict:
        """The JSONL line: ``ragkb eval answers`` reads question/answers/support/source; the rest is for table QA."""
        row: dict = {
            "id": f"ar-{number:03d}",
            "question": self.question,
            "type": self.type,
            "subtype": self.subtype,
            "lang": self.lang,
            "split": split,
            "answer": self.answer,
            "answers": self.answers,
            "support": sorted({e["text"] for e in self.evidence}),
        }
        if self.company:
            row |= {
                "source": self.company.file,
                "company": self.company.short_name,
                "company_full": self.company.full_name,
                "stock_code": self.company.code,
            }
        if self.year:
            row["year"] = self.year
        if self.value is not None:
            row |= {"value": float(self.value), "unit": self.unit, "tolerance": float(self.tolerance or 0)}
        if self.formula:
            row["formula"] = self.formula
        if self.gold_list is not None:
            row["gold_list"] = self.gold_list
        row |= self.extra
        row["evidence"] = self.evidence
        return row


class Asker:
    """Questions about one company, and the helpers they share."""

    def __init__(self, company: Company, report: Report, rng: random.Random):
        self.c, self.r, self.rng, self.zh = company, report, rng, company.lang == "zh"

    def name(self) -> str:
        """The company as a question names it: short name mostly, sometimes the full name or the stock code."""
        roll = self.rng.random()
        if roll < 0.6:
            return self.c.short_name
        if roll < 0.85:
            return self.c.full_name
        return f"股票代码为{self.c.code}的公司" if self.zh else f"the company with stock code {self.c.code}"

    def evidence(self, fact: Fact, **about: object) -> dict:
        return {"file": self.c.file, "page": fact.page, "text": fact.text, **about}

    # -- figures -----------------------------------------------------------------------------------
    def exact(self, metric: str, year: int) -> Decimal:
        if METRICS[metric].unit == "元/股":
            return self.c.eps(year)
        if METRICS[metric].unit == "人":
            return Decimal(self.c.group[metric][year])
        return (Decimal(self.c.group[metric][year]) / 100).quantize(TWO)

    def facts(self, metric: str, year: int) -> list[Fact]:
        """Where the reports print ``metric`` of ``year`` (consolidated figures only)."""
        if METRICS[metric].scopes == ("staff",) and year != THIS:
            return []
        keys = [("staff", metric) if scope == "staff" else (scope, metric, year) for scope in METRICS[metric].scopes]
        found = [self.r.facts[key] for key in keys if key in self.r.facts]
        for fact in found:  # verified by construction: the printed figure is the exact one, up to rounding
            assert abs(fact.figure - self.exact(metric, year)) <= fact.tolerance, (self.c.file, metric, year, fact)
        return found

    def operand(self, metric: str, year: int) -> tuple[Decimal, Decimal, list[dict]]:
        """(exact value, the value printed in the first place it appears, evidence)."""
        facts = self.facts(metric, year)
        if not facts:
            raise LookupError(metric)
        about = {"metric": metric, "year": year}
        return self.exact(metric, year), facts[0].figure, [self.evidence(facts[0], **about, value=float(facts[0].figure))]

    def stated(self, fact: Fact, unit: str) -> str:
        """A printed figure with its unit: '1,234.56元', '-1,234.56万元', 'RMB 1,234.56', '1,234.56 (RMB10,000)'."""
        text = plain(fact.text)
        if fact.printed_in == "万元":
            return f"{text}万元" if self.zh else f"{text} (RMB10,000)"
        if self.zh:
            return text + unit
        return {"元": f"RMB {text}", "元/股": f"RMB {text} per share", "人": f"{text} persons"}[unit]

    def label(self, metric: str) -> str:
        return METRICS[metric].zh if self.zh else METRICS[metric].en

    # -- question types ------------------------------------------------------------------------------
    def lookup_table(self, subtype: str) -> Question | None:
        if subtype == "parent_revenue":
            return self.parent_revenue()
        if subtype == "quarter":
            return self.quarter()
        metric = METRICS[subtype]
        if metric.scopes == ("staff",):  # headcounts by function: the report year only
            year = THIS
        else:
            year = self.rng.choice((THIS, LAST, BEFORE) if metric.scopes[0] == "indicator" else (THIS, LAST))
        facts = self.facts(metric.key, year)
        if not facts:
            return None
        exact = self.exact(metric.key, year)
        when = (
            (f"{year}年末" if metric.point else f"{year}年")
            if self.zh
            else (f"at the end of {year}" if metric.point else f"in {year}")
        )
        name, label = self.name(), self.label(metric.key)
        if self.zh:
            unit = {"元": "多少元", "元/股": "多少元", "人": "多少人"}[metric.unit]
            question = self.rng.choice((f"{when}{name}的{label}是{unit}？", f"{name}{when}的{label}是多少？"))
        else:
            question = f"What was the {label} of {name} {when}?"
        answers = list(dict.fromkeys(plain(f.text) for f in facts))
        if metric.unit == "元":
            answers += words(self.c.group[metric.key][year], self.c.lang)
        answer = self.stated(facts[0], metric.unit)
        return Question(
            question,
            "lookup_table",
            subtype,
            self.c.lang,
            answer,
            answers,
            [self.evidence(f, metric=metric.key, year=year, value=float(f.figure)) for f in facts],
            self.c,
            year,
            exact,
            metric.unit,
            max(f.tolerance for f in facts),
        )

    def parent_revenue(self) -> Question:
        """The 母公司 figure, asked for by name: the reader must take the parent company's statement."""
        year = self.rng.choice((THIS, LAST))
        fact = self.r.facts[("parent", "revenue", year)]
        exact = (Decimal(self.c.parent["revenue"][year]) / 100).quantize(TWO)
        name = self.name()
        question = (
            f"{name}母公司利润表中{year}年的营业收入是多少元？"
            if self.zh
            else f"What was the operating revenue of {name} in {year} according to the income statement of the parent company?"
        )
        return Question(
            question,
            "lookup_table",
            "parent_revenue",
            self.c.lang,
            self.stated(fact, "元"),
            [plain(fact.text), *words(self.c.parent["revenue"][year], self.c.lang)],
            [self.evidence(fact, metric="parent.revenue", year=year, value=float(fact.figure))],
            self.c,
            year,
            exact,
            "元",
            fact.tolerance,
        )

    def quarter(self) -> Question:
        q = self.rng.randrange(1, 5)
        fact = self.r.facts[("quarter", "revenue", q)]
        fen = self.c.quarters["revenue"][q - 1]
        name = self.name()
        question = (
            f"{name}{THIS}年第{'一二三四'[q - 1]}季度的营业收入是多少？"
            if self.zh
            else f"What was the operating revenue of {name} in the {('first', 'second', 'third', 'fourth')[q - 1]} quarter of {THIS}?"
        )
        return Question(
            question,
            "lookup_table",
            "quarter",
            self.c.lang,
            self.stated(fact, "元"),
            [plain(fact.text), *words(fen, self.c.lang)],
            [self.evidence(fact, metric=f"revenue.q{q}", year=THIS, value=float(fact.figure))],
            self.c,
            THIS,
            (Decimal(fen) / 100).quantize(TWO),
            "元",
            fact.tolerance,
        )

    def lookup_text(self, subtype: str) -> Question | None:
        c, name = self.c, self.name()
        if subtype == "dividend":
            return self.dividend(name)
        zh_q, en_q, key, value = {
            "legal_rep": ("{n}的法定代表人是谁？", "Who is the legal representative of {n}?", ("info", "legal_rep"), c.legal_rep),
            "email": ("{n}的电子信箱是什么？", "What is the e-mail address of {n}?", ("info", "email"), c.email),
            "reg_address": (
                "{n}的注册地址在哪里？",
                "What is the registered address of {n}?",
                ("info", "reg_address"),
                c.reg_address,
            ),
            "secretary": (
                "{n}的董事会秘书是谁？",
                "Who is the secretary of the board of {n}?",
                ("info", "secretary"),
                c.secretary,
            ),
            "website": ("{n}的公司网址是什么？", "What is the website of {n}?", ("info", "website"), c.website),
            "auditor": ("{n}聘请的会计师事务所是哪家？", "Which accounting firm audits {n}?", ("info", "auditor"), c.auditor),
            "code": ("{n}的股票代码是多少？", "What is the stock code of {n}?", ("info", "code"), c.code),
            "full_name": (
                "股票代码为{code}的公司全称是什么？",
                "What is the full name of the company with stock code {code}?",
                ("info", "full_name"),
                c.full_name,
            ),
            "top_holder": ("{n}的第一大股东是谁？", "Who is the largest shareholder of {n}?", ("info", "top_holder"), None),
            "founded": ("{n}成立于哪一年？", "In which year was {n} founded?", ("info", "founded"), c.founded),
        }[subtype]
        if subtype == "code":
            name = c.short_name if self.zh or self.rng.random() < 0.5 else c.full_name
        fact = self.r.facts[key]
        value = value or fact.text
        question = (zh_q if self.zh else en_q).format(n=name, code=c.code)
        return Question(question, "lookup_text", subtype, c.lang, value, [value], [self.evidence(fact)], c)

    def dividend(self, name: str) -> Question:
        fact, per10 = self.r.facts[("text", "dividend")], self.c.dividend_per_10()
        question = (
            f"{name}{THIS}年度的利润分配预案是每10股派发现金红利多少元？"
            if self.zh
            else f"How much cash dividend per 10 shares does {name} propose for {THIS}?"
        )
        if per10 is None:
            answer = "不派发现金红利" if self.zh else "No cash dividend is proposed"
            return Question(
                question,
                "lookup_text",
                "dividend",
                self.c.lang,
                answer,
                ["不派发现金红利" if self.zh else "not to distribute cash dividends"],
                [self.evidence(fact)],
                self.c,
                THIS,
            )
        answer = f"每10股派发现金红利{per10}元（含税）" if self.zh else f"RMB {per10} per 10 shares (tax included)"
        return Question(
            question,
            "lookup_text",
            "dividend",
            self.c.lang,
            answer,
            [f"{per10}元" if self.zh else f"RMB {per10}"],
            [self.evidence(fact)],
            self.c,
            THIS,
            per10,
            "元",
            Decimal("0.005"),
        )

    def calculation(self, subtype: str) -> Question | None:
        spec = FORMULAS[subtype]
        year = self.rng.choice(spec.years)
        try:
            operands = [self.operand(m, y) for m, y in spec.operands(year)]
        except LookupError:
            return None
        exact = spec.compute(*(value for value, _, _ in operands))
        if exact is None:
            return None
        printed = spec.compute(*(shown for _, shown, _ in operands))
        tolerance = TWO
        assert printed is not None and abs(printed - exact) <= tolerance, (self.c.file, subtype, exact, printed)
        name = self.name()
        question = (spec.zh if self.zh else spec.en).format(n=name, y=year, p=year - 1)
        text = f"{exact}%" if spec.unit == "%" else (f"{exact}元/股" if spec.unit == "元/股" and self.zh else str(exact))
        if spec.unit == "元/股" and not self.zh:
            text = f"RMB {exact} per share"
        answers = [f"{exact}%"] if spec.unit == "%" else [str(exact)]
        return Question(
            question,
            "calculation",
            subtype,
            self.c.lang,
            text,
            answers,
            [e for _, _, ev in operands for e in ev],
            self.c,
            year,
            exact,
            spec.unit,
            tolerance,
            spec.formula_zh if self.zh else spec.formula_en,
        )

    def comparison(self, subtype: str) -> Question | None:
        year = THIS if subtype not in ("revenue_2021", "np_parent_2021") else LAST
        metric = subtype.removesuffix("_2021")
        try:
            (now, _, ev_now), (before, _, ev_before) = self.operand(metric, year), self.operand(metric, year - 1)
        except LookupError:
            return None
        if before == 0 or abs((now - before) / before) < Decimal("0.01"):
            return None  # too close to call from rounded figures
        up = now > before
        name, label = self.name(), self.label(metric)
        diff = now - before
        if self.zh:
            question = f"与{year - 1}年相比，{name}{year}年的{label}是增加了还是减少了？"
            answer = f"{'增加' if up else '减少'}了：{year}年为{number(now)}，{year - 1}年为{number(before)}，{'增加' if up else '减少'}{number(abs(diff))}。"
            answers = ["增加"] if up else ["减少"]
        else:
            question = f"Compared with {year - 1}, did the {label} of {name} increase or decrease in {year}?"
            answer = f"It {'increased' if up else 'decreased'}: {number(now)} in {year} against {number(before)} in {year - 1}."
            answers = ["increased"] if up else ["decreased"]
        unit = METRICS[metric].unit
        return Question(
            question,
            "comparison",
            subtype,
            self.c.lang,
            answer,
            answers,
            ev_now + ev_before,
            self.c,
            year,
            diff,
            unit,
            TWO / 2 if unit != "元" else Decimal(100),
            extra={"direction": "up" if up else "down"},
        )

    def summary(self, subtype: str) -> Question:
        c, name = self.c, self.name()
        fact = self.r.facts[("text", "business")]
        if subtype == "products":
            question = f"{name}的主要产品有哪些？" if self.zh else f"What are the main products of {name}?"
            joined = "、".join(c.industry.products) if self.zh else ", ".join(c.industry.products)
            return Question(
                question,
                "summary",
                "products",
                c.lang,
                joined,
                list(c.industry.products),
                [self.evidence(fact)],
                c,
                gold_list=list(c.industry.products),
            )
        question = f"{name}的主营业务是什么？" if self.zh else f"What is the principal business of {name}?"
        answer = (
            f"公司主要从事{c.industry.business}。" if self.zh else f"The company is principally engaged in {c.industry.business}."
        )
        return Question(
            question,
            "summary",
            "main_business",
            c.lang,
            answer,
            [c.industry.business, *c.industry.products],
            [self.evidence(fact)],
            c,
        )


LOOKUP_TABLE = (
    "revenue",
    "np_parent",
    "np_deducted",
    "cfo",
    "total_assets",
    "equity_parent",
    "eps_basic",
    "net_profit",
    "selling_expenses",
    "rd_expenses",
    "inventory",
    "accounts_rec",
    "cash",
    "current_liabilities",
    "income_tax",
    "rd_invest",
    "rd_staff",
    "employees",
    "parent_revenue",
    "quarter",
)
LOOKUP_TEXT = (
    "legal_rep",
    "email",
    "reg_address",
    "secretary",
    "website",
    "auditor",
    "dividend",
    "code",
    "full_name",
    "top_holder",
    "founded",
)
COMPARISONS = (
    "np_parent",
    "revenue",
    "cfo",
    "total_assets",
    "rd_invest",
    "inventory",
    "selling_expenses",
    "revenue_2021",
    "np_parent_2021",
)
SUMMARIES = ("main_business", "products")

DEFINITIONS = (
    (
        "zh",
        "什么是流动比率？",
        "流动比率是流动资产合计与流动负债合计之比（流动资产/流动负债），反映企业用流动资产偿还短期债务的能力。",
        ["流动资产/流动负债", "流动资产除以流动负债", "流动资产与流动负债之比", "流动资产合计与流动负债合计之比"],
    ),
    (
        "zh",
        "资产负债率是怎么计算的？",
        "资产负债率 = 负债合计 / 资产总计 × 100%，反映总资产中有多大比例是通过负债取得的。",
        ["负债合计/资产总计", "负债总额/资产总额", "总负债/总资产", "负债合计除以资产总计", "负债总额除以资产总额"],
    ),
    (
        "en",
        "What is the quick ratio?",
        "The quick ratio is (current assets − inventories) / current liabilities: how well a company can pay its short-term debts without selling inventories.",
        [
            "current assets minus inventories",
            "current assets - inventories",
            "current assets excluding inventories",
            "current assets less inventories",
        ],
    ),
    (
        "en",
        "How is the gross margin calculated?",
        "Gross margin = (operating revenue − cost of sales) / operating revenue × 100%.",
        ["revenue minus cost of sales", "revenue - cost of sales", "revenue less cost of sales"],
    ),
)


class _Rotation:
    """Hands out subtypes in a shuffled cycle, so every subtype is used before any repeats."""

    def __init__(self, subtypes: tuple[str, ...], rng: random.Random):
        order = list(subtypes)
        rng.shuffle(order)
        self.cycle: Iterator[str] = itertools.cycle(order)
        self.size = len(order)

    def ask(self, make: Callable[[str], Question | None]) -> Question | None:
        for subtype in itertools.islice(self.cycle, self.size):
            question = make(subtype)
            if question is not None:
                return question
        return None


def company_questions(reports: list[Report], rng: random.Random) -> list[Question]:
    """Four or five questions per company, the types rotating so that every type and subtype comes up in both languages."""
    rotations = {
        kind: _Rotation(subtypes, rng)
        for kind, subtypes in (
            ("lookup_table", LOOKUP_TABLE),
            ("calculation", tuple(FORMULAS)),
            ("lookup_text", LOOKUP_TEXT),
            ("comparison", COMPARISONS),
            ("summary", SUMMARIES),
        )
    }
    questions: list[Question] = []
    for report in reports:
        asker, index = Asker(report.company, report, rng), report.company.index
        talk = ("lookup_text", "comparison") if (index // 4) % 2 == 0 else ("comparison", "lookup_text")
        kinds = ["lookup_table", "calculation", talk[0]]
        kinds += {0: ["summary"], 1: [talk[1]], 2: ["lookup_table", "calculation"]}[index % 3]
        for kind in kinds:
            question = rotations[kind].ask(getattr(asker, kind))
            if question is not None:
                questions.append(question)
    return questions


def definition_questions() -> list[Question]:
    return [Question(q, "summary", "definition", lang, answer, answers, []) for lang, q, answer, answers in DEFINITIONS]


def split_halves(questions: list[Question], rng: random.Random) -> list[str]:
    """dev or test for each question: within each type, half and half in a seeded random order."""
    splits = [""] * len(questions)
    for kind in TYPES:
        members = [i for i, q in enumerate(questions) if q.type == kind]
        rng.shuffle(members)
        for rank, i in enumerate(members):
            splits[i] = "dev" if rank % 2 == 0 else "test"
    return splits
