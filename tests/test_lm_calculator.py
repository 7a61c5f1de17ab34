"""The calculator tool: arithmetic only, bounded, never ``eval``; its results replace the model's own
numbers during generation; final answers and the vote of the reasoning stage."""

from __future__ import annotations

import pytest
import torch
from lm_support import (
    one_torch_thread,  # noqa: F401  (an autouse fixture)
    tiny_model,
    tiny_tokenizer,
)

from ragkb.lm.calculator import CalculatorError, calculate, format_number, run_call
from ragkb.lm.data import Examples
from ragkb.lm.generate import Decoder
from ragkb.lm.reasoning import final_answer, reasoning_text, vote
from ragkb.lm.sampling import Sampling
from ragkb.lm.train import Trainer, TrainSettings


@pytest.mark.parametrize(
    "expression, value",
    [
        ("3+5", 8),
        ("12*(3-1)/4", 6),
        ("7//2 + 7%2", 4),
        ("-2**3", -8),
        ("2**10", 1024),
        ("3×4÷2", 6),
        ("1,200*3", 3600),
        ("0.1+0.2", 0.3),
    ],
)
def test_arithmetic(expression, value):
    assert calculate(expression) == pytest.approx(value)


@pytest.mark.parametrize(
    "expression",
    [
        "__import__('os').system('true')",
        "x + 1",
        "abs(-3)",
        "(1).__class__",
        "[1, 2][0]",
        "lambda: 1",
        "9**9**9",
        "10**100",
        "2**0.5**-1000",
        "(10**15)**64",
        "1e308*10",
        "1/0",
        "5 % 0",
        "(-8)**(1/3)",
        "1 if 1 else 2",
        "'a' * 3",
        "True + 1",
        "1" * 300,
        "",
    ],
)
def test_anything_else_is_refused(expression):
    with pytest.raises(CalculatorError):
        calculate(expression)
    assert run_call(expression) == "?"


def test_numbers_are_written_as_people_write_them():
    assert format_number(12.0) == "12" and format_number(0.1 + 0.2) == "0.3" and format_number(7) == "7"


def test_final_answer_and_majority_vote():
    assert final_answer(reasoning_text("一共<calc>3+5</calc>=8个。", "8个")) == "8"
    assert final_answer("【推理过程】…【最终答案】 2.50 元\n后面") == "2.5"
    assert final_answer("no template") is None
    assert vote(["8", None, "9", "8", "9"]) == ("8", {"8": 2, "9": 2})  # a tie goes to the answer reached first
    assert vote([None, None]) == (None, {})


def test_the_calculator_result_replaces_the_models_number(tmp_path):
    """A model taught a wrong sum writes it without the calculator and the right one with it."""
    tokenizer = tiny_tokenizer()
    end = [tokenizer.ids["<|end|>"]]
    ids = tokenizer.encode("一共<calc>3+5</calc>=9个") + end
    other = tokenizer.encode("合计<calc>2*4</calc>=8个") + end  # so that the model knows how to go on after "=8"
    examples = Examples([(ids, None), (other, None)] * 4, pad_id=tokenizer.ids["<|pad|>"])
    settings = TrainSettings(steps=80, batch_size=8, lr=5e-3, warmup=5, eval_every=80, save_every=80)
    trainer = Trainer(tiny_model(tokenizer.vocab_size), examples, examples, settings, tmp_path / "c", torch.device("cpu"))
    trainer.run()
    prompt = ids[: next(k for k in range(1, len(ids)) if tokenizer.decode(ids[:k]) == "一共")]
    greedy = Sampling(temperature=0, max_tokens=20)
    without = Decoder(trainer.model, tokenizer, greedy, calculator=False)
    assert tokenizer.decode(prompt) + without.text(prompt) == "一共3+5=9个" and without.stats.calls == []
    with_tool = Decoder(trainer.model, tokenizer, greedy)
    assert tokenizer.decode(prompt) + with_tool.text(prompt) == "一共3+5=8个"
    assert with_tool.stats.calls == [{"expression": "3+5", "result": "8"}] and with_tool.stats.finish == "stop"
