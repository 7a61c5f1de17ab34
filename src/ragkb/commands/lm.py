"""``ragkb lm``: train a small language model of your own and generate with it.

tokenizer → pretrain → sft (→ sft --reasoning) → generate, or serve it as the ``lm:<name>``
generator of ``ragkb ask/chat`` and ``ragkb serve``. Models live in ``$RAGKB_HOME/lm/<name>/``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import fields
from functools import partial
from pathlib import Path
from typing import Annotated, Any

import typer

from ragkb.commands.output import JsonOption, console, err_console, print_json, progress_bar
from ragkb.config import Settings
from ragkb.errors import RagkbError
from ragkb.extras import require

lm_app = typer.Typer(no_args_is_help=True, help="Train your own small language model: tokenizer, pretraining, SFT, reasoning.")

NameOption = Annotated[str, typer.Option("--name", help="the model's name (kept in the ragkb home, lm/<name>)")]
CorpusArgument = Annotated[
    list[Path] | None, typer.Argument(help="text, Markdown (also .gz) or JSONL files, or folders of them", show_default=False)
]
KBsOption = Annotated[list[str] | None, typer.Option("--kb", help="also train on the text of this knowledge base (repeatable)")]
StepsOption = Annotated[int, typer.Option("--steps", min=1, help="optimizer steps of the whole run")]
BatchOption = Annotated[int, typer.Option("--batch-size", min=1, help="sequences per micro-batch")]
AccumulationOption = Annotated[int, typer.Option("--accumulation", min=1, help="micro-batches per optimizer step")]
WarmupOption = Annotated[int, typer.Option("--warmup", min=0, help="linear warmup steps before the cosine decay")]
EvalOption = Annotated[int, typer.Option("--eval-every", min=1, help="validate every N steps")]
SaveOption = Annotated[int, typer.Option("--save-every", min=1, help="checkpoint every N steps")]
FreshOption = Annotated[bool, typer.Option("--fresh", help="start over instead of resuming from the checkpoint")]
DeviceOption = Annotated[str | None, typer.Option("--device", help="cpu, cuda, cuda:1 (default: cuda if present, else cpu)")]
ThreadsOption = Annotated[int | None, typer.Option("--threads", min=1, help="CPU threads torch may use")]
SeedOption = Annotated[int, typer.Option("--seed", help="seed of weights, data order and sampling")]


def _torch(threads: int | None):
    require("safetensors", "ragkb lm")
    torch = require("torch", "ragkb lm")
    if threads:
        torch.set_num_threads(threads)
    return torch


def _texts(paths: list[Path] | None, kbs: list[str] | None) -> Iterator[str]:
    from ragkb.lm.corpus import corpus_files, read_texts

    files = corpus_files(paths or [])
    if not files and not kbs:
        raise RagkbError("no corpus; give text files or folders, or --kb NAME")
    for path in files:
        yield from read_texts(path)
    if kbs:
        from ragkb.kb import KnowledgeBase

        for name in kbs or []:
            kb = KnowledgeBase.open(name)
            for info in kb.files():
                text = kb.file_text(info.id)
                if text:
                    yield text


def _folder(name: str):
    from ragkb.lm.store import ModelFolder

    return ModelFolder.of(name, Settings())


def _report(summary: dict[str, Any], as_json: bool) -> None:
    if as_json:
        print_json(summary)
        return
    ppl = summary["val_perplexity"]
    console.print(
        f"{summary['name']} {summary['stage']}: {summary['steps']} steps, loss {summary['final_loss']}, "
        f"validation perplexity {ppl:.2f}, {summary['tokens_per_s']:.0f} tokens/s on {summary['device']} "
        f"({summary['precision']}, {summary['parameters'] / 1e6:.2f}M parameters)"
        if ppl is not None
        else f"{summary['name']} {summary['stage']}: {summary['steps']} steps, loss {summary['final_loss']}",
        highlight=False,
    )
    if summary.get("plot"):
        console.print(f"perplexity curve: {summary['plot']}", highlight=False)


def _train(stage: Callable[..., dict[str, Any]], options: dict[str, Any], label: str) -> None:
    """Run a training ``stage`` with the options of the command that calls it (its ``locals()``: the
    :class:`~ragkb.lm.train.TrainSettings` fields, ``device``, ``fresh``, ``as_json``), a progress bar
    on the way, then report the run."""
    from ragkb.lm.device import pick_device
    from ragkb.lm.train import TrainSettings

    settings = TrainSettings(**{field.name: options[field.name] for field in fields(TrainSettings) if field.name in options})
    as_json = options["as_json"]
    with progress_bar(as_json) as progress:
        task = progress.add_task(label, total=settings.steps)

        def on_step(entry: dict[str, Any]) -> None:
            ppl = entry.get("val_perplexity")
            shown = f"{label} loss {entry['loss']:.3f}" + (f" ppl {ppl:.1f}" if ppl else "")
            progress.update(task, completed=entry["step"], description=shown)

        summary = stage(settings=settings, device=pick_device(options["device"]), fresh=options["fresh"], on_step=on_step)
    _report(summary, as_json)


@lm_app.command("tokenizer")
def tokenizer(
    corpus: CorpusArgument = None,
    name: NameOption = "default",
    kb: KBsOption = None,
    vocab_size: Annotated[int, typer.Option("--vocab-size", min=300, help="vocabulary size")] = 16000,
    as_json: JsonOption = False,
) -> None:
    """Train the byte-level BPE tokenizer (Chinese and English, chat tokens) on a corpus."""
    require("tokenizers", "ragkb lm tokenizer")
    from ragkb.lm.tokenizer import train_tokenizer

    folder = _folder(name)
    texts = list(_texts(corpus, kb))
    with progress_bar(as_json) as progress:
        progress.add_task("training the tokenizer", total=None)
        trained = train_tokenizer(texts, vocab_size=vocab_size)
    folder.path.mkdir(parents=True, exist_ok=True)
    trained.save(folder.tokenizer_path)
    characters = sum(len(text) for text in texts)
    tokens = sum(len(trained.encode(text)) for text in texts)
    summary = {
        "name": name,
        "vocab_size": trained.vocab_size,
        "texts": len(texts),
        "characters": characters,
        "tokens": tokens,
        "characters_per_token": round(characters / max(tokens, 1), 2),
        "path": str(folder.tokenizer_path),
    }
    if as_json:
        print_json(summary)
    else:
        console.print(
            f"tokenizer '{name}': {trained.vocab_size} tokens, {summary['characters_per_token']} characters per token "
            f"on {len(texts)} texts → {folder.tokenizer_path}",
            highlight=False,
        )


@lm_app.command("pretrain")
def pretrain(
    corpus: CorpusArgument = None,
    name: NameOption = "default",
    kb: KBsOption = None,
    config: Annotated[str, typer.Option("--config", help="preset (tiny, 5m, 20m, 40m, 100m) or a .json/.toml file")] = "20m",
    steps: StepsOption = 1000,
    batch_size: BatchOption = 8,
    accumulation: AccumulationOption = 1,
    lr: Annotated[float, typer.Option("--lr", help="peak learning rate")] = 1e-3,
    warmup: WarmupOption = 50,
    eval_every: EvalOption = 50,
    save_every: SaveOption = 100,
    seed: SeedOption = 0,
    fresh: FreshOption = False,
    device: DeviceOption = None,
    threads: ThreadsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Pretrain on text files and/or knowledge bases; resumes from the checkpoint unless --fresh."""
    _torch(threads)
    from ragkb.lm.stages import pretrain as run_pretrain

    folder, texts = _folder(name), _texts(corpus, kb)
    _train(partial(run_pretrain, folder, texts, config=config), locals(), "pretraining")


