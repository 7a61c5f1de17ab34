"""Training: a run stopped at a checkpoint and resumed in a new trainer ends with the weights of an
uninterrupted run; the learning-rate schedule; checkpoints written whole."""

from __future__ import annotations

import itertools

import pytest
import torch
from lm_support import (
    one_torch_thread,  # noqa: F401  (an autouse fixture)
    tiny_model,
)

from ragkb.lm.data import Examples, windows
from ragkb.lm.schedule import lr_factor
from ragkb.lm.train import Trainer, TrainSettings


def _examples() -> Examples:
    stream = torch.randint(2, 60, (2000,), generator=torch.Generator().manual_seed(5)).tolist()
    return Examples(windows(stream, 16), pad_id=1)


def test_resumed_run_equals_uninterrupted_run(tmp_path):
    examples = _examples()
    settings = TrainSettings(steps=8, batch_size=4, accumulation=2, lr=3e-3, warmup=2, eval_every=4, save_every=4, seed=3)
    cpu = torch.device("cpu")
    straight = Trainer(tiny_model(64, seed=1), examples, examples, settings, tmp_path / "straight", cpu)
    straight.run()

    def interrupt(entry: dict) -> None:
        if entry["step"] == 6:
            raise KeyboardInterrupt  # killed two steps after the checkpoint of step 4, mid-epoch and mid-schedule

    first = Trainer(tiny_model(64, seed=1), examples, examples, settings, tmp_path / "split", cpu)
    with pytest.raises(KeyboardInterrupt):
        first.run(interrupt)
    torch.manual_seed(1234)  # the random generator state must come from the checkpoint
    resumed = Trainer(tiny_model(64, seed=9), examples, examples, settings, tmp_path / "split", cpu)
    assert resumed.resume() and resumed.step == 4
    resumed.run()

    for (name, expected), actual in zip(straight.model.state_dict().items(), resumed.model.state_dict().values(), strict=False):
        assert torch.equal(expected, actual), name
    assert [e["loss"] for e in resumed.log] == [e["loss"] for e in straight.log]
    assert resumed.log[-1]["val_perplexity"] == pytest.approx(straight.log[-1]["val_perplexity"])
    assert not (tmp_path / "split.partial").exists() and not (tmp_path / "split.old").exists()


def test_a_fresh_trainer_without_checkpoint_does_not_resume(tmp_path):
    trainer = Trainer(tiny_model(64), _examples(), _examples(), TrainSettings(steps=1), tmp_path / "none", torch.device("cpu"))
    assert trainer.resume() is False and trainer.step == 0


def test_warmup_then_cosine_to_the_floor():
    factors = [lr_factor(step, warmup=10, total=110, floor=0.1) for step in range(110)]
    assert factors[0] == pytest.approx(0.1) and factors[9] == pytest.approx(1.0)
    assert all(a >= b for a, b in itertools.pairwise(factors[10:]))
    assert factors[-1] == pytest.approx(0.1, abs=1e-3) and lr_factor(60, warmup=10, total=110, floor=0.1) == pytest.approx(0.55)
