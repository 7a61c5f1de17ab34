"""Running SQL that a language model wrote: one read-only SELECT over the tables allowed, or nothing.

Two locks, either enough alone. :func:`check_select` parses the text and refuses anything but a
single SELECT (no ``;`` chains, no comments, no PRAGMA/ATTACH/INSERT/UPDATE/DELETE/CREATE …).
:func:`run_select` then runs it on a SQLite connection under an authorizer that allows reading only
the named tables and calling only ordinary functions, with ``query_only`` on, a time limit (a
progress handler interrupts it) and a row limit. The connection given is a private in-memory
database (:mod:`ragkb.answer.nl2sql`), so even a statement that got through could not reach the
catalog: not another knowledge base's rows, not a PostgreSQL server.
"""

from __future__ import annotations

import re
import sqlite3
import time
from dataclasses import dataclass

_STRING = re.compile(r"'(?:[^']|'')*'")
_FORBIDDEN = re.compile(
    r"\b(?:pragma|attach|detach|insert|update|delete|replace|upsert|create|drop|alter|vacuum|reindex|analyze|begin|commit"
    r"|rollback|savepoint|release|into|load_extension|readfile|writefile|fts3_tokenizer|sqlite_\w+)\b",
    re.IGNORECASE,
)
_FUNCTIONS = frozenset(
    {
        "abs", "avg", "count", "max", "min", "sum", "total", "round", "coalesce", "ifnull", "nullif", "iif", "lower", "upper",
        "length", "substr", "substring", "instr", "trim", "ltrim", "rtrim", "like", "glob", "printf", "format", "cast",
        "group_concat", "string_agg", "row_number", "rank", "dense_rank", "lag", "lead", "ntile", "percent_rank", "cume_dist",
        "first_value", "last_value",
    }
)  # fmt: skip


class UnsafeSQL(ValueError):
    """The SQL is not one read-only SELECT over the allowed tables; the message says why."""


def check_select(sql: str) -> str:
    """``sql`` without a trailing ``;`` if it is one SELECT (``WITH … SELECT`` too); else :class:`UnsafeSQL`."""
    text = sql.strip()
    text = text[:-1].rstrip() if text.endswith(";") else text
    bare = _STRING.sub("''", text)
    if not text:
        raise UnsafeSQL("no SQL")
    if ";" in bare:
        raise UnsafeSQL("more than one statement")
    if "--" in bare or "/*" in bare:
        raise UnsafeSQL("comments are not allowed")
    if not re.match(r"(?:select|with)\b", bare, re.IGNORECASE):
        raise UnsafeSQL("not a SELECT")
    forbidden = _FORBIDDEN.search(bare)
    if forbidden:
        raise UnsafeSQL(f"'{forbidden.group(0)}' is not allowed")
    if not sqlite3.complete_statement(text + ";"):
        raise UnsafeSQL("incomplete statement")
    return text


@dataclass
class Result:
    columns: list[str]
    rows: list[tuple]
    truncated: bool


def run_select(
    connection: sqlite3.Connection, sql: str, tables: frozenset[str], *, timeout_s: float = 2.0, row_limit: int = 200
) -> Result:
    """Run the checked ``sql`` on ``connection``, reading only ``tables``; raises :class:`UnsafeSQL`
    for what the authorizer refused and ``sqlite3.Error`` for a bad query or one past the time limit."""
    text = check_select(sql)
    allowed = {table.lower() for table in tables}

    def authorize(action: int, first: str | None, second: str | None, database: str | None, view: str | None) -> int:
        if action == sqlite3.SQLITE_SELECT:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_READ and (first or "").lower() in allowed:
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION and (second or "").lower() in _FUNCTIONS:
            return sqlite3.SQLITE_OK
        return sqlite3.SQLITE_DENY

    deadline = time.monotonic() + timeout_s
    connection.execute("PRAGMA query_only = ON")
    connection.set_authorizer(authorize)
    connection.set_progress_handler(lambda: int(time.monotonic() > deadline), 1000)
    try:
        cursor = connection.execute(text)
        rows = cursor.fetchmany(row_limit + 1)
    except sqlite3.DatabaseError as error:
        if "not authorized" in str(error) or "prohibited" in str(error):
            raise UnsafeSQL(f"refused by the authorizer ({error})") from None
        raise
    finally:
        connection.set_authorizer(None)
        connection.set_progress_handler(None, 0)
    columns = [column[0] for column in cursor.description or []]
    return Result(columns, [tuple(row) for row in rows[:row_limit]], len(rows) > row_limit)
