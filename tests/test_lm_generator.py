"""``lm:<name>``: a model trained in the ragkb home answers through ragkb's answerer like any
generator (its answer may be poor: it must run, then cite or fall back to quoted sources), and the
HTTP layer lets clients name it."""

from __future__ import annotations

import pytest
import torch
from lm_support import (
    TEXTS,
    one_torch_thread,  # noqa: F401  (an autouse fixture)
)
from support import write

from ragkb import KBSettings, KnowledgeBase
from ragkb.errors import ConfigError, InvalidName
from ragkb.llms import create_generator
from ragkb.lm.stages import pretrain
from ragkb.lm.store import ModelFolder, trained_models
from ragkb.lm.tokenizer import train_tokenizer
from ragkb.lm.train import TrainSettings


@pytest.fixture
def trained(settings):
    folder = ModelFolder.of("tiny-lm", settings)
    folder.path.mkdir(parents=True)
    train_tokenizer(TEXTS, vocab_size=400).save(folder.tokenizer_path)
    summary = pretrain(
        folder, TEXTS, config="tiny", settings=TrainSettings(steps=4, batch_size=4, eval_every=2), device=torch.device("cpu")
    )
    assert (
        summary["steps"] == 4 and summary["val_perplexity"] is not None and (folder.run("pretrain") / "perplexity.png").is_file()
    )
    return folder


def test_the_generator_streams_and_counts_tokens(trained, settings):
    generator = create_generator("lm:tiny-lm", settings)
    assert generator is not None and generator.name == "lm:tiny-lm" and generator.context_window == 128
    assert generator.count_tokens("员工每年享有十五天带薪年假") > 0 and trained_models(settings) == ["tiny-lm"]
    long_prompt = [{"role": "system", "content": "rules " * 500}, {"role": "user", "content": "How many days of leave?"}]
    text = "".join(generator.stream(long_prompt, max_tokens=20, temperature=0.5))  # longer than the window: cut, not failed
    assert isinstance(text, str)


def test_ask_with_the_trained_model_cites_or_falls_back(trained, settings, tmp_path):
    docs = write(
        tmp_path / "docs" / "leave.md", "# Leave policy\n\n## Annual leave\n\nEmployees get 15 days of annual leave per year.\n"
    )
    kb = KnowledgeBase.create("notes", settings=settings, kb_settings=KBSettings(embedder="none"))
    kb.add([docs.parent])
    from ragkb.answer.answering import Answerer

    answerer = Answerer(kb, "lm:tiny-lm")
    answer = answerer.ask("How many days of annual leave do employees get?")
    assert answer.citations and not answer.refused
    assert answer.generator == "lm:tiny-lm" or answer.fallback_from is not None
    assert "15 days" in answer.answer or answer.generator == "lm:tiny-lm"
    assert answerer.ask("What is the capital of Mongolia?").refused  # no usable source: refused before any model runs


def test_unknown_and_unsafe_names_are_one_line_errors(settings):
    with pytest.raises(ConfigError, match="ragkb lm pretrain --name nope"):
        create_generator("lm:nope", settings)
    with pytest.raises(InvalidName):
        create_generator("lm:../../etc", settings)


def test_http_clients_may_name_trained_models():
    pytest.importorskip("fastapi")
    from ragkb.server.asking import check_generator

    assert check_generator("lm:tiny-lm", "extractive") == "lm:tiny-lm"


def test_a_device_torch_does_not_have_is_a_one_line_error():
    from ragkb.lm.device import pick_device

    assert pick_device("cpu").type == "cpu" and pick_device().type in ("cpu", "cuda")
    with pytest.raises(ConfigError, match="use cpu, cuda or cuda:N"):
        pick_device("quantum")
    if not torch.cuda.is_available():
        with pytest.raises(ConfigError, match="no CUDA GPU"):
            pick_device("cuda")
