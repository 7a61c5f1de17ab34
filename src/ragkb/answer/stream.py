"""An answer as a stream of events, and what a front end shows of it.

:meth:`ragkb.answer.answering.Answerer.stream` yields a :class:`QueryEvent` (the retrieval query,
once the question is rewritten with the conversation's history), a :class:`TokenEvent` per piece the
model generates, then one :class:`FinalEvent` with the :class:`~ragkb.models.Answer`. The final
text may differ from the generated one: markers of unsupported citations are dropped, unmarked
sentences get theirs, a model's answer that cites nothing is replaced by quoted sources, and a
refusal or an extractive answer is not generated at all. :func:`reconcile` turns that into what
the CLI, the Server-Sent Events of ``/ask`` and the OpenAI-compatible endpoint show, so they agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from ragkb.models import Answer


class QueryEvent(BaseModel):
    kind: Literal["query"] = "query"
    query: str


class TokenEvent(BaseModel):
    kind: Literal["token"] = "token"
    text: str


class FinalEvent(BaseModel):
    kind: Literal["answer"] = "answer"
    answer: Answer
    replaces_stream: bool = False
    """Set by :func:`reconcile`: the tokens were the model's answer, which this one replaces (it
    cited no source, so the sources are quoted instead); a front end shows it after them."""


AnswerEvent = Annotated[QueryEvent | TokenEvent | FinalEvent, Field(discriminator="kind")]


def reconcile(events: Iterable[AnswerEvent]) -> Iterator[AnswerEvent]:
    """The events a front end shows: tokens one step late, so that the last one can be replaced by
    the rest of the final text whenever what was sent is still its beginning (the shown text then
    ends as the final answer); a stream without tokens (a refusal, an extractive answer) sends the
    final text as its one token. Query and final events pass through, the final one marked
    ``replaces_stream`` when it is quoted sources that replaced the model's answer."""
    sent: list[str] = []
    held: str | None = None
    for event in events:
        if isinstance(event, TokenEvent):
            if held is not None:
                sent.append(held)
                yield TokenEvent(text=held)
            held = event.text
            continue
        if isinstance(event, FinalEvent):
            answer = event.answer
            rest = remaining_text("".join(sent), held or "", answer.answer)
            if rest:
                sent.append(rest)
                yield TokenEvent(text=rest)
            replaced = answer.fallback_from is not None and "".join(sent).strip() != answer.answer
            event = event.model_copy(update={"replaces_stream": replaced})
        yield event


def remaining_text(sent: str, held: str, final: str) -> str:
    """What to send after ``sent`` so that the client ends with ``final`` if it still can, else the
    ``held`` piece, which completes the text as generated."""
    prefix = sent.lstrip()
    return final[len(prefix) :] if final.startswith(prefix) else held


def final_answer(events: Iterable[AnswerEvent]) -> Answer:
    """The answer a stream ends with (consuming it)."""
    answer = None
    for event in events:
        if isinstance(event, FinalEvent):
            answer = event.answer
    if answer is None:
        raise ValueError("the answer stream ended without an answer")
    return answer
