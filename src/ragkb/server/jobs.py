"""Background ingestion: one worker thread runs jobs one after another, reporting progress.

Jobs are rows of the catalog (``ingest_job``), so ``GET /api/jobs/<id>`` answers after a restart
too; the last :data:`KEEP_FINISHED` finished ones are kept. While a job runs, its progress is read
from memory and written to the catalog at most every :data:`PROGRESS_EVERY_S` (a job over
thousands of small files would otherwise write a row per file). One worker is enough: SQLite has
one writer at a time and embedding already uses every core.

One server per ragkb home: a starting server marks every unfinished job as interrupted.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import delete, select, update
from sqlalchemy.exc import SQLAlchemyError

from ragkb.catalog.schema import IngestJobRow
from ragkb.config import Settings
from ragkb.errors import RagkbError
from ragkb.index.stores import open_store
from ragkb.kb import KnowledgeBase
from ragkb.models import Job

log = logging.getLogger("ragkb.server")

KEEP_FINISHED = 500
PROGRESS_EVERY_S = 0.5
INTERRUPTED = "interrupted by a server restart; upload again"
UNFINISHED = ("queued", "running")


@dataclass
class _Work:
    job: Job
    paths: list[Path]
    force: bool


class JobManager:
    def __init__(self, settings: Settings, *, keep: int = KEEP_FINISHED, on_done: Callable[[Job, float], None] | None = None):
        """``keep``: how many finished jobs the catalog keeps; ``on_done`` is called with each job
        that finished indexing and its seconds (the server's metrics)."""
        self.settings = settings
        self.keep = keep
        self.on_done = on_done
        self.catalog = open_store(settings).catalog
        self._live: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._queue: queue.Queue[_Work | None] = queue.Queue()
        self._stopping = threading.Event()
        self._fail_interrupted()
        self._worker = threading.Thread(target=self._work, name="ragkb-ingest", daemon=True)
        self._worker.start()

    def _fail_interrupted(self) -> None:
        """Mark the jobs a previous server left queued or running as failed.

        Not re-queued: a job that took the server down (a file that exhausts memory) would take
        it down again at every start, and a user who stopped the server to stop a long ingest
        would see it resume unasked. Uploading again costs little: files that finished indexing
        are unchanged and skipped.
        """
        with self.catalog.session() as session:
            session.execute(
                update(IngestJobRow)
                .where(IngestJobRow.state.in_(UNFINISHED))
                .values(state="failed", error=INTERRUPTED, current=None)
            )

    def submit(self, kb: str, paths: list[Path], *, force: bool = False) -> Job:
        job = Job(id=uuid.uuid4().hex, kb=kb, total=len(paths))
        with self.catalog.session() as session:
            session.add(IngestJobRow(id=job.id, kb=kb, state=job.state, done=0, total=job.total))
        with self._lock:
            self._live[job.id] = job
        self._queue.put(_Work(job, paths, force))
        return job

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            live = self._live.get(job_id)
        if live is not None:
            return live
        if not re.fullmatch(r"[0-9a-f]{32}", job_id):  # not one of ours; keeps odd text away from SQL
            return None
        with self.catalog.session() as session:
            row = session.get(IngestJobRow, job_id)
            if row is None:
                return None
            return Job(
                id=row.id,
                kb=row.kb,
                state=row.state,
                done=row.done,
                total=row.total,
                current=row.current,
                report=row.report,
                error=row.error,
            )

    def stop(self, timeout: float = 30) -> None:
        """Finish the job in progress (queued ones are dropped: the next start marks them
        interrupted), then end the worker."""
        self._stopping.set()
        self._queue.put(None)
        self._worker.join(timeout)

    def _work(self) -> None:
        while (work := self._queue.get()) is not None and not self._stopping.is_set():
            self._run(work)

    def _run(self, work: _Work) -> None:
        job = work.job
        job.state = "running"
        self._save(job)
        last_saved = time.monotonic()

        def progress(done: int, total: int, path: str) -> None:
            nonlocal last_saved
            job.done, job.total, job.current = done, total, Path(path).name
            if time.monotonic() - last_saved >= PROGRESS_EVERY_S:
                self._save(job)
                last_saved = time.monotonic()

        started = time.perf_counter()
        try:
            kb = KnowledgeBase.open(job.kb, settings=self.settings)
            job.report = kb.add(work.paths, force=work.force, progress=progress)
            job.state = "done"
            if self.on_done is not None:
                self.on_done(job, time.perf_counter() - started)
        except RagkbError as error:
            job.error, job.state = str(error), "failed"
        except Exception as error:  # a bug: keep the worker alive for the next job
            log.exception("ingestion job %s failed", job.id)
            job.error, job.state = f"internal error ({type(error).__name__}); the server log has the details", "failed"
        finally:
            job.current = None
        if self._save(job, trim=True):
            with self._lock:
                del self._live[job.id]

    def _save(self, job: Job, *, trim: bool = False) -> bool:
        """Write the job's row (and, with ``trim``, drop the oldest finished jobs beyond
        ``keep``); a catalog error is logged, not raised: the job goes on, its row catches up."""
        values = job.model_dump(mode="json", exclude={"id", "kb"})
        try:
            with self.catalog.session() as session:
                session.execute(update(IngestJobRow).where(IngestJobRow.id == job.id).values(**values))
                if trim:
                    old = (
                        select(IngestJobRow.id)
                        .where(IngestJobRow.state.not_in(UNFINISHED))
                        .order_by(IngestJobRow.created_at.desc(), IngestJobRow.id)
                        .offset(self.keep)
                    )
                    session.execute(delete(IngestJobRow).where(IngestJobRow.id.in_(old)))
        except SQLAlchemyError:
            log.exception("could not record the progress of ingestion job %s", job.id)
            return False
        return True
