"""Errors a user can cause. The CLI prints their message as one line and exits non-zero."""


class RagkbError(Exception):
    """Base class: the message says what went wrong and what to do about it."""


class KnowledgeBaseNotFound(RagkbError):
    def __init__(self, name: str):
        super().__init__(f"knowledge base '{name}' does not exist; create it with: ragkb kb create {name}")


class KnowledgeBaseExists(RagkbError):
    def __init__(self, name: str):
        super().__init__(f"knowledge base '{name}' already exists; pick another name or delete it first")


class LoaderError(RagkbError):
    """A single file could not be read. Ingestion records it and goes on with the other files."""


class UnsupportedFormat(LoaderError):
    pass


class ConfigError(RagkbError):
    pass
