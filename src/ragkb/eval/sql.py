"""``ragkb eval sql``: execution accuracy of the SQL a model writes for statistics questions.

A question of a typed QA file (datasets/annual-reports/qa.jsonl) with ``gold_sql`` is asked of
:func:`ragkb.answer.nl2sql.write_sql` with the configured generator, exactly as answering asks it
(the same schema of the columns :func:`~ragkb.answer.nl2sql.relevant_metrics` chooses, the same
prompt and guard). Its SQL is right when its result equals the gold SQL's result with both run on
the same ``financials`` table, the one built from the KB's table store (*execution accuracy*, as
in Spider and BIRD; rows compared as a multiset, in order when the gold SQL has ORDER BY; numbers
within half the question's tolerance, else a relative 1e-6; text without case and spaces).

With the true figures (``financials.jsonl`` beside the QA file: a JSON object per company and
year with ``company``, ``short_name``, ``stock_code``, ``year`` and a value per metric id, as
bench/annual_reports writes it) two more numbers: whether the gold SQL gives the same result on the table read from the KB as on the
true table (the reading was right for that question), and whether the model's SQL on the KB's table
gives the true result (the whole way, reading and SQL).
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import ExitStack, closing
from dataclasses import asdict, dataclass
from pathlib import Path

from ragkb.answer.nl2sql import Financials, FinancialsRow, relevant_metrics, write_sql
from ragkb.answer.sql_guard import Result, UnsafeSQL
from ragkb.answer.tables import KBTables
from ragkb.errors import RagkbError
from ragkb.kb import KnowledgeBase
from ragkb.llms import Generator
from ragkb.tables.metrics import METRICS
from ragkb.tables.question import analyze

_METRIC_IDS = frozenset(m.id for m in METRICS)
_ORDERED = re.compile(r"\border\s+by\b", re.IGNORECASE)


@dataclass
class SQLQuestion:
    id: str
    question: str
    gold_sql: str
    subtype: str | None = None
    tolerance: float = 0.0


@dataclass
class SQLOutcome:
    """One question's SQL, its result against the gold result, and why it failed if it did."""

    id: str
    question: str
    subtype: str | None
    gold_sql: str
    sql: str | None
    error: str | None
    columns_shown: list[str]
    columns_needed: list[str]
    linked: bool
    """Every column the gold SQL reads was in the schema the model saw."""
    executed: bool
    correct: bool
    read_right: bool | None = None
    correct_end_to_end: bool | None = None


def load_sql_questions(path: Path, split: str | None = None) -> list[SQLQuestion]:
    """The questions of a QA file that have ``gold_sql`` (of ``split`` when given)."""
    if not path.is_file():
        raise RagkbError(f"{path}: no such QA file; give a JSONL file of questions with gold_sql")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    chosen = [
        SQLQuestion(str(r.get("id", n)), r["question"], r["gold_sql"], r.get("subtype"), float(r.get("tolerance") or 0.0))
        for n, r in enumerate(rows, start=1)
        if r.get("gold_sql") and (split is None or r.get("split") == split)
    ]
    if not chosen:
        raise RagkbError(f"{path}: no question with gold_sql{f' in split {split!r}' if split else ''}; nothing to score")
    return chosen


def columns_of(sql: str) -> list[str]:
    """The metric columns an SQL statement reads."""
    return sorted(set(re.findall(r"\b[a-z_]+\b", sql)) & _METRIC_IDS)


def truth_rows(path: Path, metric_ids: list[str]) -> list[FinancialsRow]:
    """The true ``financials`` rows of ``metric_ids`` from a ``financials.jsonl``."""
    rows: list[FinancialsRow] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            rows.append((row["company"], row.get("short_name"), row.get("stock_code"), row["year"], *map(row.get, metric_ids)))
    return rows


def _folded(value: object) -> object:
    return re.sub(r"\s+", "", value).casefold() if isinstance(value, str) else value


