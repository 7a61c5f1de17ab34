"""``ragkb lm`` end to end with the real executable: tokenizer → pretrain → sft → reasoning →
generate --json, resume, and ``ragkb ask -g lm:<name>`` on a tiny knowledge base."""

from __future__ import annotations

import json
import subprocess

from lm_support import TEXTS
from support import write


def ragkb(env, *args, check=True):
    result = subprocess.run(["ragkb", *args], env=env, capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_train_fine_tune_generate_and_answer(cli_env, tmp_path, home):
    corpus = write(tmp_path / "corpus" / "mixed.txt", "\n".join(TEXTS))
    docs = write(
        tmp_path / "docs" / "leave.md", "# Leave policy\n\n## Annual leave\n\nEmployees get 15 days of annual leave per year.\n"
    )
    ragkb(cli_env, "kb", "create", "notes", "--embedder", "none")
    ragkb(cli_env, "add", str(docs.parent), "--kb", "notes")

    made = json.loads(
        ragkb(
            cli_env, "lm", "tokenizer", str(corpus.parent), "--kb", "notes", "--name", "t", "--vocab-size", "400", "--json"
        ).stdout
    )
    assert made["vocab_size"] >= 300 and made["texts"] == 2  # the file and the KB's one document

    tune = ["--name", "t", "--threads", "1", "--eval-every", "2", "--save-every", "2", "--json"]
    train = [*tune, "--config", "tiny"]
    first = json.loads(ragkb(cli_env, "lm", "pretrain", str(corpus), "--kb", "notes", "--steps", "3", *train).stdout)
    assert first["steps"] == 3 and first["resumed_at"] == 0 and [e["step"] for e in first["log"]] == [1, 2, 3]
    assert first["log"][1]["val_perplexity"] > 1 and first["tokens_per_s"] > 0 and first["device"] == "cpu"
    resumed = json.loads(ragkb(cli_env, "lm", "pretrain", str(corpus), "--steps", "5", *train).stdout)
    assert resumed["resumed_at"] == 3 and resumed["steps"] == 5 and len(resumed["log"]) == 5
    assert (home / "lm" / "t" / "runs" / "pretrain" / "perplexity.png").read_bytes().startswith(b"\x89PNG")

    chats = write(
        tmp_path / "chat.jsonl",
        "\n".join(
            json.dumps(record, ensure_ascii=False)
            for record in [
                {"messages": [{"role": "user", "content": "你好"}, {"role": "assistant", "content": "你好！"}]},
                {"question": "How many days of annual leave?", "answer": "15 days."},
                {"question": "小明有3个苹果，又买了5个，一共几个？", "steps": "一共<calc>3+5</calc>=8个。", "answer": "8"},
            ]
            * 3
        ),
    )
    tuned = json.loads(ragkb(cli_env, "lm", "sft", str(chats), "--steps", "2", *tune).stdout)
    assert tuned["stage"] == "sft" and tuned["conversations"] == 9
    reasoned = json.loads(ragkb(cli_env, "lm", "sft", str(chats), "--reasoning", "--steps", "2", *tune).stdout)
    assert reasoned["stage"] == "reasoning"

    out = json.loads(
        ragkb(cli_env, "lm", "generate", "一共几个？", "--name", "t", "--vote", "3", "--max-tokens", "12", "--json").stdout
    )
    assert len(out["samples"]) == 3 and all(s["tokens"] <= 12 + 8 for s in out["samples"])  # + a calculator result
    assert sum(out["votes"].values()) == sum(s["final_answer"] is not None for s in out["samples"])
    streamed = ragkb(cli_env, "lm", "generate", "Annual leave", "--name", "t", "--raw", "--max-tokens", "8")
    assert "tokens/s" in streamed.stderr
    assert json.loads(ragkb(cli_env, "lm", "list", "--json").stdout) == [
        {"name": "t", "stage": "reasoning", "config": reasoned_config(home)}
    ]

    answer = json.loads(ragkb(cli_env, "ask", "How many days of annual leave?", "--kb", "notes", "-g", "lm:t", "--json").stdout)
    assert answer["citations"] and not answer["refused"]
    assert answer["generator"] == "lm:t" or answer["fallback_from"] is not None

    missing = ragkb(cli_env, "lm", "sft", str(chats), "--name", "other", check=False)
    assert missing.returncode == 1 and "ragkb lm tokenizer" in missing.stderr and "Traceback" not in missing.stderr


def reasoned_config(home):
    return json.loads((home / "lm" / "t" / "config.json").read_text())


def test_a_bad_corpus_file_is_one_line_naming_it(cli_env, tmp_path):
    broken = write(tmp_path / "broken.jsonl", '{"text": "fine"}\n{"text": "cut\n')
    listed = write(tmp_path / "listed.jsonl", '["not", "an", "object"]\n')
    not_gzip = tmp_path / "notes.md.gz"
    not_gzip.write_bytes(b"plain text, not gzip")
    for path, said in (
        (broken, "broken.jsonl:2: not JSON"),
        (listed, "listed.jsonl:1: not a JSON object"),
        (not_gzip, "cannot read it"),
    ):
        result = ragkb(cli_env, "lm", "tokenizer", str(path), "--name", "t", check=False)
        assert result.returncode == 1 and said in result.stderr and "Traceback" not in result.stderr
