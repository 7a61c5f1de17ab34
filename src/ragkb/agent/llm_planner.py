"""The LLM planner: the configured model plans through tool calls (OpenAI-compatible
``/chat/completions`` or Ollama ``/api/chat``, not streamed).

The model looks (``list_files``, ``read_file``, ``search_kb``, ``find_duplicates``) and plans one
operation per call (``move``, ``copy``, ``rename``, ``delete``, ``create``, ``tag``, ``classify``);
each planned operation is checked by the sandbox with the plan so far, and a refusal goes back to
the model as the call's result, so it can correct itself. Nothing it calls changes a file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

import httpx
from pydantic import ValidationError

from ragkb.agent.inventory import FileFact, duplicates, inventory
from ragkb.agent.kbfiles import KBFiles
from ragkb.agent.plan import Operation, Plan
from ragkb.agent.reasons import Reasons
from ragkb.agent.sandbox import Sandbox, SandboxError
from ragkb.config import Settings
from ragkb.errors import ConfigError, RagkbError

ROUNDS = 16
"""Model turns at most; a plan still unfinished then is returned as it is, with a note."""
LISTED = 500
TEXT_LIMIT = 4000
SYSTEM = (
    "You plan file operations in one folder for the user. You cannot change anything yourself: each operation "
    "tool adds one operation to a plan that the user reviews before it runs. Paths are relative to the folder, "
    "with '/' between folders. First look (list_files, read_file, search_kb, find_duplicates), then plan one "
    "call per file, only for files the instruction asks for, and call finish with a note of anything you could not "
    "plan. If a call is refused, fix it or leave that file out. Write every reason and note in {language}, the "
    "language of the instruction."
)

Message = dict[str, Any]
ToolChat = Callable[[list[Message], list[dict]], Message]
"""Sends messages and tools, returns the assistant's message in OpenAI's shape."""


def function(name: str, description: str, **properties: dict) -> dict:
    required = [key for key, value in properties.items() if not value.pop("optional", False)]
    schema = {"type": "object", "properties": properties, "required": required}
    return {"type": "function", "function": {"name": name, "description": description, "parameters": schema}}


STRING = {"type": "string"}
TAGS = {"type": "array", "items": STRING}
WHY = {"type": "string", "description": "why, in a few words", "optional": True}
TOOLS = [
    function("list_files", "Files below the folder: path, bytes, modified, sha256 prefix.", pattern={**STRING, "optional": True}),
    function("read_file", "A file's text (from the knowledge base when it has the file).", path=STRING),
    function("search_kb", "Search the files' text in the knowledge base; files with their best passage.", query=STRING),
    function("find_duplicates", "Groups of files with the same content, oldest first."),
    function("move", "Plan: move a file (folders are made as needed).", path=STRING, to=STRING, reason=dict(WHY)),
    function("copy", "Plan: copy a file.", path=STRING, to=STRING, reason=dict(WHY)),
    function("rename", "Plan: rename a file in its folder.", path=STRING, new_name=STRING, reason=dict(WHY)),
    function("delete", "Plan: delete a file (it is backed up first).", path=STRING, reason=dict(WHY)),
    function("create", "Plan: create a text file.", path=STRING, content=STRING, reason=dict(WHY)),
    function("tag", "Plan: add tags to a file in the knowledge base.", path=STRING, tags=TAGS, reason=dict(WHY)),
    function(
        "classify",
        "Plan: move every file whose text matches the query (knowledge base search) into a folder.",
        query=STRING,
        folder=STRING,
        tags={**TAGS, "optional": True},
    ),
    function("finish", "The plan is complete.", note={**STRING, "optional": True}),
]


class PlanBuilder:
    """The tools' side: what the model sees and the plan it builds, checked as it grows."""

    def __init__(self, plan: Plan, sandbox: Sandbox, kb: KBFiles) -> None:
        self.plan, self.sandbox, self.kb = plan, sandbox, kb
        self.reasons = Reasons(plan.instruction)
        self.files: list[FileFact] = inventory(sandbox)
        self.finished = False

    def call(self, name: str, arguments: dict) -> str:
        """Run one tool call; a problem is the result the model reads, never an exception."""
        try:
            handler = getattr(self, "tool_" + name, None)
            if handler is None:
                return f"error: no tool named {name!r}"
            return handler(**arguments)
        except TypeError as error:
            return f"error: bad arguments for {name} ({error})"
        except (SandboxError, ValidationError, RagkbError) as error:
            return f"refused: {error}"

    # --- looking -------------------------------------------------------------------------------

    def tool_list_files(self, pattern: str = "*") -> str:
        rows = [f for f in self.files if fnmatchcase(f.relative, pattern) or fnmatchcase(f.path.name, pattern)]
        lines = [f"{f.relative}\t{f.size}\t{f.modified.date().isoformat()}\t{f.sha256[:12]}" for f in rows[:LISTED]]
        more = [f"... and {len(rows) - LISTED} more; give a pattern"] if len(rows) > LISTED else []
        return "\n".join(lines + more) or "no files match"

    def tool_read_file(self, path: str) -> str:
        absolute = self.sandbox.existing_file(path)
        text = self.kb.text(absolute)
        if text is None:
            text = absolute.read_bytes()[: TEXT_LIMIT * 4].decode("utf-8", "replace")
        return text[:TEXT_LIMIT] or "(the file holds no text)"

    def tool_search_kb(self, query: str) -> str:
        if self.kb.kb is None:
            return "no knowledge base was given (--kb); use list_files and read_file"
        hits = sorted(self.kb.search(query, self.sandbox.root).items(), key=lambda item: -item[1].score)[:20]
        return (
            "\n".join(f"{self.sandbox.relative(path)}\t{hit.score:.2f}\t{hit.text[:200]!r}" for path, hit in hits)
            or "no file matches"
        )

    def tool_find_duplicates(self) -> str:
        groups = duplicates(self.files)
        return "\n".join(" = ".join(f.relative for f in group) for group in groups) or "no duplicates"

    # --- planning ------------------------------------------------------------------------------

    def add(self, **fields: Any) -> str:
        operation = Operation(**fields)
        if operation.op != "create":
            source = next((f for f in self.files if f.relative == "/".join(self.sandbox.parts(operation.path))), None)
            operation.sha256 = source.sha256 if source else None
        self.sandbox.check_plan(self.plan.model_copy(update={"operations": [*self.plan.operations, operation]}))
        self.plan.operations.append(operation)
        return f"planned: {operation.describe()}"

    def tool_move(self, path: str, to: str, reason: str = "") -> str:
        return self.add(op="move", path=path, to=to, reason=reason)

    def tool_copy(self, path: str, to: str, reason: str = "") -> str:
        return self.add(op="copy", path=path, to=to, reason=reason)

    def tool_rename(self, path: str, new_name: str, reason: str = "") -> str:
        folder = path.rsplit("/", 1)[0] + "/" if "/" in path else ""
        return self.add(op="rename", path=path, to=folder + new_name, reason=reason)

    def tool_delete(self, path: str, reason: str = "") -> str:
        return self.add(op="delete", path=path, reason=reason)

    def tool_create(self, path: str, content: str, reason: str = "") -> str:
        return self.add(op="create", path=path, content=content, reason=reason)

    def tool_tag(self, path: str, tags: list[str], reason: str = "") -> str:
        return self.add(op="tag", path=path, tags=tags, reason=reason)

    def tool_classify(self, query: str, folder: str, tags: list[str] | None = None) -> str:
        folder = "/".join(self.sandbox.parts(folder))
        found = self.kb.search(query, self.sandbox.root)
        if not found:
            return "no file's text matches; nothing planned"
        lines = []
        for path, hit in sorted(found.items()):
            relative = self.sandbox.relative(path)
            if relative.startswith(folder + "/"):
                continue
            reason = self.reasons.say("searched", query=query, score=hit.score)
            try:
                lines.append(
                    self.add(
                        op="classify", path=relative, to=f"{folder}/{path.name}", query=query, tags=tags or [], reason=reason
                    )
                )
            except (SandboxError, ValidationError, RagkbError) as error:
                lines.append(f"refused {relative}: {error}")
        return "\n".join(lines) or "every matching file is in that folder already"

    def tool_finish(self, note: str = "") -> str:
        self.finished = True
        if note.strip():
            self.plan.notes.append(note.strip())
        return "ok"


