"""Unit tests of stream reconciliation (ragkb.answer.stream.reconcile): what the CLI, the SSE of
/ask and the OpenAI-compatible endpoint show of an answer whose final text may differ from the
tokens the model generated."""

from __future__ import annotations

import pytest

from ragkb.answer.stream import FinalEvent, QueryEvent, TokenEvent, final_answer, reconcile
from ragkb.models import Answer

REFUSAL = "The knowledge base does not contain this information."


def answer(text: str, *, refused: bool = False, fallback_from: str | None = None) -> Answer:
    return Answer(
        question="How long is annual leave?",
        query="How long is annual leave?",
        answer=text,
        citations=[],
        dropped_citations=0,
        refused=refused,
        generator="openai:stand-in",
        fallback_from=fallback_from,
    )


def shown(tokens: list[str], final: Answer) -> tuple[list[str], FinalEvent]:
    """The token texts a front end shows, and the final event it gets."""
    events = list(reconcile([QueryEvent(query=final.query), *(TokenEvent(text=t) for t in tokens), FinalEvent(answer=final)]))
    assert events[0] == QueryEvent(query=final.query)
    assert all(isinstance(event, TokenEvent) for event in events[1:-1]) and isinstance(events[-1], FinalEvent)
    return [event.text for event in events[1:-1]], events[-1]


def test_tokens_that_are_the_final_text_pass_through_one_step_late() -> None:
    texts, final = shown(["Leave", " is", " 25 days [1]."], answer("Leave is 25 days [1]."))
    assert texts == ["Leave", " is", " 25 days [1]."]
    assert final.answer.answer == "Leave is 25 days [1]." and not final.replaces_stream


def test_a_final_text_that_extends_the_streamed_one_replaces_the_last_token() -> None:
    # An unmarked sentence got its citation: the client still ends with the final text.
    texts, final = shown([" Leave is", " 25 days."], answer("Leave is 25 days. [1]"))
    assert texts == [" Leave is", " 25 days. [1]"] and "".join(texts).strip() == final.answer.answer
    assert not final.replaces_stream


def test_a_final_text_that_differs_earlier_keeps_the_text_as_generated() -> None:
    # A marker of a source that was not in the prompt was dropped from the middle: what was sent cannot
    # be taken back, so the held token completes the generated text and the final event has the rest.
    texts, final = shown(["Leave [9] is", " 25 days [1]."], answer("Leave is 25 days [1]."))
    assert texts == ["Leave [9] is", " 25 days [1]."] and not final.replaces_stream


def test_quoted_sources_that_replace_an_uncited_answer_follow_it() -> None:
    quoted = "Annual leave is 25 days per calendar year. [1]"
    texts, final = shown(["I like", " turtles."], answer(quoted, fallback_from="I like turtles."))
    assert texts == ["I like", " turtles."] and final.replaces_stream and final.answer.answer == quoted


def test_a_refusal_without_tokens_is_sent_as_one_token() -> None:
    texts, final = shown([], answer(REFUSAL, refused=True))
    assert texts == [REFUSAL] and final.answer.refused and not final.replaces_stream


def test_a_refusal_the_model_generated_streams_as_generated() -> None:
    texts, final = shown(["The knowledge base", " does not contain this information."], answer(REFUSAL, refused=True))
    assert "".join(texts) == REFUSAL and not final.replaces_stream


def test_an_empty_generation_sends_no_token() -> None:
    texts, final = shown([], answer(""))
    assert texts == [] and final.answer.answer == "" and not final.replaces_stream


def test_an_empty_stream_has_no_answer() -> None:
    assert list(reconcile([])) == []
    with pytest.raises(ValueError, match="without an answer"):
        final_answer(reconcile([]))


def test_final_answer_is_the_last_event_s_answer() -> None:
    events = [QueryEvent(query="q"), TokenEvent(text="Leave"), FinalEvent(answer=answer("Leave."))]
    assert final_answer(events).answer == "Leave."
