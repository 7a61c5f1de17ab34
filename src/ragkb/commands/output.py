"""What every ``ragkb`` command prints with: the consoles, ``--json`` output and progress bars."""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from pydantic import BaseModel
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

console = Console()
err_console = Console(stderr=True)

KBOption = Annotated[str, typer.Option("--kb", help="knowledge base name")]
JsonOption = Annotated[bool, typer.Option("--json", help="print JSON for machines")]


def print_json(data: Any) -> None:
    """JSON on stdout; a result model (:mod:`ragkb.models`) as its ``model_dump(mode="json")``, the
    shape the HTTP API serves."""
    if isinstance(data, BaseModel):
        data = data.model_dump(mode="json")
    elif isinstance(data, list):
        data = [item.model_dump(mode="json") if isinstance(item, BaseModel) else item for item in data]
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def progress_bar(hidden: bool) -> Progress:
    """A progress bar on stderr (stdout stays clean for --json), gone when the work is done."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
        disable=hidden,
    )
