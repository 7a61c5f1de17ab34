"""The byte-level BPE tokenizer: exact round trips of Chinese, English and anything else; one id per
chat and tool token; saved and loaded unchanged."""

from __future__ import annotations

import pytest
from lm_support import tiny_tokenizer

from ragkb.lm.tokenizer import CALC_CLOSE, CALC_OPEN, SPECIAL_TOKENS, Tokenizer


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return tiny_tokenizer()


@pytest.mark.parametrize(
    "text",
    [
        "员工每年享有十五天带薪年假。",
        "The router restarts when the reset button is held.",
        "混合 mixed 文本：RAGKB v0.1（测试）\n\n  indented\ttab",
        "生僻字 𠀀𪚥 and emoji 😀👍🏽, accents café naïve, Ελληνικά",
        "  leading and trailing spaces  ",
        "",
    ],
)
def test_round_trip_is_exact(tokenizer, text):
    assert tokenizer.decode(tokenizer.encode(text)) == text


def test_chat_and_tool_tokens_are_single_ids(tokenizer, tmp_path):
    for token in [*SPECIAL_TOKENS, CALC_OPEN, CALC_CLOSE]:
        assert tokenizer.encode(token) == [tokenizer.ids[token]]
    ids = tokenizer.encode("<|user|>你好<|end|>")
    assert ids[0] == tokenizer.ids["<|user|>"] and ids[-1] == tokenizer.ids["<|end|>"]
    assert tokenizer.decode(ids) == "你好"  # chat tokens are dropped from text
    assert tokenizer.decode(tokenizer.encode("<calc>3+5</calc>")) == "<calc>3+5</calc>"  # tool tokens are not
    tokenizer.save(tmp_path / "tokenizer.json")
    loaded = Tokenizer.load(tmp_path / "tokenizer.json")
    assert loaded.encode("病假需提供医院证明 sick leave") == tokenizer.encode("病假需提供医院证明 sick leave")


def test_merges_learn_frequent_chinese_and_english(tokenizer):
    assert len(tokenizer.encode("年假")) < len("年假".encode())
    assert len(tokenizer.encode("router")) < len("router")