def _same_value(a: object, b: object, tolerance: float) -> bool:
    """Numbers within half the tolerance (else a relative 1e-6); text without case and spaces."""
    if isinstance(a, int | float) and isinstance(b, int | float):
        limit = tolerance / 2 + 1e-9 if tolerance else 1e-6 * max(1.0, abs(a), abs(b))
        return math.isclose(a, b, abs_tol=limit)
    return _folded(a) == _folded(b)


def _same_row(a: Sequence[object], b: Sequence[object], tolerance: float) -> bool:
    return len(a) == len(b) and all(_same_value(x, y, tolerance) for x, y in zip(a, b, strict=True))


def same_result(produced: Result, gold: Result, *, ordered: bool, tolerance: float = 0.0) -> bool:
    """Execution match: the same rows (a multiset; a sequence when ``ordered``), column names aside."""
    if len(produced.rows) != len(gold.rows):
        return False
    if ordered:
        return all(_same_row(a, b, tolerance) for a, b in zip(produced.rows, gold.rows, strict=True))
    unmatched = list(gold.rows)
    for row in produced.rows:
        match = next((i for i, other in enumerate(unmatched) if _same_row(row, other, tolerance)), None)
        if match is None:
            return False
        unmatched.pop(match)
    return True


def score(
    kb: KnowledgeBase,
    questions: list[SQLQuestion],
    generator: Generator,
    truth: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict:
    """Each question's :class:`SQLOutcome` and a summary (overall and per subtype)."""
    tables = KBTables(kb)
    known = tables.companies()
    outcomes = []
    for done, item in enumerate(questions, start=1):
        analysis = analyze(item.question, known)
        shown = relevant_metrics(analysis, tables)
        needed = columns_of(item.gold_sql)
        columns = list(dict.fromkeys(shown + needed))
        ordered = bool(_ORDERED.search(item.gold_sql))
        with ExitStack() as stack:
            table = stack.enter_context(closing(Financials.from_store(tables, known, columns)))
            gold = table.run(item.gold_sql)
            sql, error, produced = None, None, None
            try:
                sql = write_sql(analysis, shown, generator) if shown else None
                if sql is None:
                    error = "no metric column found for the question"
                else:
                    produced = table.run(sql)
            except (RagkbError, UnsafeSQL, sqlite3.Error) as failure:
                error = str(failure)
            outcome = SQLOutcome(
                item.id,
                item.question,
                item.subtype,
                item.gold_sql,
                sql,
                error,
                shown,
                needed,
                set(needed) <= set(shown),
                produced is not None,
                produced is not None and same_result(produced, gold, ordered=ordered, tolerance=item.tolerance),
            )
            if truth is not None:
                true_table = stack.enter_context(closing(Financials(columns, truth_rows(truth, columns))))
                true_result = true_table.run(item.gold_sql)
                outcome.read_right = same_result(gold, true_result, ordered=ordered, tolerance=item.tolerance)
                outcome.correct_end_to_end = produced is not None and same_result(
                    produced, true_result, ordered=ordered, tolerance=item.tolerance
                )
        outcomes.append(outcome)
        if progress:
            progress(done, len(questions))
    return {"generator": generator.name, "summary": summarize(outcomes), "questions": [asdict(o) for o in outcomes]}


def summarize(outcomes: list[SQLOutcome]) -> dict:
    def share(flag: str) -> dict:
        values = [getattr(o, flag) for o in outcomes if getattr(o, flag) is not None]
        return {"right": sum(values), "of": len(values), "rate": sum(values) / len(values) if values else None}

    by_subtype: dict[str, Counter] = {}
    for outcome in outcomes:
        counts = by_subtype.setdefault(outcome.subtype or "-", Counter())
        counts["questions"] += 1
        counts["correct"] += outcome.correct
    return {
        "questions": len(outcomes),
        "execution_accuracy": share("correct"),
        "executed": share("executed"),
        "schema_linked": share("linked"),
        "read_right": share("read_right"),
        "end_to_end": share("correct_end_to_end"),
        "by_subtype": {name: dict(counts) for name, counts in sorted(by_subtype.items())},
    }
