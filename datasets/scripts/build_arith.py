#!/usr/bin/env python3
"""Build datasets/arith-word-problems: arithmetic word problems in Chinese and English for the
reasoning stage of ``ragkb lm`` (bench/lm_train.py).

    python3 datasets/scripts/build_arith.py [--out datasets] [--train 2000] [--test 100]

Each record is ``{"question", "steps", "answer", "language", "kind"}``; ``steps`` writes every
operation as a calculator call, ``<calc>EXPR</calc>=VALUE``, so ``ragkb lm sft --reasoning`` trains
the 【推理过程】…【最终答案】… template with it. Five kinds: add, subtract, multiply, divide (exact),
and two steps (total price, then change). Numbers are two- and three-digit, too many for a small
model to have memorised sums of. The test set holds no question of the training set. Seeded:
the same files every run.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

NAMES_ZH = ["小明", "小红", "小刚", "小丽", "王老师", "李阿姨", "张师傅", "小芳"]
NAMES_EN = ["Tom", "Anna", "Li Wei", "Maria", "Mr. Brown", "Sara", "Ken", "Emma"]
THINGS_ZH = [("苹果", "个"), ("铅笔", "支"), ("本子", "本"), ("气球", "个"), ("邮票", "张"), ("橘子", "个")]
THINGS_EN = ["apples", "pencils", "notebooks", "balloons", "stamps", "oranges"]


TEMPLATES = {  # kind: (Chinese question, Chinese steps, English question, English steps)
    "add": (
        "{name}有{a}{unit}{thing}，又买了{b}{unit}，现在一共有多少{unit}{thing}？",
        "原有{a}{unit}，又买了{b}{unit}，一共{first}{unit}。",
        "{name} has {a} {thing} and buys {b} more. How many {thing} does {name} have now?",
        "{a} plus {b}: {first}.",
    ),
    "subtract": (
        "{name}有{a}{unit}{thing}，送给朋友{b}{unit}，还剩多少{unit}？",
        "用{a}减去送出的{b}：{first}{unit}。",
        "{name} has {a} {thing} and gives {b} to a friend. How many {thing} are left?",
        "{a} minus {b}: {first}.",
    ),
    "multiply": (
        "每盒有{a}{unit}{thing}，{name}买了{b}盒，一共有多少{unit}？",
        "每盒{a}{unit}，共{b}盒：{first}{unit}。",
        "Each box holds {a} {thing}. {name} buys {b} boxes. How many {thing} is that?",
        "{b} boxes of {a}: {first}.",
    ),
    "divide": (
        "{name}把{a}{unit}{thing}平均分给{b}个小朋友，每人分到多少{unit}？",
        "{a}{unit}平均分成{b}份：{first}{unit}。",
        "{name} shares {a} {thing} equally among {b} children. How many does each child get?",
        "{a} shared by {b}: {first}.",
    ),
    "change": (
        "{name}买了{a}本书，每本{b}元，付了{c}元，应找回多少元？",
        "书一共{first}元，找回{second}元。",
        "{name} buys {a} books at {b} dollars each and pays {c} dollars. How much change does {name} get?",
        "The books cost {first} dollars, so the change is {second} dollars.",
    ),
}


def calc(a: int, operator: str, b: int) -> tuple[str, int]:
    """A calculator call with its result, as the steps write it, and the result."""
    value = {"+": a + b, "-": a - b, "*": a * b, "/": a // b}[operator]
    return f"<calc>{a}{operator}{b}</calc>={value}", value


def numbers(kind: str, rng: random.Random) -> tuple[dict, int]:
    """The numbers of one problem, its calculator calls and its answer."""
    a, b = rng.randint(12, 480), rng.randint(11, 390)
    if kind == "subtract":
        a, b = max(a, b) + 10, min(a, b)
    elif kind == "multiply":
        a, b = rng.randint(6, 48), rng.randint(7, 36)
    elif kind == "divide":
        b = rng.randint(3, 24)
        a = rng.randint(6, 45) * b
    elif kind == "change":
        a, b = rng.randint(3, 19), rng.randint(4, 48)
    operator = {"add": "+", "subtract": "-", "multiply": "*", "divide": "/", "change": "*"}[kind]
    first, answer = calc(a, operator, b)
    values = {"a": a, "b": b, "first": first}
    if kind == "change":
        values["c"] = (answer // 100 + 1) * 100
        values["second"], answer = calc(values["c"], "-", answer)
    return values, answer


def problem(rng: random.Random, language: str) -> dict:
    kind = rng.choice(list(TEMPLATES))
    zh = language == "zh"
    name = rng.choice(NAMES_ZH if zh else NAMES_EN)
    thing, unit = rng.choice(THINGS_ZH) if zh else (rng.choice(THINGS_EN), "")
    values, answer = numbers(kind, rng)
    question, steps = TEMPLATES[kind][:2] if zh else TEMPLATES[kind][2:]
    fields = {**values, "name": name, "thing": thing, "unit": unit}
    return {
        "question": question.format(**fields),
        "steps": steps.format(**fields),
        "answer": str(answer),
        "language": language,
        "kind": kind,
    }


def build(count: int, rng: random.Random, seen: set[str]) -> list[dict]:
    records: list[dict] = []
    while len(records) < count:
        record = problem(rng, "zh" if len(records) % 2 == 0 else "en")
        if record["question"] not in seen:
            seen.add(record["question"])
            records.append(record)
    return records


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--train", type=int, default=2000)
    parser.add_argument("--test", type=int, default=100)
    args = parser.parse_args()
    rng, seen = random.Random(20), set()
    test = build(args.test, rng, seen)
    train = build(args.train, rng, seen)
    folder = args.out / "arith-word-problems"
    folder.mkdir(parents=True, exist_ok=True)
    for name, records in (("train.jsonl", train), ("test.jsonl", test)):
        with (folder / name).open("w", encoding="utf-8") as out:
            out.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
    print(f"{len(train)} training and {len(test)} test problems in {folder}")


if __name__ == "__main__":
    main()
