"""One company's annual report as a PDF, and every fact it prints with its page.

The report follows the sections of a Chinese A-share annual report (第一节 重要提示 … 第六节 财务报告)
in Chinese or in English. Each table cell or sentence a question may be answered from is recorded
as a :class:`Fact`: the page (1-based), the exact text printed there, and its value in base units
(元, %, 元/股, people), so questions and tests can check answers against the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from annual_reports.companies import Company
from annual_reports.finance import REPORT_YEAR, Ledger, growth, ratio
from annual_reports.formats import UNIT_LINES, UNITS, amount, in_unit, number, percent, tolerance, words
from annual_reports.pdf import Column, Row, Writer
from annual_reports.phrases import P
from annual_reports.statements import BALANCE_SHEET, CASH_FLOW_STATEMENT, INCOME_STATEMENT, PER_SHARE, Line, lines

THIS, LAST, BEFORE = REPORT_YEAR, REPORT_YEAR - 1, REPORT_YEAR - 2
_NUMBERING = re.compile(r"^([一二三四五六七八九十]+、|[IVX]+\. )")  # 五、 / V. before a statement line
ZERO = Decimal(0)


@dataclass(frozen=True)
class Fact:
    """Something a report prints: its page, the text exactly as printed, and its value in base units."""

    page: int
    text: str
    value: Decimal | None = None  # 元 for amounts, percent for %, 元/股 for EPS, people for headcounts
    unit: str = ""
    tolerance: Decimal = ZERO  # how far the printed figure may be from the exact one (万元 rounding)
    printed_in: str = ""  # the unit of an amount as printed: 元 or 万元

    @property
    def figure(self) -> Decimal:
        """The value of a printed figure (facts in words have none)."""
        if self.value is None:
            raise ValueError(f"{self.text!r} is not a figure")
        return self.value


@dataclass
class Report:
    company: Company
    pages: int
    facts: dict[tuple, Fact]


class _Builder:
    def __init__(self, company: Company):
        self.c, self.lang, self.style = company, company.lang, company.style
        self.w = Writer(company.lang, company.style.tables, company.style.split_fonts)
        self.facts: dict[tuple, Fact] = {}

    def t(self, key: str, **values: object) -> str:
        return P[key][0 if self.lang == "zh" else 1].format(**values)

    def unit_name(self, unit: str) -> str:
        return unit if self.lang == "zh" else {"元": "RMB", "万元": "RMB10,000"}[unit]

    # -- numbers and the facts behind them ------------------------------------------------------
    def money(self, fen: int, unit: str, blank_zero: bool = False) -> str:
        return "" if blank_zero and fen == 0 else amount(fen, unit, self.style.negatives)

    def money_fact(self, key: tuple, page: int, fen: int, unit: str) -> None:
        self.facts[key] = Fact(
            page, amount(fen, unit, self.style.negatives), in_unit(fen, unit) * UNITS[unit], "元", tolerance(unit), unit
        )

    def percent_fact(self, key: tuple, page: int, value: Decimal) -> None:
        self.facts[key] = Fact(page, percent(value), value, "%")

    def change(self, now: int | Decimal, before: int | Decimal) -> str:
        return percent(growth(now, before)) if before else self.t("na")

    # -- sections -------------------------------------------------------------------------------
    def build(self, path: Path) -> Report:
        for section in (
            self.cover,
            self.notices,
            self.profile,
            self.discussion,
            self.governance,
            self.shareholders,
            self.financial_report,
        ):
            self.w.new_page()
            section()
        footer = self.style.footer
        pages = self.w.save(
            path,
            self.c.header,
            footer,
            {"title": f"{self.c.full_name} {self.t('annual_report', year=THIS)}", "author": self.c.full_name},
        )
        return Report(self.c, pages, self.facts)

    def cover(self) -> None:
        c, w = self.c, self.w
        w.space(150)
        w.title(c.full_name, 22, after=24)
        w.title(self.t("annual_report", year=THIS), 20, after=60)
        w.title(self.t("cover_code", code=c.code, short=c.short_name), 11, after=10)
        w.title(self.t("cover_no", year=THIS + 1, n=10 + c.index % 40), 11, after=200)
        w.title(self.t("cover_date", year=THIS + 1), 12)

    def notices(self) -> None:
        c, w = self.c, self.w
        w.title(self.t("s1"), 15, after=12)
        w.heading(self.t("notice"))
        w.paragraph(self.t("notice_1"))
        w.paragraph(self.t("notice_2", legal=c.legal_rep, cfo=c.cfo, acc=c.accounting_head))
        page = w.paragraph(self.t("notice_3", auditor=c.auditor))
        self.facts[("info", "auditor")] = Fact(page, c.auditor)
        per10 = c.dividend_per_10()
        if per10 is None:
            page = w.paragraph(self.t("no_dividend"))
            self.facts[("text", "dividend")] = Fact(page, self.t("no_dividend"), ZERO, "元")
        else:
            page = w.paragraph(self.t("dividend", shares=f"{c.shares:,}", per10=per10))
            self.facts[("text", "dividend")] = Fact(page, f"{per10}", per10, "元")
        w.paragraph(self.t("risk"))
        w.heading(self.t("contents"))
        for key in ("s1", "s2", "s3", "s4", "s5", "s6"):
            w.paragraph(self.t(key), first_indent=2, after=0)
        w.heading(self.t("definitions"))
        rows = [
            (self.t("def_company"), c.full_name),
            (self.t("def_period"), self.t("def_period_text", year=THIS)),
            (self.t("def_unit"), self.t("def_unit_text")),
            (self.t("def_csrc"), self.t("def_csrc_text")),
        ]
        w.table(
            [
                Column(self.t("def_item"), 1.2, "left"),
                Column(self.t("def_means"), 0.3, "center"),
                Column(self.t("def_text"), 2.5, "left"),
            ],
            [Row([a, self.t("def_means"), b]) for a, b in rows],
        )

    def profile(self) -> None:
        c, w = self.c, self.w
        w.title(self.t("s2"), 15, after=12)
        w.heading(self.t("info"))
        info = [
            ("short_name", "i_short", c.short_name),
            ("code", "i_code", c.code),
            ("exchange", "i_exchange", c.exchange),
            ("full_name", "i_name", c.full_name),
            ("abbr", "i_abbr", c.short_name),
            ("legal_rep", "i_legal", c.legal_rep),
            ("reg_address", "i_reg", c.reg_address),
            ("postcode", "i_reg_post", c.postcode),
            ("office_address", "i_office", c.office_address),
            ("website", "i_web", c.website),
            ("email", "i_email", c.email),
            ("founded", "i_founded", c.founded),
        ]
        pages = w.table(
            [Column("", 1.3, "left"), Column("", 2.7, "left")],
            [Row([self.t(label), value]) for _, label, value in info],
            titled=False,
        )
        for (key, _, value), page in zip(info, pages, strict=False):
            self.facts[("info", key)] = Fact(page, value)
        w.heading(self.t("contact"))
        contact = [
            ("c_name", c.secretary),
            ("c_address", c.office_address),
            ("c_phone", c.phone),
            ("c_fax", c.fax),
            ("i_email", c.email),
        ]
        pages = w.table(
            [Column("", 1.3, "left"), Column(self.t("secretary"), 2.7, "left")],
            [Row([self.t(label), value]) for label, value in contact],
        )
        self.facts[("info", "secretary")] = Fact(pages[0], c.secretary)
        self.facts[("info", "phone")] = Fact(pages[2], c.phone)
        w.heading(self.t("other_info"))
        w.paragraph(self.t("auditor_line", auditor=c.auditor), first_indent=0)
        self.key_figures()
        self.quarterly()
        self.non_recurring()

    def key_figures(self) -> None:
        """主要会计数据和财务指标: always in 元, with the year-on-year change."""
        c, g, w = self.c, self.c.group, self.w
        w.heading(self.t("key"))
        w.paragraph(self.t("restated"), first_indent=0)
        years = (THIS, LAST, BEFORE)
        rows: list[tuple[tuple | None, Row]] = []
        for metric in ("revenue", "np_parent", "np_deducted", "cfo"):
            cells = [self.money(g[metric][y], "元") for y in years]
            rows.append(
                (
                    ("indicator", metric),
                    Row([self.t(f"k_{metric}"), cells[0], cells[1], self.change(g[metric][THIS], g[metric][LAST]), cells[2]]),
                )
            )
        for metric in ("eps_basic", "eps_diluted"):
            values = [c.eps(y, diluted=metric == "eps_diluted") for y in years]
            rows.append(
                (
                    ("indicator", metric),
                    Row(
                        [
                            self.t(f"k_{metric}"),
                            *(number(v, self.style.negatives) for v in values[:2]),
                            self.change(values[0], values[1]),
                            number(values[2], self.style.negatives),
                        ]
                    ),
                )
            )
        roe = {y: self.roe(y) for y in years}
        shift = roe[THIS] - roe[LAST]
        moved = self.t("pp_up" if shift >= 0 else "pp_down", x=f"{abs(shift):.2f}")
        rows.append(
            (("indicator", "roe"), Row([self.t("k_roe"), percent(roe[THIS]), percent(roe[LAST]), moved, percent(roe[BEFORE])]))
        )
        rows.append(
            (
                None,
                Row(
                    [
                        "",
                        self.t("year_end", year=THIS),
                        self.t("year_end", year=LAST),
                        self.t("change_end"),
                        self.t("year_end", year=BEFORE),
                    ],
                    header=True,
                ),
            )
        )
        for metric in ("total_assets", "equity_parent"):
            cells = [self.money(g[metric][y], "元") for y in years]
            rows.append(
                (
                    ("indicator", metric),
                    Row([self.t(f"k_{metric}"), cells[0], cells[1], self.change(g[metric][THIS], g[metric][LAST]), cells[2]]),
                )
            )
        columns = [
            Column("", 2.3, "left"),
            Column(self.t("year", year=THIS), 1.45),
            Column(self.t("year", year=LAST), 1.45),
            Column(self.t("change"), 1.05),
            Column(self.t("year", year=BEFORE), 1.45),
        ]
        pages = w.table(columns, [row for _, row in rows])
        for (key, row), page in zip(rows, pages, strict=False):
            if key is None:
                continue
            metric = key[1]
            for year, text in zip(years, (row.cells[1], row.cells[2], row.cells[4]), strict=False):
                if metric in ("eps_basic", "eps_diluted"):
                    self.facts[(key[0], metric, year)] = Fact(page, text, c.eps(year, metric == "eps_diluted"), "元/股")
                elif metric == "roe":
                    self.percent_fact((key[0], metric, year), page, roe[year])
                else:
                    self.money_fact((key[0], metric, year), page, g[metric][year], "元")
            self.facts[(key[0], metric, "change")] = Fact(page, row.cells[3])

    def roe(self, year: int) -> Decimal:
        """加权平均净资产收益率, as the average of opening and closing equity attributable to the parent."""
        g = self.c.group
        return ratio(g["np_parent"][year] * 2, g["equity_parent"][year] + g["equity_parent"][year - 1], 2, 100)

    def quarterly(self) -> None:
        unit, w = self.style.mdna_unit, self.w
        w.heading(self.t("quarterly"))
        w.pair("", UNIT_LINES[(self.lang, unit)])
        columns = [Column("", 2.2, "left"), *(Column(q, 1.2) for q in self.t("q").split("|"))]
        metrics = ("revenue", "np_parent", "np_deducted", "cfo")
        rows = [Row([self.t(f"q_{m}"), *(self.money(v, unit) for v in self.c.quarters[m])]) for m in metrics]
        for metric, page in zip(metrics, w.table(columns, rows), strict=False):
            for quarter, fen in enumerate(self.c.quarters[metric], start=1):
                self.money_fact(("quarter", metric, quarter), page, fen, unit)

    def non_recurring(self) -> None:
        g, w = self.c.group, self.w
        w.heading(self.t("nonrecurring"))
        w.pair("", UNIT_LINES[(self.lang, "元")])
        years = (THIS, LAST, BEFORE)
        keys = ("nr_disposal", "nr_subsidy", "nr_fair_value", "nr_other", "nr_tax", "nr_minority", "nr_total")
        sign = {"nr_tax": -1, "nr_minority": -1}  # printed as the amounts subtracted
        rows = [Row([self.t(k), *(self.money(sign.get(k, 1) * g[k][y], "元") for y in years)]) for k in keys]
        columns = [Column(self.t("item"), 2.6, "left"), *(Column(self.t("amount_of", year=y), 1.2) for y in years)]
        for key, page in zip(keys, w.table(columns, rows), strict=False):
            for year in years:
                self.money_fact(("nr", key, year), page, sign.get(key, 1) * g[key][year], "元")

    def discussion(self) -> None:
        c, g, w = self.c, self.c.group, self.w
        w.title(self.t("s3"), 15, after=12)
        w.heading(self.t("industry"))
        w.paragraph(self.t("industry_text", sector=c.industry.sector))
        w.heading(self.t("business"))
        products = (
            "、".join(c.industry.products)
            if self.lang == "zh"
            else ", ".join(c.industry.products[:-1]) + " and " + c.industry.products[-1]
        )
        page = w.paragraph(
            self.t(
                "business_text",
                business=c.industry.business,
                products=products,
                customers=c.industry.customers,
                founded=c.founded,
            )
        )
        self.facts[("text", "business")] = Fact(page, c.industry.business)
        w.heading(self.t("competence"))
        w.paragraph(self.t("competence_text"))
        w.heading(self.t("main"))
        w.heading(self.t("overview"), size=10.5, before=2)

        def moved(key: str) -> tuple[str, str]:
            change = growth(g[key][THIS], g[key][LAST])
            return self.t("up" if change >= 0 else "down"), f"{abs(change):.2f}"

        def stated(key: str) -> str:
            return number(in_unit(g[key][THIS], "万元")) if self.lang == "zh" else words(g[key][THIS], "en")[0]

        (rev_dir, rev_pct), (np_dir, np_pct) = moved("revenue"), moved("np_parent")
        page = w.paragraph(
            self.t(
                "overview_text",
                revenue=stated("revenue"),
                rev_dir=rev_dir,
                rev_pct=rev_pct,
                np=stated("np_parent"),
                np_dir=np_dir,
                np_pct=np_pct,
                cfo=stated("cfo"),
            )
        )
        self.facts[("text", "overview_revenue")] = Fact(page, stated("revenue"))
        self.composition()
        self.expenses()
        self.research()
        self.cash_summary()

    def composition(self) -> None:
        c, g, w, unit = self.c, self.c.group, self.w, self.style.mdna_unit
        w.heading(self.t("composition"), size=10.5, before=4)
        w.pair("", UNIT_LINES[(self.lang, unit)])
        columns = [
            Column(self.t("item"), 1.4, "left"),
            Column(self.t("amount_of", year=THIS), 1.35),
            Column(self.t("share_of"), 0.85),
            Column(self.t("amount_of", year=LAST), 1.35),
            Column(self.t("share_of"), 0.85),
            Column(self.t("yoy"), 0.85),
        ]
        entries: list[tuple[str | None, str, dict[int, int]]] = [(None, self.t("total_revenue"), g["revenue"])]
        entries.append(("", self.t("by_product"), {}))
        entries += [(name, name, c.segments[name]) for name in c.industry.products]
        entries.append(("", self.t("by_region"), {}))
        entries += [(region, self.t(region), c.segments[region]) for region in ("domestic", "overseas")]
        rows = []
        for key, label, values in entries:
            if not values:
                rows.append(Row([label, "", "", "", "", ""]))
                continue
            shares = {y: ratio(values[y], g["revenue"][y], 2, 100) for y in (THIS, LAST)}
            rows.append(
                Row(
                    [
                        label,
                        self.money(values[THIS], unit),
                        percent(shares[THIS]),
                        self.money(values[LAST], unit),
                        percent(shares[LAST]),
                        self.change(values[THIS], values[LAST]),
                    ],
                    indent=1 if key else 0,
                )
            )
        for (key, _, values), page in zip(entries, w.table(columns, rows), strict=False):
            if key:
                for year in (THIS, LAST):
                    self.money_fact(("segment", key, year), page, values[year], unit)

    def expenses(self) -> None:
        g, w, unit = self.c.group, self.w, self.style.mdna_unit
        w.heading(self.t("expenses"), size=10.5, before=4)
        w.pair("", UNIT_LINES[(self.lang, unit)])
        keys = ("selling_expenses", "admin_expenses", "financial_expenses", "rd_expenses")
        rows = []
        for key in keys:
            moved = g[key][LAST] and abs(growth(g[key][THIS], g[key][LAST])) >= 20
            note = self.t("because", reason=self.t(f"r_{key}")) if moved else self.t("no_change")
            rows.append(
                Row(
                    [
                        INCOME_LABEL[key][0 if self.lang == "zh" else 1],
                        self.money(g[key][THIS], unit),
                        self.money(g[key][LAST], unit),
                        self.change(g[key][THIS], g[key][LAST]),
                        note,
                    ]
                )
            )
        columns = [
            Column(self.t("item"), 1.2, "left"),
            Column(str(THIS) if self.lang == "en" else f"{THIS}年", 1.35),
            Column(str(LAST) if self.lang == "en" else f"{LAST}年", 1.35),
            Column(self.t("yoy"), 0.85),
            Column(self.t("explanation"), 1.6, "left"),
        ]
        for key, page in zip(keys, w.table(columns, rows), strict=False):
            for year in (THIS, LAST):
                self.money_fact(("expense", key, year), page, g[key][year], unit)

    def research(self) -> None:
        g, w, unit = self.c.group, self.w, self.style.mdna_unit
        w.heading(self.t("rd"), size=10.5, before=4)
        years = (THIS, LAST)
        staff_ratio = {y: ratio(g["rd_staff"][y], g["employees"][y], 2, 100) for y in years}
        rd_ratio = {y: ratio(g["rd_invest"][y], g["revenue"][y], 2, 100) for y in years}
        cap_ratio = {y: ratio(g["rd_capitalised"][y], g["rd_invest"][y], 2, 100) for y in years}
        unit_name = self.unit_name(unit)

        def points(values: dict[int, Decimal]) -> str:
            return percent(values[THIS] - values[LAST])

        rows = [
            (
                "rd_staff",
                Row(
                    [
                        self.t("rd_staff"),
                        f"{g['rd_staff'][THIS]:,}",
                        f"{g['rd_staff'][LAST]:,}",
                        self.change(g["rd_staff"][THIS], g["rd_staff"][LAST]),
                    ]
                ),
            ),
            (
                "rd_staff_ratio",
                Row([self.t("rd_staff_ratio"), percent(staff_ratio[THIS]), percent(staff_ratio[LAST]), points(staff_ratio)]),
            ),
            (
                "rd_invest",
                Row(
                    [
                        self.t("rd_invest", unit=unit_name),
                        self.money(g["rd_invest"][THIS], unit),
                        self.money(g["rd_invest"][LAST], unit),
                        self.change(g["rd_invest"][THIS], g["rd_invest"][LAST]),
                    ]
                ),
            ),
            ("rd_ratio", Row([self.t("rd_ratio"), percent(rd_ratio[THIS]), percent(rd_ratio[LAST]), points(rd_ratio)])),
            (
                "rd_capitalised",
                Row(
                    [
                        self.t("rd_capitalised", unit=unit_name),
                        self.money(g["rd_capitalised"][THIS], unit),
                        self.money(g["rd_capitalised"][LAST], unit),
                        self.change(g["rd_capitalised"][THIS], g["rd_capitalised"][LAST]),
                    ]
                ),
            ),
            (
                "rd_cap_ratio",
                Row([self.t("rd_cap_ratio"), percent(cap_ratio[THIS]), percent(cap_ratio[LAST]), points(cap_ratio)]),
            ),
        ]
        columns = [
            Column(self.t("item"), 2.4, "left"),
            Column(self.t("year", year=THIS), 1.3),
            Column(self.t("year", year=LAST), 1.3),
            Column(self.t("rd_change"), 0.9),
        ]
        pages = w.table(columns, [row for _, row in rows])
        for (key, _), page in zip(rows, pages, strict=False):
            for year in years:
                if key == "rd_staff":
                    self.facts[("rd", key, year)] = Fact(page, f"{g[key][year]:,}", Decimal(g[key][year]), "人")
                elif key in ("rd_invest", "rd_capitalised"):
                    self.money_fact(("rd", key, year), page, g[key][year], unit)
                else:
                    values = {"rd_staff_ratio": staff_ratio, "rd_ratio": rd_ratio, "rd_cap_ratio": cap_ratio}[key]
                    self.percent_fact(("rd", key, year), page, values[year])

    def cash_summary(self) -> None:
        g, w, unit = self.c.group, self.w, self.style.mdna_unit
        w.heading(self.t("cashflow"), size=10.5, before=4)
        w.pair("", UNIT_LINES[(self.lang, unit)])
        keys = ("cfo_in", "cfo_out", "cfo", "cfi_in", "cfi_out", "cfi", "cff_in", "cff_out", "cff", "cash_increase")
        labels = {line.key: line for line in CASH_FLOW_STATEMENT}
        rows = [
            Row(
                [
                    _NUMBERING.sub("", labels[k].zh if self.lang == "zh" else labels[k].en),
                    self.money(g[k][THIS], unit),
                    self.money(g[k][LAST], unit),
                    self.change(g[k][THIS], g[k][LAST]),
                ]
            )
            for k in keys
        ]
        columns = [
            Column(self.t("item"), 2.4, "left"),
            Column(self.t("year", year=THIS), 1.3),
            Column(self.t("year", year=LAST), 1.3),
            Column(self.t("yoy"), 0.9),
        ]
        for key, page in zip(keys, w.table(columns, rows), strict=False):
            for year in (THIS, LAST):
                self.money_fact(("cashflow", key, year), page, g[key][year], unit)

    def governance(self) -> None:
        c, g, w = self.c, self.c.group, self.w
        w.title(self.t("s4"), 15, after=12)
        w.heading(self.t("governance"))
        w.paragraph(self.t("governance_text"))
        w.heading(self.t("officers"))
        people = [(c.legal_rep, "t_chair"), (c.cfo, "t_cfo"), (c.secretary, "t_secretary"), (c.accounting_head, "t_acc")]
        w.table(
            [Column(self.t("o_name"), 1.0, "left"), Column(self.t("o_title"), 3.0, "left")],
            [Row([name, self.t(title)]) for name, title in people],
        )
        w.heading(self.t("staff"))
        roles = ("staff_production", "staff_sales", "staff_tech", "staff_finance", "staff_admin", "employees")
        rows = [Row([self.t(role), f"{g[role][THIS]:,}"]) for role in roles]
        pages = w.table([Column(self.t("staff_kind"), 2.0, "left"), Column(self.t("staff_count"), 1.2)], rows)
        for role, page in zip(roles, pages, strict=False):
            self.facts[("staff", role)] = Fact(page, f"{g[role][THIS]:,}", Decimal(g[role][THIS]), "人")

    def shareholders(self) -> None:
        c, w = self.c, self.w
        w.title(self.t("s5"), 15, after=12)
        w.heading(self.t("shares_title"))
        holders_count = 8_000 + c.shares % 60_000
        page = w.paragraph(self.t("shares_text", shares=f"{c.shares:,}", holders=f"{holders_count:,}"))
        self.facts[("text", "shares")] = Fact(page, f"{c.shares:,}", Decimal(c.shares), "股")
        w.heading(self.t("holders"), size=10.5)
        prefix = c.short_name.split(" ")[0][:2] if self.lang == "zh" else c.short_name.split(" ")[0]
        stakes = [
            Decimal(30 + c.index % 17) + Decimal(c.shares % 97) / 100,
            Decimal(8 + c.index % 5) + Decimal(c.shares % 89) / 100,
            Decimal(3 + c.index % 3) + Decimal(c.shares % 83) / 100,
            Decimal(2) + Decimal(c.shares % 79) / 100,
            Decimal(1) + Decimal(c.shares % 71) / 100,
        ]
        names = [
            (self.t("holding_co", prefix=prefix), "k_company"),
            (c.legal_rep, "k_person"),
            (self.t("hk_clearing"), "k_hk"),
            (c.cfo, "k_person"),
            (c.secretary, "k_person"),
        ]
        rows = [
            Row([name, self.t(kind), percent(stake), f"{int(c.shares * stake / 100):,}"])
            for (name, kind), stake in zip(names, stakes, strict=False)
        ]
        pages = w.table(
            [
                Column(self.t("h_name"), 2.2, "left"),
                Column(self.t("h_kind"), 1.4, "left"),
                Column(self.t("h_ratio"), 0.8),
                Column(self.t("h_count"), 1.3),
            ],
            rows,
        )
        self.facts[("info", "top_holder")] = Fact(pages[0], names[0][0])

    def financial_report(self) -> None:
        c, w = self.c, self.w
        w.title(self.t("s6"), 15, after=12)
        w.heading(self.t("audit"))
        day = 10 + c.index % 18
        w.table(
            [Column("", 1.3, "left"), Column("", 2.7, "left")],
            [
                Row([self.t("a_type"), self.t("a_clean")]),
                Row([self.t("a_date"), self.t("a_date_text", year=THIS + 1, day=day)]),
                Row([self.t("a_firm"), c.auditor]),
            ],
            titled=False,
        )
        w.heading(self.t("statements"))
        unit = self.style.statement_unit
        for title, statement, consolidated, column in (
            ("bs_group", BALANCE_SHEET, True, "date_col"),
            ("bs_parent", BALANCE_SHEET, False, "date_col"),
            ("is_group", INCOME_STATEMENT, True, "period_col"),
            ("is_parent", INCOME_STATEMENT, False, "period_col"),
            ("cf_group", CASH_FLOW_STATEMENT, True, "period_col"),
            ("cf_parent", CASH_FLOW_STATEMENT, False, "period_col"),
        ):
            w.heading(self.t(title), size=10.5, before=6, after=2)
            w.pair(self.t("prepared_by", name=c.full_name), UNIT_LINES[(self.lang, unit)])
            self.statement(
                lines(statement, consolidated),
                c.group if consolidated else c.parent,
                "group" if consolidated else "parent",
                unit,
                column,
            )
            w.paragraph(self.t("signed", legal=c.legal_rep, cfo=c.cfo, acc=c.accounting_head), size=8.5, first_indent=0, after=8)

    def statement(self, rows: list[Line], book: Ledger, scope: str, unit: str, column: str) -> None:
        years = (THIS, LAST)
        cells = []
        for line in rows:
            if line.key is None:
                values = ["", ""]
            elif line.key in PER_SHARE:
                values = [number(self.c.eps(y, line.key == "eps_diluted"), self.style.negatives) for y in years]
            else:
                values = [self.money(book[line.key][y], unit, blank_zero=True) for y in years]
            cells.append(Row([line.zh if self.lang == "zh" else line.en, *values], indent=line.indent))
        columns = [Column(self.t("item"), 2.3, "left"), *(Column(self.t(column, year=y), 1.1) for y in years)]
        for line, row, page in zip(rows, cells, self.w.table(columns, cells), strict=False):
            if line.key is None:
                continue
            for year, text in zip(years, row.cells[1:], strict=False):
                if line.key in PER_SHARE:
                    self.facts[(scope, line.key, year)] = Fact(page, text, self.c.eps(year, line.key == "eps_diluted"), "元/股")
                elif text:
                    self.money_fact((scope, line.key, year), page, book[line.key][year], unit)


INCOME_LABEL = {line.key: (line.zh, line.en) for line in INCOME_STATEMENT if line.key}


def write_report(company: Company, path: Path) -> Report:
    """Write ``company``'s annual report to ``path``; returns what it printed where."""
    return _Builder(company).build(path)
