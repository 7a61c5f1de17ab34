"""An OpenAI-compatible chat server on 127.0.0.1 for the browser tests, standing in for a model
that writes Markdown: each reply is chosen by a cue in the question, streamed word by word (with a
pause between words where a test must stop an answer half-way), and every request records how many
words it was sent before its client went away.

A request to condense a conversation into one question (ragkb's rewrite prompt) is answered with
the last question as it is, so a follow-up searches what it says."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

from serving import local_http


@dataclass
class Reply:
    """The texts a cue gets, one per request in turn, and the pause before each word."""

    texts: list[str]
    pause_s: float = 0.0


@dataclass
class Request:
    prompt: str
    words: int = 0
    sent: int = 0
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def stopped_early(self) -> bool:
        return self.done.is_set() and self.sent < self.words


@dataclass
class FakeLLM:
    url: str
    replies: dict[str, Reply]
    requests: list[Request] = field(default_factory=list)
    served: dict[str, int] = field(default_factory=dict)

    def answer_for(self, messages: list[dict[str, str]]) -> tuple[str, float]:
        prompt = messages[-1]["content"]
        if not any(m["role"] == "system" for m in messages):  # not an answer: the rewrite prompt
            asked = [line for line in prompt.splitlines() if line.rstrip().endswith(("?", "？"))]
            return (asked[-1].split(":", 1)[-1].strip() if asked else prompt), 0.0  # the last question as asked
        question = prompt.rsplit("Question:", 1)[-1]
        cue = next((cue for cue in self.replies if cue in question), None)
        if cue is None:
            return "I do not know.", 0.0
        reply = self.replies[cue]
        turn = self.served.get(cue, 0)
        self.served[cue] = turn + 1
        return reply.texts[turn % len(reply.texts)], reply.pause_s


def _handler(llm: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:
            pass

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            prompt = body["messages"][-1]["content"]
            text, pause_s = llm.answer_for(body["messages"])
            words = text.split(" ")
            request = Request(prompt, words=len(words))
            llm.requests.append(request)
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            try:
                for i, word in enumerate(words):
                    time.sleep(pause_s)
                    piece = word + (" " if i < len(words) - 1 else "")
                    self.wfile.write(f"data: {json.dumps({'choices': [{'delta': {'content': piece}}]})}\n\n".encode())
                    self.wfile.flush()
                    request.sent += 1
                self.wfile.write(b"data: [DONE]\n\n")
            except (BrokenPipeError, ConnectionResetError):
                pass  # ragkb closed the stream: the answer was stopped
            finally:
                request.done.set()

    return Handler


@contextmanager
def fake_llm(replies: dict[str, Reply]) -> Iterator[FakeLLM]:
    """A running fake model; its ``url`` is the base URL for ``RAGKB_OPENAI_BASE_URL``."""
    llm = FakeLLM("", replies)
    with local_http(_handler(llm)) as url:
        llm.url = f"{url}/v1"
        yield llm
