"""Errors a user can cause. The CLI prints their message as one line and exits non-zero."""


class RagkbError(Exception):
    """Base class: the message says what went wrong and what to do about it."""


class KnowledgeBaseNotFound(RagkbError):
    def __init__(self, name: str):
        super().__init__(f"knowledge base '{name}' does not exist; create it with: ragkb kb create {name}")


class KnowledgeBaseExists(RagkbError):
    def __init__(self, name: str):
        super().__init__(f"knowledge base '{name}' already exists; pick another name or delete it first")


class InvalidName(RagkbError):
    """A new knowledge base or session name that :mod:`ragkb.names` refuses."""

    def __init__(self, kind: str, name: str, problem: str):
        shown = name if len(name) <= 40 else name[:40] + "…"
        super().__init__(f"{kind} name {shown!r} {problem}; choose another name")  # repr escapes invisible characters


class LoaderError(RagkbError):
    """A single file could not be read. Ingestion records it and goes on with the other files."""


class UnsupportedFormat(LoaderError):
    pass


class ConfigError(RagkbError):
    pass
