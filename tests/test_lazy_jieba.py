"""jieba (a second to load its dictionary) is loaded only when Chinese text needs it: an English
ingest, its tables' row labels matched against the Chinese metric names too, never loads it; and
the words of text without Chinese are what jieba would cut."""

from __future__ import annotations

import json
import logging
import os
import random
import re
import string
import subprocess
import sys
from pathlib import Path

import jieba
from test_pdf_contents import manual

from ragkb.tables import text

INGEST = """
import json, sys
from pathlib import Path
from ragkb import KBSettings, KnowledgeBase, Settings
kb = KnowledgeBase.create("t", settings=Settings(home=Path(sys.argv[1])), kb_settings=KBSettings(embedder="none"))
result = kb.add(sys.argv[2:])
print(json.dumps({"jieba": "jieba" in sys.modules, "chunks": result.chunks}))
"""


def _ingest(home: Path, *paths: Path) -> dict:
    env = {**os.environ, "RAGKB_OCR": "off"}
    done = subprocess.run(
        [sys.executable, "-c", INGEST, str(home), *map(str, paths)], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_english_ingest_does_not_load_jieba_and_chinese_does(tmp_path: Path) -> None:
    """The table's row labels are matched against metric names, Chinese ones too, and its text
    tokenized for BM25, all without jieba; a Chinese file loads it."""
    english = _ingest(tmp_path / "en", manual(tmp_path / "manual.pdf"))
    assert english["chunks"] > 0
    assert english["jieba"] is False
    chinese = tmp_path / "notes.txt"
    chinese.write_text("员工每年享有带薪年假，具体天数按工龄计算。", encoding="utf-8")
    assert _ingest(tmp_path / "zh", chinese)["jieba"] is True


def test_chinese_text_loads_jieba_quietly() -> None:
    """jieba's "Building prefix dict ..." notes never reach ragkb's stderr, whichever module cuts first
    (here ``ragkb synth``'s key-sentence words, the first and only cut of the process)."""
    script = "from ragkb.tune.questions import _words; print(_words('带薪年假的天数按工龄计算', 'zh'))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert "工龄" in done.stdout and "prefix dict" not in done.stderr and not done.stderr.strip()


def test_words_without_chinese_are_jiebas_words() -> None:
    jieba.setLogLevel(logging.WARNING)
    alphabet = string.ascii_letters + string.digits + string.punctuation + " \r\n\t" + "é²ßПри한㐀\u9fd6ＡＢ１，．％"
    rng = random.Random(7)
    samples = ["Net profit attributable to owners (RMB)", "ROE 12.5%", "v1.2.3-rc_1", "C++ at AT&T, c# too", "营业收入 Revenue"]
    samples += ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24))) for _ in range(3000)]
    for sample in samples:
        expected = frozenset(word for word in (re.sub(r"[\W_]+", "", part) for part in jieba.cut(sample)) if word)
        assert text.words(sample) == expected, sample
