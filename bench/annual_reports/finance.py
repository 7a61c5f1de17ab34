"""Internally consistent financial statements of one invented company, 2019-2022.

Every amount is an integer number of fen (0.01 元), so totals add up exactly: the balance sheet
balances, each income-statement subtotal follows from its lines, closing cash is opening cash
plus the net flows, and equity rolls forward from profit, dividends and reserves. 2019 is only
the opening year (it feeds 2020's opening balances and dividends); reports print 2020-2022.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

OPENING_YEAR = 2019
YEARS = (2020, 2021, 2022)
REPORT_YEAR = 2022

Ledger = dict[str, dict[int, int]]  # item key -> year -> fen (counts such as employees: units)

BALANCE_PARTS = {
    "current_assets": {
        "cash": 0.22,
        "trading_fa": 0.05,
        "notes_rec": 0.04,
        "accounts_rec": 0.2,
        "receivables_fin": 0.03,
        "prepayments": 0.03,
        "other_rec": 0.02,
        "inventory": 0.0,
        "contract_assets": 0.03,
        "other_ca": 0.03,
    },
    "noncurrent_assets": {
        "lt_equity_inv": 0.06,
        "other_equity_inv": 0.03,
        "invest_property": 0.02,
        "fixed_assets": 0.4,
        "cip": 0.1,
        "rou": 0.03,
        "intangibles": 0.12,
        "goodwill": 0.06,
        "lt_prepaid": 0.02,
        "dta": 0.03,
        "other_nca": 0.04,
    },
    "current_liabilities": {
        "st_loans": 0.18,
        "notes_pay": 0.1,
        "accounts_pay": 0.3,
        "contract_liab": 0.08,
        "payroll_pay": 0.06,
        "taxes_pay": 0.04,
        "other_pay": 0.06,
        "ncl_due": 0.05,
        "other_cl": 0.03,
    },
    "noncurrent_liabilities": {"lt_loans": 0.45, "bonds": 0.0, "lease_liab": 0.1, "deferred_income": 0.15, "dtl": 0.05},
}
# the line that takes what rounding leaves, so the parts add up to their total exactly
REMAINDER = {
    "current_assets": "accounts_rec",
    "noncurrent_assets": "fixed_assets",
    "current_liabilities": "accounts_pay",
    "noncurrent_liabilities": "lt_loans",
}
OPTIONAL = (
    "trading_fa",
    "notes_rec",
    "receivables_fin",
    "contract_assets",
    "lt_equity_inv",
    "other_equity_inv",
    "invest_property",
    "goodwill",
    "notes_pay",
    "bonds",
    "dtl",
    "st_loans",
    "other_cl",
)


@dataclass(frozen=True)
class Shape:
    """The ranges an industry draws from (shares of revenue, unless named otherwise)."""

    gross_margin: tuple[float, float]
    selling: tuple[float, float]
    rd: tuple[float, float]
    inventory: float  # weight of inventories among current assets
    staff_cost: float  # revenue per employee, 元


def ratio(numerator: int | Decimal, denominator: int | Decimal, places: int = 2, scale: int = 1) -> Decimal:
    """numerator / denominator × scale, rounded half up to ``places`` (as reports and the questions round)."""
    value = Decimal(numerator) * scale / Decimal(denominator)
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def growth(now: int | Decimal, before: int | Decimal, places: int = 2) -> Decimal:
    """Change in percent against the absolute earlier value (so a smaller loss is a rise)."""
    return ratio(Decimal(now) - Decimal(before), abs(Decimal(before)), places, 100)


def split(total: int, weights: dict[str, float], rng: random.Random, rest: str) -> dict[str, int]:
    """``total`` in jittered proportion to ``weights``; ``rest`` takes the rounding, so the parts sum exactly."""
    jittered = {key: weight * rng.uniform(0.8, 1.2) for key, weight in weights.items()}
    whole = sum(jittered.values())
    parts = {key: int(total * weight / whole) for key, weight in jittered.items() if key != rest}
    parts[rest] = total - sum(parts.values())
    return parts


def _fen(yuan: float) -> int:
    return round(yuan * 100)


class _Simulation:
    """One entity (the group, consolidated, or the listed parent company alone), year by year."""

    def __init__(self, rng: random.Random, shape: Shape, revenue: float, shares: int, consolidated: bool):
        self.rng, self.shape, self.consolidated = rng, shape, consolidated
        self.book: Ledger = defaultdict(dict)
        self.share_capital = shares * 100
        self.revenue0 = revenue
        self.gross_margin = rng.uniform(*shape.gross_margin)
        self.selling = rng.uniform(*shape.selling)
        self.admin = rng.uniform(0.03, 0.08)
        self.rd = rng.uniform(*shape.rd)
        self.minority = rng.uniform(0.01, 0.08) if consolidated and rng.random() < 0.8 else 0.0
        self.tax_rate = rng.choice((0.15, 0.25))
        self.payout = rng.uniform(0.1, 0.4)
        self.debt_ratio = rng.uniform(0.18, 0.62)
        self.current_share = rng.uniform(0.4, 0.8)
        self.current_liab_share = rng.uniform(0.6, 0.92)
        self.rd_capitalised = rng.uniform(0.05, 0.3) if rng.random() < 0.4 else 0.0
        self.bad_year = rng.choice(YEARS) if rng.random() < 0.2 else None
        self.weights = {
            group: {key: (0.0 if key in OPTIONAL and rng.random() < 0.3 else w) for key, w in parts.items()}
            for group, parts in BALANCE_PARTS.items()
        }
        self.weights["current_assets"]["inventory"] = shape.inventory
        if not consolidated:
            self.weights["noncurrent_assets"]["goodwill"] = 0.0
            self.weights["noncurrent_assets"]["lt_equity_inv"] = 0.5  # the parent holds its subsidiaries

    def run(self) -> Ledger:
        revenue = self.revenue0
        for year in (OPENING_YEAR, *YEARS):
            if year > OPENING_YEAR:
                revenue *= 1 + self.rng.uniform(-0.18, 0.4)
            self.income(year, _fen(revenue))
            self.equity(year)
            self.balance(year)
            if year > OPENING_YEAR:
                self.cash_flow(year)
        return dict(self.book)

    def put(self, year: int, **values: int) -> None:
        for key, value in values.items():
            self.book[key][year] = value

    # -- income statement ------------------------------------------------------------------------
    def income(self, year: int, revenue: int) -> None:
        rng, bad = self.rng, year == self.bad_year
        margin = self.gross_margin + rng.uniform(-0.03, 0.03) - (0.12 if bad else 0.0)

        def share(rate: float) -> int:
            return int(revenue * rate * rng.uniform(0.85, 1.15))

        lines = {
            "cost_of_sales": revenue - share(margin),
            "taxes_surcharges": share(0.007),
            "selling_expenses": share(self.selling),
            "admin_expenses": share(self.admin),
            "rd_expenses": share(self.rd),
            "financial_expenses": int(revenue * rng.uniform(-0.006, 0.02)),
        }
        interest_income = share(0.004)
        interest_expense = max(0, lines["financial_expenses"] + interest_income - share(0.001))
        others = {
            "other_income": share(0.006),
            "investment_income": int(revenue * rng.uniform(-0.004, 0.015)),
            "fair_value_gains": int(revenue * rng.uniform(-0.002, 0.004)),
            "credit_impairment": -share(0.03 if bad else 0.005),
            "asset_impairment": -share(0.04 if bad else 0.004),
            "disposal_gains": int(revenue * rng.uniform(-0.001, 0.002)),
        }
        total_cost = sum(lines.values())
        operating = revenue - total_cost + sum(others.values())
        non_op_in, non_op_out = share(0.0015), share(0.0015)
        total_profit = operating + non_op_in - non_op_out
        tax = int(total_profit * self.tax_rate * rng.uniform(0.6, 1.0)) if total_profit > 0 else int(total_profit * 0.1)
        net = total_profit - tax
        minority = int(net * self.minority)
        oci = int(revenue * rng.uniform(-0.002, 0.002)) if self.consolidated or rng.random() < 0.5 else 0
        oci_minority = int(oci * self.minority)
        self.put(
            year,
            total_revenue=revenue,
            revenue=revenue,
            total_cost=total_cost,
            **lines,
            interest_expense=interest_expense,
            interest_income=interest_income,
            **others,
            operating_profit=operating,
            non_operating_income=non_op_in,
            non_operating_expenses=non_op_out,
            total_profit=total_profit,
            income_tax=tax,
            net_profit=net,
            np_parent=net - minority,
            minority_profit=minority,
            oci=oci,
            tci=net + oci,
            tci_parent=net - minority + oci - oci_minority,
            tci_minority=minority + oci_minority,
        )
        if self.consolidated:
            self.non_recurring(year, others, non_op_in - non_op_out)
            self.operations(year, revenue)

    def non_recurring(self, year: int, others: dict[str, int], non_operating: int) -> None:
        """非经常性损益: subsidies, disposals, fair-value changes, the rest; less tax and minority shares."""
        rng = self.rng
        parts = {
            "nr_disposal": others["disposal_gains"] + int(others["disposal_gains"] * rng.uniform(-0.2, 0.2)),
            "nr_subsidy": int(others["other_income"] * rng.uniform(0.4, 0.9)),
            "nr_fair_value": others["fair_value_gains"] + int(others["investment_income"] * rng.uniform(0, 0.3)),
            "nr_other": non_operating,
        }
        before_tax = sum(parts.values())
        parts["nr_tax"] = -int(before_tax * 0.15)
        parts["nr_minority"] = -int((before_tax + parts["nr_tax"]) * self.minority)
        total = sum(parts.values())
        self.put(year, **parts, nr_total=total, np_deducted=self.book["np_parent"][year] - total)

    def operations(self, year: int, revenue: int) -> None:
        """R&D spending and headcount (the figures of the MD&A section)."""
        rng = self.rng
        capitalised = int(self.book["rd_expenses"][year] * self.rd_capitalised)
        employees = max(120, int(revenue / 100 / self.shape.staff_cost * rng.uniform(0.9, 1.1)))
        roles = split(
            employees,
            {"staff_production": 0.45, "staff_sales": 0.15, "staff_tech": 0.25, "staff_finance": 0.04, "staff_admin": 0.11},
            rng,
            "staff_production",
        )
        self.put(
            year,
            rd_capitalised=capitalised,
            rd_invest=self.book["rd_expenses"][year] + capitalised,
            employees=employees,
            rd_staff=int(roles["staff_tech"] * rng.uniform(0.6, 0.95)),
            **roles,
        )

    # -- equity and balance sheet ----------------------------------------------------------------
    def equity(self, year: int) -> None:
        rng, book, np_parent = self.rng, self.book, self.book["np_parent"][year]
        if year == OPENING_YEAR:
            equity = max(_fen(self.revenue0 * rng.uniform(0.6, 1.5)), int(self.share_capital / 0.35))
            opening = {
                "capital_reserve": int(equity * rng.uniform(0.15, 0.35)),
                "treasury": int(equity * rng.uniform(0.005, 0.02)) if rng.random() < 0.3 else 0,
                "oci_balance": int(equity * rng.uniform(-0.01, 0.02)),
                "surplus_reserve": min(self.share_capital // 2, int(equity * rng.uniform(0.03, 0.1))),
            }
            opening["retained"] = (
                equity
                - self.share_capital
                - opening["capital_reserve"]
                + opening["treasury"]
                - opening["oci_balance"]
                - opening["surplus_reserve"]
            )
            previous = {**opening, "minority_equity": int(equity * self.minority * 1.2)}
            paid = _fen(self.revenue0 * rng.uniform(0.0, 0.03))  # dividends on 2018's profit
        else:
            previous = {
                key: book[key][year - 1]
                for key in ("capital_reserve", "treasury", "oci_balance", "surplus_reserve", "retained", "minority_equity")
            }
            paid = int(max(0, book["np_parent"][year - 1]) * self.payout)
        appropriation = min(max(0, np_parent) // 10, max(0, self.share_capital // 2 - previous["surplus_reserve"]))
        oci_parent = book["tci_parent"][year] - np_parent
        values = {
            "share_capital": self.share_capital,
            "capital_reserve": previous["capital_reserve"],
            "treasury": previous["treasury"],
            "oci_balance": previous["oci_balance"] + oci_parent,
            "surplus_reserve": previous["surplus_reserve"] + appropriation,
            "retained": previous["retained"] + np_parent - appropriation - paid,
        }
        equity_parent = sum(values.values()) - 2 * values["treasury"]  # 减：库存股
        minority = previous["minority_equity"] + book["tci_minority"][year]
        self.put(
            year,
            **values,
            equity_parent=equity_parent,
            minority_equity=minority,
            total_equity=equity_parent + minority,
            dividends_paid=paid,
        )

    def balance(self, year: int) -> None:
        rng, equity = self.rng, self.book["total_equity"][year]
        self.debt_ratio = min(0.85, max(0.08, self.debt_ratio + rng.uniform(-0.04, 0.04)))
        total_assets = int(equity / (1 - self.debt_ratio))
        liabilities = total_assets - equity
        current_assets = int(total_assets * min(0.9, max(0.25, self.current_share + rng.uniform(-0.04, 0.04))))
        current_liab = int(liabilities * min(0.97, max(0.4, self.current_liab_share + rng.uniform(-0.04, 0.04))))
        totals = {
            "current_assets": current_assets,
            "noncurrent_assets": total_assets - current_assets,
            "current_liabilities": current_liab,
            "noncurrent_liabilities": liabilities - current_liab,
        }
        for group, total in totals.items():
            self.put(year, **split(total, self.weights[group], rng, REMAINDER[group]))
        self.put(year, **totals, total_assets=total_assets, total_liabilities=liabilities, total_liab_equity=liabilities + equity)
        cash = self.book["cash"][year]
        self.put(year, restricted_cash=int(cash * rng.uniform(0.0, 0.05)))
        self.put(year, cash_end=cash - self.book["restricted_cash"][year])

    # -- cash flow statement ---------------------------------------------------------------------
    def cash_flow(self, year: int) -> None:
        rng, book = self.rng, self.book
        revenue, net = book["revenue"][year], book["net_profit"][year]
        begin, end = book["cash_end"][year - 1], book["cash_end"][year]
        fx = int(revenue * rng.uniform(-0.001, 0.001))
        cfo = int(net * rng.uniform(0.6, 1.5) + revenue * rng.uniform(-0.03, 0.05))
        cfi = -int(revenue * rng.uniform(0.02, 0.12)) if rng.random() < 0.85 else int(revenue * rng.uniform(0, 0.03))
        cff = end - begin - cfo - cfi - fx
        self.flows(
            year,
            "cfo",
            cfo,
            revenue * rng.uniform(0.95, 1.12),
            {"cfo_sales": 0.9, "cfo_tax_refund": 0.01, "cfo_other_in": 0.03},
            "cfo_sales",
            {"cfo_purchases": 0.6, "cfo_staff": 0.15, "cfo_taxes": 0.06, "cfo_other_out": 0.06},
            "cfo_purchases",
        )
        self.flows(
            year,
            "cfi",
            cfi,
            revenue * rng.uniform(0.01, 0.06),
            {"cfi_recover": 0.7, "cfi_returns": 0.2, "cfi_disposal": 0.05},
            "cfi_recover",
            {"cfi_capex": 0.6, "cfi_invest": 0.4},
            "cfi_capex",
        )
        self.flows(
            year,
            "cff",
            cff,
            revenue * rng.uniform(0.03, 0.2),
            {"cff_equity": 0.1 if rng.random() < 0.2 else 0.0, "cff_borrow": 0.9},
            "cff_borrow",
            {"cff_repay": 0.7, "cff_dividends": 0.2, "cff_other_out": 0.05},
            "cff_repay",
        )
        self.put(year, fx_effect=fx, cash_increase=end - begin, cash_begin=begin)

    def flows(
        self,
        year: int,
        name: str,
        net: int,
        gross: float,
        inflows: dict[str, float],
        in_rest: str,
        outflows: dict[str, float],
        out_rest: str,
    ) -> None:
        """One activity: inflows - outflows = net, each side split into its lines.

        ``gross`` (fen) is the size of the smaller side; the larger one adds the net flow to it.
        """
        base = int(gross)
        total_in, total_out = base + max(net, 0), base - min(net, 0)
        self.put(year, **split(total_in, inflows, self.rng, in_rest), **split(total_out, outflows, self.rng, out_rest))
        self.put(year, **{name: net, f"{name}_in": total_in, f"{name}_out": total_out})


def simulate(rng: random.Random, shape: Shape, revenue: float, shares: int, consolidated: bool) -> Ledger:
    """Statements of the group (``consolidated``) or of the parent company alone, amounts in fen."""
    return _Simulation(rng, shape, revenue, shares, consolidated).run()


def quarters(rng: random.Random, book: Ledger, year: int) -> dict[str, list[int]]:
    """分季度主要财务指标: four quarters that add up to the year."""
    result = {}
    for key in ("revenue", "np_parent", "np_deducted", "cfo"):
        parts = split(book[key][year], {"q1": 0.2, "q2": 0.25, "q3": 0.25, "q4": 0.3}, rng, "q4")
        result[key] = [parts[q] for q in ("q1", "q2", "q3", "q4")]
    return result


def segments(rng: random.Random, book: Ledger, names: list[str], years: tuple[int, ...]) -> dict[str, dict[int, int]]:
    """营业收入构成: revenue by product line and by region (each adds up to the revenue)."""
    weights = {name: rng.uniform(0.3, 1.0) for name in names}
    overseas = rng.uniform(0.03, 0.35)
    result: dict[str, dict[int, int]] = defaultdict(dict)
    for year in years:
        for key, value in split(book["revenue"][year], weights, rng, names[0]).items():
            result[key][year] = value
        regions = split(book["revenue"][year], {"domestic": 1 - overseas, "overseas": overseas}, rng, "domestic")
        for key, value in regions.items():
            result[key][year] = value
    return dict(result)