def plan_by_llm(instruction: str, sandbox: Sandbox, kb: KBFiles, kb_name: str | None, spec: str, settings: Settings) -> Plan:
    """The plan the model ``spec`` (``openai:<model>`` or ``ollama:<model>``) makes with the tools."""
    chat = tool_chat(spec, settings)
    plan = Plan(instruction=instruction, root=str(sandbox.root), kb=kb_name, planner=spec)
    builder = PlanBuilder(plan, sandbox, kb)
    context = f"The folder: {sandbox.root}. Knowledge base: {kb_name or 'none'}. Files: {len(builder.files)}."
    messages: list[Message] = [
        {"role": "system", "content": SYSTEM.format(language=builder.reasons.say("write_in"))},
        {"role": "user", "content": f"{context}\n\nInstruction: {instruction}"},
    ]
    for _ in range(ROUNDS):
        reply = chat(messages, TOOLS)
        calls = reply.get("tool_calls") or []
        messages.append({"role": "assistant", "content": reply.get("content") or "", "tool_calls": calls})
        if not calls:
            if (reply.get("content") or "").strip():
                plan.notes.append(reply["content"].strip())
            break
        for call in calls:
            name = call["function"]["name"]
            try:
                arguments = json.loads(call["function"].get("arguments") or "{}")
            except json.JSONDecodeError:
                arguments = None
            result = (
                builder.call(name, arguments) if isinstance(arguments, dict) else "error: the arguments are not a JSON object"
            )
            messages.append({"role": "tool", "tool_call_id": call.get("id", ""), "name": name, "content": result})
        if builder.finished:
            break
    else:
        plan.notes.append(builder.reasons.say("unfinished", rounds=ROUNDS))
    return plan


