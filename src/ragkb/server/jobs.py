"""Background ingestion: one worker thread runs jobs one after another, reporting progress.

Jobs live in memory (the last few hundred): a restart forgets them, but never the files they
indexed, which the catalog holds (each batch commits whole). One worker is enough: SQLite has one
writer at a time and embedding already uses every core.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ragkb.config import Settings
from ragkb.errors import RagkbError
from ragkb.kb import KnowledgeBase

log = logging.getLogger("ragkb.server")

KEEP_FINISHED = 500
JobState = Literal["queued", "running", "done", "failed"]


@dataclass
class Job:
    id: str
    kb: str
    paths: list[Path]
    force: bool = False
    state: JobState = "queued"
    done: int = 0
    total: int = 0
    current: str | None = None
    report: dict | None = None
    error: str | None = None

    def to_dict(self) -> dict:
        keys = ("id", "kb", "state", "done", "total", "current", "report", "error")
        return {key: getattr(self, key) for key in keys}


class JobManager:
    def __init__(self, settings: Settings):
        self.settings = settings
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()
        self._queue: queue.Queue[Job | None] = queue.Queue()
        self._stopping = threading.Event()
        self._worker = threading.Thread(target=self._work, name="ragkb-ingest", daemon=True)
        self._worker.start()

    def submit(self, kb: str, paths: list[Path], *, force: bool = False) -> Job:
        job = Job(id=uuid.uuid4().hex, kb=kb, paths=paths, force=force, total=len(paths))
        with self._lock:
            self._jobs[job.id] = job
            finished = [key for key, old in self._jobs.items() if old.state in ("done", "failed")]
            for key in finished[: max(0, len(self._jobs) - KEEP_FINISHED)]:
                del self._jobs[key]
        self._queue.put(job)
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def stop(self, timeout: float = 30) -> None:
        """Finish the job in progress (queued ones are dropped), then end the worker."""
        self._stopping.set()
        self._queue.put(None)
        self._worker.join(timeout)

    def _work(self) -> None:
        while (job := self._queue.get()) is not None and not self._stopping.is_set():
            self._run(job)

    def _run(self, job: Job) -> None:
        job.state = "running"

        def progress(done: int, total: int, path: str) -> None:
            job.done, job.total, job.current = done, total, Path(path).name

        try:
            kb = KnowledgeBase.open(job.kb, settings=self.settings)
            job.report = kb.add(job.paths, force=job.force, progress=progress).to_dict()
            job.state = "done"
        except RagkbError as error:
            job.error, job.state = str(error), "failed"
        except Exception as error:  # a bug: keep the worker alive for the next job
            log.exception("ingestion job %s failed", job.id)
            job.error, job.state = f"internal error ({type(error).__name__}); the server log has the details", "failed"
        finally:
            job.current = None
