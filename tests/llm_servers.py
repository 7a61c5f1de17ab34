"""Real HTTP servers on 127.0.0.1 that speak the OpenAI and Ollama chat protocols, for tests.

They answer with a fixed text (streamed in pieces) and record what they were sent, so tests can
check both directions of the wire format without a real model server.
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar


class _Handler(BaseHTTPRequestHandler):
    reply = ""
    status = 200
    requests: ClassVar[list[dict]] = []
    turns: ClassVar[list[dict]] = []
    """Assistant messages (OpenAI's shape, with tool_calls) answered in turn to requests that offer tools."""

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"path": self.path, "body": body, "auth": self.headers.get("Authorization")})
        if self.status != 200:
            self.send_response(self.status)
            self.end_headers()
            self.wfile.write(b'{"error": "nope"}')
            return
        self.send_response(200)
        self.end_headers()
        if "tools" in body:  # tool calling, not streamed: the next scripted turn, then plain text
            self.wfile.write(json.dumps(self._tool_turn(self.turns.pop(0) if self.turns else {"content": self.reply})).encode())
            return
        words = self.reply.split(" ")
        pieces = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
        if self.path.endswith("/chat/completions"):
            for piece in pieces:
                self.wfile.write(f"data: {json.dumps({'choices': [{'delta': {'content': piece}}]})}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
        elif self.path == "/api/chat":
            for piece in pieces:
                self.wfile.write(
                    (json.dumps({"message": {"role": "assistant", "content": piece}, "done": False}) + "\n").encode()
                )
            self.wfile.write((json.dumps({"done": True}) + "\n").encode())
        elif self.path.endswith("/embeddings"):  # OpenAI: rows may come back in any order
            data = [{"index": i, "embedding": [1.0, float(i), 0.5]} for i, _ in enumerate(body["input"])]
            self.wfile.write(json.dumps({"data": data[::-1]}).encode())
        elif self.path == "/api/embed":
            self.wfile.write(json.dumps({"embeddings": [[3.0, float(i), 4.0] for i, _ in enumerate(body["input"])]}).encode())

    def _tool_turn(self, turn: dict) -> dict:
        message = {"role": "assistant", "content": turn.get("content", ""), "tool_calls": turn.get("tool_calls", [])}
        if self.path.endswith("/chat/completions"):
            return {
                "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if message["tool_calls"] else "stop"}]
            }
        calls = [  # Ollama: arguments are an object, calls have no id
            {"function": {"name": call["function"]["name"], "arguments": json.loads(call["function"]["arguments"])}}
            for call in message["tool_calls"]
        ]
        return {"message": {**message, "tool_calls": calls}, "done": True}


@contextmanager
def chat_server(reply: str, status: int = 200, turns: list[dict] | None = None):
    """``turns``: assistant messages with tool calls, answered one per request that offers tools."""
    handler = type("Handler", (_Handler,), {"reply": reply, "status": status, "requests": [], "turns": list(turns or [])})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", handler.requests
    finally:
        server.shutdown()
        server.server_close()