def tool_chat(spec: str, settings: Settings) -> ToolChat:
    """A function that asks the model ``spec`` one turn with tools."""
    backend, _, model = spec.partition(":")
    if backend == "openai" and model:
        url = settings.openai_base_url.rstrip("/") + "/chat/completions"
        headers = {"Authorization": f"Bearer {settings.openai_api_key}"} if settings.openai_api_key else {}

        def openai(messages: list[Message], tools: list[dict]) -> Message:
            body = {
                "model": model,
                "messages": messages,
                "tools": tools,
                "tool_choice": "auto",
                "temperature": 0,
                "stream": False,
            }
            answer = post(url, body, headers, "OpenAI-compatible")
            return ((answer.get("choices") or [{}])[0]).get("message") or {}

        return openai
    if backend == "ollama" and model:
        url = settings.ollama_url.rstrip("/") + "/api/chat"

        def ollama(messages: list[Message], tools: list[dict]) -> Message:
            body = {"model": model, "messages": [to_ollama(m) for m in messages], "tools": tools, "stream": False}
            message = post(url, body | {"options": {"temperature": 0}}, {}, "Ollama").get("message") or {}
            calls = [
                {
                    "id": f"call_{n}",
                    "function": {"name": c["function"]["name"], "arguments": json.dumps(c["function"].get("arguments") or {})},
                }
                for n, c in enumerate(message.get("tool_calls") or [])
            ]
            return {"content": message.get("content") or "", "tool_calls": calls}

        return ollama
    raise ConfigError(
        f"the agent plans with openai:<model> or ollama:<model> (tool calling), not {spec!r}; or use --planner rules"
    )


def to_ollama(message: Message) -> Message:
    """OpenAI's message shape as Ollama's: tool call arguments are objects, tool results name their tool."""
    if message["role"] == "tool":
        return {"role": "tool", "content": message["content"], "tool_name": message.get("name", "")}
    calls = [
        {"function": {"name": c["function"]["name"], "arguments": json.loads(c["function"]["arguments"] or "{}")}}
        for c in message.get("tool_calls") or []
    ]
    return {"role": message["role"], "content": message.get("content") or ""} | ({"tool_calls": calls} if calls else {})


def post(url: str, body: dict, headers: dict, server: str) -> dict:
    try:
        response = httpx.post(url, json=body, headers=headers, timeout=httpx.Timeout(300, connect=10))
    except httpx.ConnectError as error:
        raise RagkbError(f"cannot reach the {server} server at {url} ({error}); start it or set its URL") from None
    except httpx.HTTPError as error:
        raise RagkbError(f"{server} request to {url} failed ({type(error).__name__}: {error})") from None
    if response.status_code >= 400:
        raise RagkbError(
            f"the {server} server answered {response.status_code}: {response.text[:200]}; check the model name and key"
        )
    try:
        return response.json()
    except ValueError:
        raise RagkbError(f"the {server} server at {url} did not answer JSON; check the URL") from None
