"""``ragkb synth KB`` and ``ragkb tune embedder|reranker KB``: fit the models to a knowledge base
(:mod:`ragkb.tune`): synthetic questions, then a tuned embedder and a distilled reranker."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, replace
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ragkb.commands.output import JsonOption, console, err_console, print_json
from ragkb.config import Settings
from ragkb.errors import RagkbError
from ragkb.kb import KnowledgeBase
from ragkb.llms import create_generator
from ragkb.tune.embedder import EmbedderOptions, TuneReport, tune_embedder
from ragkb.tune.reranker import RerankerOptions, tune_reranker
from ragkb.tune.synth import SynthOptions, synthesize
from ragkb.tune.training import Progress as ProgressCallback
from ragkb.tune.training import RunOptions

tune_app = typer.Typer(no_args_is_help=True, help="Fit the KB's models to its documents (after ragkb synth KB).")

KBArgument = Annotated[str, typer.Argument(help="knowledge base name")]
DataOption = Annotated[Path | None, typer.Option("--data", help="folder ragkb synth wrote (default: the KB's)")]
EpochsOption = Annotated[float, typer.Option("--epochs", min=0.01, help="passes over the training questions")]
MaxStepsOption = Annotated[int | None, typer.Option("--max-steps", min=1, help="stop training after this many steps")]
MinutesOption = Annotated[
    float | None,
    typer.Option("--max-minutes", min=0, help="stop training after this long (checkpointed: run again to resume)"),
]
DeviceOption = Annotated[str | None, typer.Option("--device", help="cpu, cuda, cuda:1 (default: cuda if present, else cpu)")]
NoApplyOption = Annotated[bool, typer.Option("--no-apply", help="save the model but leave the KB as it is")]


@contextmanager
def stage_bars(hidden: bool) -> Iterator[ProgressCallback]:
    """Progress bars on stderr, one per stage (questions, training, re-embedding...), with time left."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns, console=err_console, transient=True, disable=hidden) as bars:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bars.add_task(stage, total=total)
            bars.update(tasks[stage], completed=done, total=total)

        yield update


def synth(
    kb: KBArgument,
    out: Annotated[Path | None, typer.Option("--out", help="folder to write (default: <home>/tune/kb-<id>/synth)")] = None,
    generator: Annotated[
        str | None, typer.Option("-g", "--generator", help="LLM that writes the questions (default: offline builders)")
    ] = None,
    per_chunk: Annotated[int, typer.Option("--per-chunk", min=1, help="questions kept per chunk at most")] = 2,
    held_out: Annotated[float, typer.Option("--held-out", min=0, max=0.9, help="share of chunks held out")] = 0.2,
    negatives: Annotated[int, typer.Option("--negatives", min=0, help="hard negatives mined per question")] = 7,
    max_chunks: Annotated[int | None, typer.Option("--max-chunks", min=1, help="use a sample of this many chunks")] = None,
    bm25_k: Annotated[int, typer.Option("--bm25-k", min=1, help="a question must find its chunk in BM25's top k")] = 20,
    seed: Annotated[int, typer.Option("--seed")] = 13,
    json_output: JsonOption = False,
) -> None:
    """Make (question, chunk) pairs from a KB: a BEIR folder for ragkb eval retrieval and training pairs."""
    base = KnowledgeBase.open(kb)
    model = create_generator(generator, Settings()) if generator else None
    if generator and model is None:
        raise RagkbError(f"'{generator}' writes no questions; give an LLM generator (openai:..., ollama:..., llamacpp:...)")
    options = SynthOptions(per_chunk, bm25_k, held_out, negatives, max_chunks, seed)
    with stage_bars(json_output) as progress:
        report = synthesize(base, out, model, options, progress)
    if json_output:
        print_json(asdict(report))
        return
    console.print(
        f"{report.kept} questions ({report.train} training, {report.held_out} held out) from {report.chunks} chunks, "
        f"{report.generator}; dropped: {report.dropped or 'none'}; languages: {report.languages}"
    )
    console.print(f"written to {report.folder}; score it with: ragkb eval retrieval {report.folder}")


def show(report: TuneReport, json_output: bool) -> None:
    if json_output:
        print_json(asdict(report))
        return
    table = Table("held out", "before", "after")
    for name, value in report.before.items():
        table.add_row(name, f"{value:.3f}", f"{report.after.get(name, 0.0):.3f}")
    console.print(table)
    where = "set on the KB" if report.applied else "not applied (--no-apply)"
    console.print(
        f"{report.training['steps']} steps on {report.device}, {report.seconds:.0f} s; saved to {report.model} ({where})"
    )


def run(tune, kb: str, data: Path | None, options: RunOptions, common: dict, json_output: bool) -> None:
    """Apply the options every tuning command has, run ``tune`` with bars, print its report."""
    minutes = common.pop("max_minutes")
    options = replace(options, max_seconds=minutes * 60 if minutes is not None else None, apply=not common.pop("no_apply"))
    options = replace(options, **common)
    with stage_bars(json_output) as progress:
        report, _ = tune(KnowledgeBase.open(kb), data, options, progress)
    show(report, json_output)


@tune_app.command("embedder")
def embedder(
    kb: KBArgument,
    data: DataOption = None,
    batch: Annotated[int, typer.Option("--batch", min=2, help="questions per step (the others' chunks are negatives)")] = 16,
    lr: Annotated[float, typer.Option("--lr")] = 3e-5,
    matryoshka: Annotated[bool, typer.Option("--matryoshka", help="also train the vector's leading dimensions alone")] = False,
    mix: Annotated[
        float,
        typer.Option(
            "--mix", min=0.05, max=1.0, help="share of the tuned weights kept, the rest the base model's (1: as trained)"
        ),
    ] = EmbedderOptions.mix,
    epochs: EpochsOption = 1.0,
    max_steps: MaxStepsOption = None,
    max_minutes: MinutesOption = None,
    device: DeviceOption = None,
    no_apply: NoApplyOption = False,
    json_output: JsonOption = False,
) -> None:
    """Fine-tune the KB's embedder on its synthetic questions, set it on the KB and re-embed."""
    common = {"epochs": epochs, "max_steps": max_steps, "max_minutes": max_minutes, "device": device, "no_apply": no_apply}
    run(tune_embedder, kb, data, EmbedderOptions(batch=batch, lr=lr, matryoshka=matryoshka, mix=mix), common, json_output)


@tune_app.command("reranker")
def reranker(
    kb: KBArgument,
    data: DataOption = None,
    batch: Annotated[int, typer.Option("--batch", min=1, help="questions per step")] = 8,
    group: Annotated[int, typer.Option("--group", min=2, help="passages per question: its chunk and negatives")] = 6,
    lr: Annotated[float, typer.Option("--lr")] = 5e-5,
    base: Annotated[
        str, typer.Option("--base", help="auto (the KB's tuned embedder, else MiniLM), minilm, embedder, or a folder")
    ] = "auto",
    epochs: EpochsOption = 1.0,
    max_steps: MaxStepsOption = None,
    max_minutes: MinutesOption = None,
    device: DeviceOption = None,
    no_apply: NoApplyOption = False,
    json_output: JsonOption = False,
) -> None:
    """Distil a cross-encoder for the KB; rerank=auto (the accurate profile) uses it."""
    common = {"epochs": epochs, "max_steps": max_steps, "max_minutes": max_minutes, "device": device, "no_apply": no_apply}
    run(tune_reranker, kb, data, RerankerOptions(batch=batch, group=group, lr=lr, base=base), common, json_output)