@lm_app.command("sft")
def sft(
    data: Annotated[Path, typer.Argument(help="JSONL: {'messages': [...]} or {'question', 'answer'[, 'steps']} per line")],
    name: NameOption = "default",
    reasoning: Annotated[
        bool, typer.Option("--reasoning", help="the reasoning stage: answers in the 【推理过程】…【最终答案】… template")
    ] = False,
    steps: StepsOption = 300,
    batch_size: BatchOption = 8,
    accumulation: AccumulationOption = 1,
    lr: Annotated[float, typer.Option("--lr", help="peak learning rate")] = 3e-4,
    warmup: WarmupOption = 20,
    eval_every: EvalOption = 50,
    save_every: SaveOption = 100,
    seed: SeedOption = 0,
    fresh: FreshOption = False,
    device: DeviceOption = None,
    threads: ThreadsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Fine-tune on conversations, the loss on the assistant's tokens only."""
    _torch(threads)
    from ragkb.lm.sft_data import read_conversations
    from ragkb.lm.stages import finetune

    folder, conversations = _folder(name), read_conversations(data, reasoning=reasoning)
    stage = partial(finetune, folder, conversations, reasoning=reasoning)
    _train(stage, locals(), "reasoning" if reasoning else "fine-tuning")


@lm_app.command("generate")
def generate(
    prompt: Annotated[str, typer.Argument(help="the user's message (or, with --raw, text to continue)")],
    name: NameOption = "default",
    raw: Annotated[bool, typer.Option("--raw", help="continue the text as it is, without the chat template")] = False,
    temperature: Annotated[float, typer.Option("--temperature", min=0.0, help="0: always the most likely token")] = 0.8,
    top_k: Annotated[int, typer.Option("--top-k", min=0, help="sample from the k most likely tokens (0: all)")] = 50,
    top_p: Annotated[float, typer.Option("--top-p", min=0.0, max=1.0, help="nucleus sampling mass")] = 0.95,
    max_tokens: Annotated[int, typer.Option("--max-tokens", min=1, help="tokens to generate at most")] = 200,
    stop: Annotated[list[str] | None, typer.Option("--stop", help="stop at this text (repeatable)")] = None,
    vote: Annotated[int, typer.Option("--vote", min=1, help="sample N answers and keep the majority final answer")] = 1,
    calculator: Annotated[bool, typer.Option("--calculator/--no-calculator", help="run <calc>…</calc> calls")] = True,
    cache: Annotated[bool, typer.Option("--cache/--no-cache", help="KV cache (off: recompute every position)")] = True,
    seed: SeedOption = 0,
    device: DeviceOption = None,
    threads: ThreadsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Generate with a trained model: streamed text, or with --vote N the majority final answer."""
    _torch(threads)
    from ragkb.lm.chat import render
    from ragkb.lm.generate import Decoder
    from ragkb.lm.loading import load_model
    from ragkb.lm.reasoning import final_answer
    from ragkb.lm.reasoning import vote as majority
    from ragkb.lm.sampling import Sampling

    model, tokenizer, _ = load_model(name, Settings(), device)
    ids = tokenizer.encode(prompt) if raw else render(tokenizer, [{"role": "user", "content": prompt}], prompt=True)[0]
    samples: list[dict[str, Any]] = []
    for index in range(vote):
        sampling = Sampling(temperature=temperature, top_k=top_k, top_p=top_p, max_tokens=max_tokens, seed=seed + index)
        decoder = Decoder(model, tokenizer, sampling, calculator=calculator, use_cache=cache, stop=tuple(stop or ()))
        pieces = []
        for piece in decoder.stream(ids):
            pieces.append(piece)
            if vote == 1 and not as_json:
                console.out(piece, end="", highlight=False)
        text = "".join(pieces)
        stats = decoder.stats
        samples.append(
            {
                "text": text,
                "final_answer": final_answer(text),
                "tokens": stats.tokens,
                "tokens_per_s": stats.tokens_per_s,
                "finish": stats.finish,
                "calls": stats.calls,
            }
        )
    winner, counts = majority([sample["final_answer"] for sample in samples])
    if as_json:
        print_json({"name": name, "prompt": prompt, "answer": winner, "votes": counts, "samples": samples})
    elif vote == 1:
        console.out("")
        err_console.print(f"[dim]{samples[0]['tokens']} tokens, {samples[0]['tokens_per_s']} tokens/s[/]")
    else:
        for number, sample in enumerate(samples, 1):
            console.print(f"[dim]{number}.[/] {sample['text']}", highlight=False)
        console.print(f"answer: {winner} (votes: {counts})", highlight=False)


@lm_app.command("list")
def list_models(as_json: JsonOption = False) -> None:
    """The trained models, usable as -g lm:<name>."""
    from ragkb.lm.store import ModelFolder, trained_models

    settings = Settings()
    rows = [{"name": name, **ModelFolder.of(name, settings).meta()} for name in trained_models(settings)]
    if as_json:
        print_json(rows)
        return
    for row in rows:
        console.print(f"lm:{row['name']}  ({row.get('stage', '?')})", highlight=False)
