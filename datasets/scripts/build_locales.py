#!/usr/bin/env python3
"""Build the locales-mixed retrieval dataset (BEIR format) from the glibc locale sources on this machine.

    python3 datasets/scripts/build_locales.py [--source /usr/share/i18n/locales] [--out datasets/locales-mixed]

Table-heavy, mixed Chinese/English: one document per glibc locale (Debian 12 package ``locales``,
2.36), rendered as bilingual Markdown tables (field name in English and Chinese, value as the locale
defines it: currency, number and date formats, month and weekday names in the locale's own script,
country and language names, telephone prefix, paper size). Queries are templates filled with the values
of one locale, half in Chinese and half in English; every locale whose table holds the same values is
relevant (at most 3), so labels come from the data alone. Deterministic (sorted, fixed seed).
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections import defaultdict
from pathlib import Path

UCS = re.compile(r"<U([0-9A-Fa-f]{4,8})>")
SECTIONS = ("LC_IDENTIFICATION", "LC_MONETARY", "LC_NUMERIC", "LC_TIME", "LC_PAPER", "LC_TELEPHONE", "LC_ADDRESS", "LC_MEASUREMENT")
SEED = 20240601
QUERIES = 200


def decode(value: str) -> str:
    return UCS.sub(lambda m: chr(int(m.group(1), 16)), value)


def logical_lines(path: Path) -> tuple[list[str], str]:
    """Lines without comments, continuation lines (ending in the escape character) joined; and the escape character."""
    comment, escape = "#", "\\"
    lines, pending = [], ""
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        stripped = raw.strip()
        if stripped.startswith("comment_char"):
            comment = stripped.split()[1]
            continue
        if stripped.startswith("escape_char"):
            escape = stripped.split()[1]
            continue
        if stripped.startswith(comment) and not pending:
            continue
        if stripped.endswith(escape) and not stripped.endswith(escape * 2):
            pending += stripped[:-1]
            continue
        lines.append(pending + stripped)
        pending = ""
    return [line for line in lines if line], escape


def values(text: str, escape: str) -> list[str]:
    """``"a";"b";3`` → ['a', 'b', '3'] with <Uxxxx> decoded and escapes (``//`` → ``/``) undone."""
    parts = [part.strip().strip('"') for part in re.findall(r'"[^"]*"|[^;]+', text) if part.strip()]
    return [re.sub(re.escape(escape) + "(.)", r"\1", decode(part)) for part in parts]


def parse(path: Path) -> dict[str, dict[str, list[str] | str]]:
    """Section → keyword → values; ``copy`` kept as the key ``copy``."""
    sections: dict[str, dict] = {}
    current = None
    lines, escape = logical_lines(path)
    for line in lines:
        if line in SECTIONS:
            current = sections.setdefault(line, {})
        elif line.startswith("END "):
            current = None
        elif current is not None:
            keyword, *rest = line.split(None, 1)
            current[keyword] = values(rest[0] if rest else "", escape)
    return sections


class Locales:
    def __init__(self, source: Path):
        self.source = source
        self.cache: dict[str, dict] = {}

    def raw(self, name: str) -> dict:
        if name not in self.cache:
            self.cache[name] = parse(self.source / name)
        return self.cache[name]

    def section(self, name: str, section: str, depth: int = 0) -> dict:
        fields = dict(self.raw(name).get(section, {}))
        if "copy" in fields and depth < 8:
            copied = self.section(fields.pop("copy")[0], section, depth + 1)
            fields = {**copied, **fields}
        return fields


def field(sections: dict, section: str, keyword: str, index: int | None = 0) -> str:
    found = sections.get(section, {}).get(keyword) or [""]
    return found[index] if index is not None and index < len(found) else "; ".join(found)


def describe(name: str, locales: Locales) -> tuple[dict, str] | None:
    """The facts of one locale and its document text (bilingual tables), or None when it lacks basics."""
    s = {section: locales.section(name, section) for section in SECTIONS}
    facts = {
        "language": field(s, "LC_IDENTIFICATION", "language"),
        "territory": field(s, "LC_IDENTIFICATION", "territory"),
        "int_curr": field(s, "LC_MONETARY", "int_curr_symbol").strip(),
        "currency": field(s, "LC_MONETARY", "currency_symbol"),
        "decimal": field(s, "LC_NUMERIC", "decimal_point"),
        "thousands": field(s, "LC_NUMERIC", "thousands_sep"),
        "months": s["LC_TIME"].get("mon", []),
        "days": s["LC_TIME"].get("day", []),
        "d_fmt": field(s, "LC_TIME", "d_fmt"),
        "t_fmt": field(s, "LC_TIME", "t_fmt"),
        "first_weekday": field(s, "LC_TIME", "first_weekday") or "1",
        "prefix": field(s, "LC_TELEPHONE", "int_prefix"),
        "country_name": field(s, "LC_ADDRESS", "country_name"),
        "lang_name": field(s, "LC_ADDRESS", "lang_name"),
        "country_ab2": field(s, "LC_ADDRESS", "country_ab2"),
        "paper": f"{field(s, 'LC_PAPER', 'height')} × {field(s, 'LC_PAPER', 'width')} mm",
        "measurement": {"1": "metric", "2": "US customary"}.get(field(s, "LC_MEASUREMENT", "measurement"), ""),
    }
    if not (facts["int_curr"] and facts["country_name"] and len(facts["months"]) == 12 and len(facts["days"]) == 7):
        return None
    weekday = facts["days"][int(facts["first_weekday"]) - 1] if facts["first_weekday"].isdigit() else ""

    def table(rows: list[tuple[str, str]]) -> str:
        return "| field 字段 | value 值 |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows if v)

    text = "\n\n".join(
        [
            f"{facts['language']} / {facts['territory']}",
            "Identity 标识",
            table([("language 语言", facts["language"]), ("territory 地区", facts["territory"]),
                   ("language name 语言名称", facts["lang_name"]), ("country name 国家名称", facts["country_name"]),
                   ("country code 国家代码", facts["country_ab2"])]),
            "Money and numbers 货币与数字",
            table([("international currency code 国际货币代码", facts["int_curr"]), ("currency symbol 货币符号", facts["currency"]),
                   ("decimal point 小数点", facts["decimal"]), ("thousands separator 千位分隔符", facts["thousands"])]),
            "Dates and times 日期与时间",
            table([("date format 日期格式", facts["d_fmt"]), ("time format 时间格式", facts["t_fmt"]),
                   ("first day of the week 每周第一天", weekday)]),
            table([("month 月份 " + str(i + 1), m) for i, m in enumerate(facts["months"])]),
            table([("weekday 星期 " + str(i + 1), d) for i, d in enumerate(facts["days"])]),
            "Telephone, paper, measurement 电话、纸张、度量",
            table([("international dialling prefix 国际电话区号", facts["prefix"]), ("paper size 纸张尺寸", facts["paper"]),
                   ("measurement system 度量制", facts["measurement"])]),
        ]
    )  # fmt: skip
    return facts, text


TEMPLATES = [
    # (language, text, fact keys that make the query's identity)
    ("en", "Which locale has the currency code {int_curr} and the international dialling prefix {prefix}?", ("int_curr", "prefix")),
    ("en", "Locale whose first month is called {month1} and whose date format is {d_fmt}", ("month1", "d_fmt")),
    ("en", "Which locale writes the country name as {country_name} and uses {currency} as currency symbol?", ("country_name", "currency")),
    ("zh", "哪个语言环境的国际货币代码是 {int_curr}，国际电话区号是 {prefix}？", ("int_curr", "prefix")),
    ("zh", "第一个月份叫作 {month1}、日期格式为 {d_fmt} 的语言环境", ("month1", "d_fmt")),
    ("zh", "国家名称写作 {country_name}、货币符号为 {currency} 的是哪个语言环境？", ("country_name", "currency")),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=Path("/usr/share/i18n/locales"))
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "locales-mixed")
    args = parser.parse_args()
    locales = Locales(args.source)
    names = sorted(p.name for p in args.source.iterdir() if re.fullmatch(r"[a-z]{2,3}_[A-Z]{2}(@\w+)?", p.name))
    documents: dict[str, tuple[dict, str]] = {}
    for name in names:
        described = describe(name, locales)
        if described:
            documents[name] = described
    keys: dict[tuple, set[str]] = defaultdict(set)
    for name, (facts, _) in documents.items():
        facts["month1"] = facts["months"][0]
        for _, _, fields in TEMPLATES:
            keys[(fields, tuple(facts[f] for f in fields))].add(name)
    rng = random.Random(SEED)
    candidates = []
    for name, (facts, _) in documents.items():
        for index, (language, template, fields) in enumerate(TEMPLATES):
            relevant = keys[(fields, tuple(facts[f] for f in fields))]
            if all(facts[f] for f in fields) and len(relevant) <= 3:
                candidates.append((name, index, language, template.format(**facts), sorted(relevant)))
    rng.shuffle(candidates)
    chosen, used_pages, seen_texts = [], set(), set()
    for language in ("zh", "en"):
        for name, index, lang, text, relevant in candidates:
            if lang == language and name not in used_pages and text not in seen_texts and len(chosen) < QUERIES // 2 * (1 + (language == "en")):
                chosen.append((name, index, text, relevant))
                used_pages.add(name)
                seen_texts.add(text)
    out = args.out
    (out / "qrels").mkdir(parents=True, exist_ok=True)
    with (out / "corpus.jsonl").open("w", encoding="utf-8") as handle:
        for name, (facts, text) in documents.items():
            handle.write(json.dumps({"_id": name, "title": name, "text": text}, ensure_ascii=False) + "\n")
    chosen.sort()
    with (out / "queries.jsonl").open("w", encoding="utf-8") as handle:
        for name, index, text, _ in chosen:
            handle.write(json.dumps({"_id": f"q-{name}-{index}", "text": text}, ensure_ascii=False) + "\n")
    with (out / "qrels" / "test.tsv").open("w", encoding="utf-8") as handle:
        handle.write("query-id\tcorpus-id\tscore\n")
        for name, index, _, relevant in chosen:
            for doc in relevant:
                handle.write(f"q-{name}-{index}\t{doc}\t1\n")
    by_language = {lang: sum(1 for n, i, *_ in chosen if TEMPLATES[i][0] == lang) for lang in ("zh", "en")}
    multi = sum(1 for *_, relevant in chosen if len(relevant) > 1)
    print(json.dumps({"documents": len(documents), "locales_seen": len(names), "queries": len(chosen), "by_language": by_language,
                      "queries_with_several_relevant": multi, "judgements": sum(len(r) for *_, r in chosen)}, ensure_ascii=False))  # fmt: skip


if __name__ == "__main__":
    main()
