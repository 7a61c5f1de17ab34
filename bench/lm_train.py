"""Train a small model on this machine's CPU with ``ragkb lm`` and measure what it can do.

    nice -n 10 python bench/lm_train.py [--threads 1] [--pretrain-steps 500] [--reasoning-steps 250]
    nice -n 10 python bench/lm_train.py --threads-only     # training tokens/s at 1 and 2 torch threads
    nice -n 10 python bench/lm_train.py --reuse-pretrain --reasoning-steps 450   # only the reasoning stage again

Runs the real commands (printed as they run) in a throwaway ragkb home under bench/out/lm/:
tokenizer and pretraining on the repository's corpora (datasets/*/corpus.jsonl: Chinese and
English man pages, Debian reference, Python docs, Debian handbook; samples/), then the reasoning
stage on datasets/arith-word-problems/train.jsonl. Then, in this process: text samples of the
pretrained model, generation speed with and without the KV cache, and accuracy on the 100 test
word problems greedy and with a 5-sample vote, each with and without the calculator. Writes
bench/out/lm/results.json and the perplexity curves; prints the Markdown for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = [
    f"datasets/{name}/corpus.jsonl" for name in ("manpages-zh", "manpages-en", "debref-zh-nl", "handbook-en-nl", "pydoc-en")
]
CORPORA.append("samples")
CONFIG = {"dim": 192, "n_layers": 4, "n_heads": 6, "n_kv_heads": 2, "hidden_dim": 512, "max_seq_len": 256}
"""About 3M parameters with an 8k vocabulary: what 2 shared CPU cores can train in minutes."""
SAMPLE_PROMPTS = ["The command", "ls lists", "显示", "配置文件", "def "]
VOTES = 5


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN), resource.getrusage(resource.RUSAGE_SELF)
    return sum(u.ru_utime + u.ru_stime for u in usage)


def ragkb(env: dict[str, str], *args: str) -> dict:
    command = ["ragkb", *args, "--json"]
    print("$", shlex.join(command), file=sys.stderr, flush=True)
    started, cpu = time.perf_counter(), cpu_seconds()
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode:
        sys.exit(result.stderr)
    output = json.loads(result.stdout)
    if isinstance(output, dict):
        output["wall_s"], output["cpu_s"] = round(time.perf_counter() - started, 1), round(cpu_seconds() - cpu, 1)
    return output


def training_speed(threads: int, steps: int = 4) -> dict:
    """Training tokens/s of the bench's model on random tokens with ``threads`` torch threads (after one warm-up step)."""
    import torch

    from ragkb.lm.config import ModelConfig
    from ragkb.lm.data import Examples, windows
    from ragkb.lm.model import Transformer
    from ragkb.lm.train import Trainer, TrainSettings

    torch.set_num_threads(threads)
    config = ModelConfig(vocab_size=8002, **CONFIG)
    stream = torch.randint(0, config.vocab_size, (50_000,), generator=torch.Generator().manual_seed(0)).tolist()
    examples = Examples(windows(stream, config.max_seq_len), pad_id=1)
    trainer = Trainer(
        Transformer(config), examples, examples, TrainSettings(batch_size=8), Path("/nonexistent"), torch.device("cpu")
    )
    trainer.train_step()
    started, cpu = time.perf_counter(), time.process_time()
    tokens = sum(trainer.train_step()["tokens"] for _ in range(steps))
    wall = time.perf_counter() - started
    return {
        "threads": threads,
        "tokens_per_s": round(tokens / wall),
        "cpu_s_per_1k_tokens": round((time.process_time() - cpu) / tokens * 1000, 3),
    }


def generation_speed(model, tokenizer, prompt: list[int], tokens: int) -> dict:
    from ragkb.lm.generate import Decoder
    from ragkb.lm.sampling import Sampling

    sampling = Sampling(temperature=0.8, max_tokens=tokens, seed=1)
    speeds = {}
    for cache in (True, False):
        decoder = Decoder(model, tokenizer, sampling, use_cache=cache, calculator=False)
        decoder.text(prompt)
        speeds["with_cache" if cache else "without_cache"] = {
            "tokens": decoder.stats.tokens,
            "tokens_per_s": decoder.stats.tokens_per_s,
        }
    speeds["speedup"] = round(speeds["with_cache"]["tokens_per_s"] / max(speeds["without_cache"]["tokens_per_s"], 1e-9), 2)
    return speeds


