"""Answering for the HTTP layer: which generators a client may pick, one llama.cpp call at a
time per model, and streaming a blocking answer's events out of a worker thread."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from typing import TypeVar

from fastapi import HTTPException

from ragkb.answer.answering import Answerer
from ragkb.answer.chat import Conversation
from ragkb.answer.stream import AnswerEvent, reconcile
from ragkb.config import Persona
from ragkb.errors import RagkbError
from ragkb.kb import KnowledgeBase
from ragkb.llms import BUNDLED_MODELS
from ragkb.profiles import SearchOptions
from ragkb.server.metrics import Metrics

log = logging.getLogger("ragkb.server")

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def offered_generators(default: str) -> list[str]:
    """Generators a client may name: extractive, the bundled GGUF models and the server's default."""
    return list(dict.fromkeys(["extractive", *(f"llamacpp:{name}" for name in BUNDLED_MODELS), default]))


def check_generator(spec: str | None, default: str) -> str:
    """The generator to use. Clients may also name models of the configured Ollama or OpenAI-compatible
    server and models trained with ``ragkb lm`` (a name, never a path), but not local GGUF paths (that
    would let them load any file on this machine)."""
    if spec is None or spec in offered_generators(default) or spec.split(":", 1)[0] in ("ollama", "openai", "lm"):
        return spec or default
    raise HTTPException(
        400,
        f"generator '{spec}' is not served; use one of {', '.join(offered_generators(default))}, ollama:M, openai:M or lm:NAME",
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


def answer_events(
    kb: KnowledgeBase,
    question: str,
    *,
    generator: str,
    k: int = 6,
    options: SearchOptions | None = None,
    session: str | None = None,
    regenerate: bool = False,
    history: list[dict[str, str]] | None = None,
    persona: Persona | None = None,
    metrics: Metrics | None = None,
) -> Generator[AnswerEvent, None, None]:
    """An answer with RAG (``options``: retrieval profile, filters, overrides; ``persona``: changes
    to the KB's persona) as the events a client is shown (:func:`ragkb.answer.stream.reconcile`),
    through the answer cache; with ``session`` the turn is stored in that conversation (and its
    history used), ``regenerate`` replacing its last turn (:meth:`Conversation.stream`). The model is
    held until the events end or are closed; closing them stops the generation first (a session keeps
    the stopped turn). ``metrics`` observe the answer as it is made."""
    answerer = Answerer(kb, generator, k=k, options=options, persona=persona, cache=True)
    with generation_slot(generator):
        if session is not None:
            made = Conversation(kb, session, answerer).stream(question, regenerate=regenerate)
        else:
            made = answerer.stream(question, history)
        with closing(made):
            yield from reconcile(metrics.answers(made, generator) if metrics else made)


@dataclass
class StreamError:
    """How a stream ends when its work failed: one line for the client."""

    detail: str


class ClientGone(Exception):
    """Raised in a stream's thread once its client has gone: it closes the stream's events (which
    stops the model's generation) and releases the model's lock."""


Event = TypeVar("Event")


async def in_thread(events: Callable[[], Generator[Event, None, None]]) -> AsyncIterator[Event | StreamError]:
    """Iterate ``events()`` (blocking) in a thread; yield each event as it comes, and a
    :class:`StreamError` if it failed.

    When the consumer stops (the client disconnected, so the response was cancelled), the thread's
    next event raises :class:`ClientGone` there and the events are closed: no model keeps
    generating for nobody.
    """
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Event | StreamError | None] = asyncio.Queue()
    gone = threading.Event()

    def put(item: Event | StreamError | None) -> None:
        if gone.is_set() or loop.is_closed():
            raise ClientGone
        loop.call_soon_threadsafe(queue.put_nowait, item)

    def run() -> None:
        outcome: StreamError | None = None
        try:
            with closing(events()) as iterator:
                for event in iterator:
                    put(event)
        except ClientGone:
            return
        except RagkbError as error:
            outcome = StreamError(str(error))
        except Exception as error:  # a bug: the client still gets its one line
            log.exception("answer failed")
            outcome = StreamError(f"internal error ({type(error).__name__}); the server log has the details")
        with suppress(ClientGone):
            put(outcome)  # None: the end

    threading.Thread(target=run, name="ragkb-answer", daemon=True).start()
    try:
        while (item := await queue.get()) is not None:
            yield item
            if isinstance(item, StreamError):
                return
    finally:
        gone.set()
