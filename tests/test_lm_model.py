"""The decoder and its data: labels shifted by one, the loss on assistant tokens only, the KV cache
equal to recomputing every position, sizes from presets and config files."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F
from lm_support import (
    one_torch_thread,  # noqa: F401  (an autouse fixture)
    tiny_model,
    tiny_tokenizer,
)

from ragkb.errors import ConfigError
from ragkb.lm.chat import render
from ragkb.lm.config import PRESETS, load_config
from ragkb.lm.data import IGNORE, BatchOrder, Examples, shift, windows
from ragkb.lm.generate import Decoder
from ragkb.lm.model import KVCache, Transformer
from ragkb.lm.sampling import Sampling
from ragkb.lm.train import Trainer, TrainSettings, loss_of


def test_labels_are_the_next_token():
    inputs, labels = shift([5, 6, 7, 8])
    assert inputs == [5, 6, 7] and labels == [6, 7, 8]
    examples = Examples(windows(list(range(20)), 4), pad_id=0)
    batch_inputs, batch_labels = examples.batch([0, 1])
    assert batch_inputs[0].tolist() == [0, 1, 2, 3] and batch_labels[0].tolist() == [1, 2, 3, 4]
    assert batch_inputs[1].tolist() == [4, 5, 6, 7] and batch_labels[1].tolist() == [5, 6, 7, 8]


def test_a_trained_model_continues_a_sequence_instead_of_copying_it(tmp_path):
    """With unshifted labels a model learns to repeat its last token; shifted, it learns what follows."""
    cycle = [token % 12 + 6 for token in range(600)]
    examples = Examples(windows(cycle, 24), pad_id=1)
    settings = TrainSettings(steps=60, batch_size=8, lr=3e-3, warmup=5, eval_every=60, save_every=60)
    trainer = Trainer(tiny_model(32), examples, examples, settings, tmp_path / "checkpoint", torch.device("cpu"))
    trainer.run()
    assert trainer.log[-1]["loss"] < 0.5
    logits = trainer.model(torch.tensor([[9, 10, 11]]))[0, -1]
    assert int(logits.argmax()) == 12


def test_loss_is_on_the_assistant_tokens_only():
    tokenizer = tiny_tokenizer()
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "病假需要什么？"},
        {"role": "assistant", "content": "医院证明。"},
        {"role": "user", "content": "And annual leave?"},
        {"role": "assistant", "content": "Fifteen days."},
    ]
    ids, mask = render(tokenizer, messages)
    counted = [token for token, keep in zip(ids, mask, strict=False) if keep]
    end = tokenizer.ids["<|end|>"]
    assert counted == [*tokenizer.encode("医院证明。"), end, *tokenizer.encode("Fifteen days."), end]

    examples = Examples([(ids, mask)], pad_id=tokenizer.ids["<|pad|>"])
    inputs, labels = examples.batch([0])
    kept = labels[0][labels[0] != IGNORE].tolist()
    assert kept == counted  # every assistant token is a label, and nothing else
    model = tiny_model(tokenizer.vocab_size)
    logits = model(inputs)[0]
    positions = (labels[0] != IGNORE).nonzero().flatten()
    by_hand = F.cross_entropy(logits[positions], labels[0][positions])
    assert torch.allclose(loss_of(model, inputs, labels), by_hand)


def test_kv_cache_gives_the_logits_of_full_recomputation():
    model = tiny_model(50).eval()
    tokens = torch.randint(0, 50, (2, 30), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        full = model(tokens)
        cache = KVCache(model.config.n_layers)
        pieces = [model(tokens[:, :11], cache)] + [model(tokens[:, i : i + 1], cache) for i in range(11, 30)]
    assert torch.allclose(torch.cat(pieces, dim=1), full, atol=1e-5)


@pytest.mark.parametrize("temperature", [0.0, 0.9])
def test_generation_with_the_cache_equals_generation_without(temperature):
    tokenizer = tiny_tokenizer()
    model = tiny_model(tokenizer.vocab_size, seed=3)
    prompt = tokenizer.encode("员工每年享有")
    sampling = Sampling(temperature=temperature, max_tokens=40, seed=7)
    cached = list(Decoder(model, tokenizer, sampling).token_ids(prompt))
    recomputed = list(Decoder(model, tokenizer, sampling, use_cache=False).token_ids(prompt))
    assert cached == recomputed and len(cached) > 0


def test_batch_order_resumes_where_it_stopped():
    straight = BatchOrder(10, seed=4)
    expected = straight.take(7) + straight.take(9)
    first = BatchOrder(10, seed=4)
    taken = first.take(7)
    second = BatchOrder(10, seed=99)
    second.restore(first.state())
    assert taken + second.take(9) == expected
    assert sorted(expected[:10]) == list(range(10))  # one epoch sees every example once


def test_preset_sizes_and_config_files(tmp_path):
    counts = {}
    for name in ("5m", "40m", "100m"):
        with torch.device("meta"):
            counts[name] = Transformer(load_config(name, 16000)).parameter_count()
    assert 4e6 < counts["5m"] < 7e6 and 30e6 < counts["40m"] < 50e6 and 80e6 < counts["100m"] < 120e6
    (tmp_path / "m.json").write_text(json.dumps({"dim": 96, "n_layers": 3, "n_heads": 4, "n_kv_heads": 1, "hidden_dim": 256}))
    (tmp_path / "m.toml").write_text("dim = 96\nn_layers = 3\nn_heads = 4\nn_kv_heads = 1\nhidden_dim = 256\n")
    assert load_config(str(tmp_path / "m.json"), 500) == load_config(str(tmp_path / "m.toml"), 500)
    assert load_config(str(tmp_path / "m.toml"), 500).n_kv_heads == 1
    (tmp_path / "bad.json").write_text(json.dumps({"dim": 96, "layers": 3}))
    with pytest.raises(ConfigError, match="unknown model config field"):
        load_config(str(tmp_path / "bad.json"), 500)
    with pytest.raises(ConfigError, match="must divide"):
        load_config(str(tmp_path / "m.json"), 500).__class__(dim=100, n_heads=3)
    assert PRESETS["tiny"].n_heads % PRESETS["tiny"].n_kv_heads == 0


def test_top_k_and_top_p_keep_only_the_likeliest_tokens():
    from ragkb.lm.sampling import next_token

    logits = torch.tensor([0.0, 3.0, 1.0, 2.9])
    generator = torch.Generator().manual_seed(0)
    assert {next_token(logits, Sampling(temperature=1.0, top_k=1), generator) for _ in range(20)} == {1}
    assert {next_token(logits, Sampling(temperature=1.0, top_k=0, top_p=0.01), generator) for _ in range(20)} == {1}
    assert {next_token(logits, Sampling(temperature=1.0, top_k=2, top_p=1.0), generator) for _ in range(200)} == {1, 3}
    assert next_token(logits, Sampling(temperature=0.0), generator) == 1


def test_streamed_pieces_make_the_text_and_stop_strings_end_it():
    tokenizer = tiny_tokenizer()
    model = tiny_model(tokenizer.vocab_size, seed=5)
    prompt = tokenizer.encode("路由器")
    sampling = Sampling(temperature=1.0, max_tokens=30, seed=2)
    decoder = Decoder(model, tokenizer, sampling, calculator=False)
    pieces = list(decoder.stream(prompt))
    full = "".join(pieces)
    assert len(pieces) > 1 and decoder.stats.tokens > 0 and "\ufffd" not in full[-1:]
    stop = next(full[i : i + 2] for i in range(len(full) // 2, len(full) - 1) if "\ufffd" not in full[i : i + 2])
    stopped = Decoder(model, tokenizer, sampling, calculator=False, stop=(stop,))
    assert stopped.text(prompt) == full[: full.index(stop)] and stopped.stats.finish == "stop"