def word_problems(model, tokenizer, problems: list[dict]) -> dict:
    from ragkb.lm.chat import render
    from ragkb.lm.generate import Decoder
    from ragkb.lm.reasoning import final_answer, vote
    from ragkb.lm.sampling import Sampling

    conditions = {
        "greedy": (1, False),
        "greedy + calculator": (1, True),
        f"vote {VOTES}": (VOTES, False),
        f"vote {VOTES} + calculator": (VOTES, True),
    }
    results: dict[str, dict] = {}
    examples: list[dict] = []
    for label, (samples, calculator) in conditions.items():
        correct = {"zh": 0, "en": 0}
        total = {"zh": 0, "en": 0}
        started = time.perf_counter()
        for index, problem in enumerate(problems):
            prompt = render(tokenizer, [{"role": "user", "content": problem["question"]}], prompt=True)[0]
            answers, texts = [], []
            for seed in range(samples):
                temperature = 0.0 if samples == 1 else 0.7
                sampling = Sampling(temperature=temperature, top_k=20, top_p=0.95, max_tokens=96, seed=seed)
                text = Decoder(model, tokenizer, sampling, calculator=calculator).text(prompt)
                answers.append(final_answer(text))
                texts.append(text)
            winner, _ = vote(answers)
            total[problem["language"]] += 1
            correct[problem["language"]] += winner == problem["answer"]
            if index < 4:
                examples.append(
                    {
                        "condition": label,
                        "question": problem["question"],
                        "expected": problem["answer"],
                        "output": texts[0],
                        "voted": winner,
                    }
                )
        results[label] = {
            "accuracy": round(sum(correct.values()) / len(problems), 3),
            "zh": round(correct["zh"] / max(total["zh"], 1), 3),
            "en": round(correct["en"] / max(total["en"], 1), 3),
            "seconds": round(time.perf_counter() - started, 1),
        }
        print(label, results[label], file=sys.stderr, flush=True)
    return {"conditions": results, "examples": examples}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--pretrain-steps", type=int, default=500)
    parser.add_argument("--reasoning-steps", type=int, default=250)
    parser.add_argument("--problems", type=int, default=100)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "lm")
    parser.add_argument("--reuse-pretrain", action="store_true", help="keep the last run's tokenizer and pretraining")
    parser.add_argument("--threads-only", action="store_true", help="only compare training speed at 1 and 2 threads")
    args = parser.parse_args()
    if args.threads_only:
        print(json.dumps([training_speed(threads) for threads in (1, 2, 1, 2)], indent=2))
        return
    args.out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "RAGKB_HOME": str(args.out / "home"), "COLUMNS": "200"}
    config = args.out / "config.json"
    config.write_text(json.dumps(CONFIG))
    threads = ["--threads", str(args.threads)]
    results: dict = {"threads": args.threads, "config": CONFIG}
    if args.reuse_pretrain:  # the tokenizer and pretrained model of the last run; only the reasoning stage again
        previous = json.loads((args.out / "results.json").read_text())
        results["tokenizer"], results["pretrain"] = previous["tokenizer"], previous["pretrain"]
    else:
        results["tokenizer"] = ragkb(env, "lm", "tokenizer", *CORPORA, "--name", "bench", "--vocab-size", "8000")
        results["pretrain"] = ragkb(
            env, "lm", "pretrain", *CORPORA, "--name", "bench", "--config", str(config), "--steps", str(args.pretrain_steps),
            "--batch-size", "8", "--lr", "2e-3", "--warmup", "30", "--eval-every", "25", "--save-every", "100", "--fresh", *threads,
        )  # fmt: skip
    results["reasoning"] = ragkb(
        env, "lm", "sft", "datasets/arith-word-problems/train.jsonl", "--reasoning", "--name", "bench",
        "--steps", str(args.reasoning_steps), "--batch-size", "16", "--lr", "1e-3", "--warmup", "20", "--eval-every", "50", "--fresh", *threads,
    )  # fmt: skip

    import torch

    from ragkb.config import Settings
    from ragkb.lm.checkpoint import load_weights
    from ragkb.lm.generate import Decoder
    from ragkb.lm.loading import load_model
    from ragkb.lm.sampling import Sampling

    torch.set_num_threads(args.threads)
    model, tokenizer, folder = load_model("bench", Settings(home=args.out / "home"), "cpu")
    reasoning_weights = {name: tensor.clone() for name, tensor in model.state_dict().items()}
    load_weights(model, folder.run("pretrain") / "final.safetensors")  # the pretrained model, before the reasoning stage
    results["samples"] = [
        {
            "prompt": prompt,
            "text": Decoder(model, tokenizer, Sampling(temperature=0.7, top_k=40, max_tokens=60, seed=3)).text(
                tokenizer.encode(prompt)
            ),
        }
        for prompt in SAMPLE_PROMPTS
    ]
    results["generation"] = generation_speed(model, tokenizer, tokenizer.encode("The command"), 200)
    model.load_state_dict(reasoning_weights)
    problems = [json.loads(line) for line in (ROOT / "datasets/arith-word-problems/test.jsonl").read_text().splitlines()][
        : args.problems
    ]
    results["word_problems"] = word_problems(model, tokenizer, problems)
    for stage in ("pretrain", "reasoning"):
        results[stage].pop("log", None)
        results[stage]["plot"] = str(folder.run(stage) / "perplexity.png")
    (args.out / "results.json").write_text(json.dumps(results, ensure_ascii=False, indent=2))
    print(json.dumps(results, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
