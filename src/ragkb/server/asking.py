"""Answering for the HTTP layer: which generators a client may pick, one llama.cpp call at a
time per model, and streaming a blocking answer's tokens out of a worker thread."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import aclosing, contextmanager, suppress

from fastapi import HTTPException

from ragkb.answer.answering import Answer, Answerer, TokenCallback
from ragkb.answer.chat import Conversation
from ragkb.errors import RagkbError
from ragkb.kb import KnowledgeBase
from ragkb.llms import BUNDLED_MODELS
from ragkb.profiles import SearchOptions

log = logging.getLogger("ragkb.server")

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def offered_generators(default: str) -> list[str]:
    """Generators a client may name: extractive, the bundled GGUF models and the server's default."""
    return list(dict.fromkeys(["extractive", *(f"llamacpp:{name}" for name in BUNDLED_MODELS), default]))


def check_generator(spec: str | None, default: str) -> str:
    """The generator to use. Clients may also name models of the configured Ollama or OpenAI-compatible
    server, but not local GGUF paths (that would let them load any file on this machine)."""
    if spec is None or spec in offered_generators(default) or spec.split(":", 1)[0] in ("ollama", "openai"):
        return spec or default
    raise HTTPException(
        400, f"generator '{spec}' is not served; use one of {', '.join(offered_generators(default))}, ollama:M or openai:M"
    )


@contextmanager
def generation_slot(spec: str) -> Iterator[None]:
    """llama.cpp models are not thread-safe: one generation at a time per in-process model."""
    if not spec.startswith("llamacpp:"):
        yield
        return
    with _locks_guard:
        lock = _locks.setdefault(spec, threading.Lock())
    with lock:
        yield


QueryCallback = Callable[[str], None]


class _Answerer(Answerer):
    """Tells a listener the (history-rewritten) retrieval query as soon as it is known."""

    def __init__(self, kb: KnowledgeBase, generator: str, k: int, options: SearchOptions | None, on_query: QueryCallback | None):
        super().__init__(kb, generator, k=k, options=options)
        self._on_query = on_query

    def rewrite(self, question: str, history: list[dict[str, str]]) -> str:
        query = super().rewrite(question, history)
        if self._on_query:
            self._on_query(query)
        return query


def answer(
    kb: KnowledgeBase,
    question: str,
    *,
    generator: str,
    k: int = 6,
    options: SearchOptions | None = None,
    session: str | None = None,
    history: list[dict[str, str]] | None = None,
    on_token: TokenCallback | None = None,
    on_query: QueryCallback | None = None,
) -> Answer:
    """Answer with RAG (``options``: retrieval profile, filters, overrides); with ``session`` the turn is
    stored in that conversation (and its history used)."""
    answerer = _Answerer(kb, generator, k, options, on_query)
    with generation_slot(generator):
        if session is not None:
            return Conversation(kb, session, answerer).ask(question, on_token=on_token)
        return answerer.ask(question, history=history, on_token=on_token)


Event = tuple[str, object]
"""An answer streams ("query", rewritten query), ("token", text) repeated, then ("answer", Answer)
or ("error", detail)."""
Emit = Callable[[str, object], None]


class ClientGone(Exception):
    """Raised in a generation's thread once its client has gone: it unwinds the generation (which
    closes the model's stream) and releases the model's lock."""


async def in_thread(work: Callable[[Emit], object]) -> AsyncIterator[Event]:
    """Run ``work(emit)`` (blocking) in a thread; yield each ``emit(kind, value)`` as it comes, then
    ("done", its result) or ("error", one line).

    When the consumer stops (the client disconnected, so the response was cancelled), the work's
    next ``emit`` raises :class:`ClientGone`: no model keeps generating for nobody.
    """
    loop = asyncio.get_running_loop()
    events: asyncio.Queue[Event] = asyncio.Queue()
    gone = threading.Event()

    def put(event: Event) -> None:
        if gone.is_set() or loop.is_closed():
            raise ClientGone
        loop.call_soon_threadsafe(events.put_nowait, event)

    def run() -> None:
        try:
            outcome: Event = ("done", work(lambda kind, value: put((kind, value))))
        except ClientGone:
            return
        except RagkbError as error:
            outcome = ("error", str(error))
        except Exception as error:  # a bug: the client still gets its one line
            log.exception("answer failed")
            outcome = ("error", f"internal error ({type(error).__name__}); the server log has the details")
        with suppress(ClientGone):
            put(outcome)

    threading.Thread(target=run, name="ragkb-answer", daemon=True).start()
    try:
        while True:
            kind, value = await events.get()
            yield kind, value
            if kind in ("done", "error"):
                return
    finally:
        gone.set()


async def stream_events(work: Callable[[TokenCallback, QueryCallback], Answer]) -> AsyncIterator[Event]:
    """Run ``work(on_token, on_query)`` (blocking) with :func:`in_thread`; yield its events as they come.

    Tokens are passed on one step late: the final answer may differ from what was generated (markers
    of unsupported citations dropped, unmarked sentences given theirs), so the last piece is replaced
    by the rest of the final text whenever what was sent is still its beginning. The extractive
    answerer produces its text in one piece, so its stream is exactly the final answer.
    """
    sent: list[str] = []
    held: str | None = None
    answering = in_thread(lambda emit: work(lambda piece: emit("token", piece), lambda query: emit("query", query)))
    async with aclosing(answering):
        async for kind, value in answering:
            if kind == "token":
                if held is not None:
                    sent.append(held)
                    yield "token", held
                held = value
                continue
            if kind == "done":
                kind = "answer"
                rest = remaining_text("".join(sent), held or "", value.text)
                if rest:
                    yield "token", rest
            yield kind, value


def remaining_text(sent: str, held: str, final: str) -> str:
    """What to send after ``sent`` so that the client ends with ``final`` if it still can."""
    prefix = sent.lstrip()
    return final[len(prefix) :] if final.startswith(prefix) else held
