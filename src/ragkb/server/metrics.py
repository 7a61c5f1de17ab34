"""Prometheus metrics of the HTTP server: ``ragkb serve --metrics`` serves them at ``GET /metrics``.

One :class:`Metrics` per app, in its own registry (two apps in one process count apart). Requests
are counted by an ASGI middleware under their route's template (``/api/kbs/{kb}/ask``), so a label
never holds a KB or file name; answers by :meth:`Metrics.answers`, which watches an answer's events
as they are made; ingestion jobs by :meth:`Metrics.ingested`. docs/operations.md lists the names.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterable, Iterator
from contextlib import contextmanager

from fastapi import APIRouter, Depends, Request, Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ragkb.answer.cache import LOOKUP_TIMING
from ragkb.answer.stream import AnswerEvent, FinalEvent, TokenEvent
from ragkb.extras import require
from ragkb.models import Answer, Job
from ragkb.server.auth import authenticate
from ragkb.server.deps import app_state

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)
TOKEN_BUCKETS = (0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2)
RATE_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500)


class Metrics:
    """The server's counters and histograms, in one registry."""

    def __init__(self) -> None:
        prometheus = require("prometheus_client", "ragkb serve --metrics")
        self.prometheus = prometheus
        self.registry = prometheus.CollectorRegistry()
        counter, histogram, gauge = prometheus.Counter, prometheus.Histogram, prometheus.Gauge
        registry = self.registry
        self.requests = counter("ragkb_http_requests", "HTTP requests answered", ["method", "route", "status"], registry=registry)
        self.errors = counter(
            "ragkb_http_errors",
            "HTTP requests answered with status 400 or more",
            ["method", "route", "status"],
            registry=registry,
        )
        self.request_seconds = histogram(
            "ragkb_http_request_duration_seconds",
            "seconds from a request to the end of its response (a streamed answer's last event)",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.search_seconds = histogram(
            "ragkb_search_duration_seconds",
            "seconds one retrieval took: a search request's, or the retrieval of an answer",
            ["source"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.answer_seconds = histogram(
            "ragkb_answer_duration_seconds",
            "seconds from a question to its final answer",
            ["generator", "cached"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.answer_errors = counter(
            "ragkb_answer_errors",
            "answers that failed (streamed ones too, whose status was 200)",
            ["generator"],
            registry=registry,
        )
        self.first_token_seconds = histogram(
            "ragkb_answer_time_to_first_token_seconds",
            "seconds from a question to the first piece a model generated (retrieval and prompt included)",
            ["generator"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.token_seconds = histogram(
            "ragkb_answer_time_per_output_token_seconds",
            "seconds between a model's output tokens after the first",
            ["generator"],
            buckets=TOKEN_BUCKETS,
            registry=registry,
        )
        self.tokens_per_second = histogram(
            "ragkb_answer_output_tokens_per_second",
            "output tokens of an answer divided by its generation's seconds (prompt processing included)",
            ["generator"],
            buckets=RATE_BUCKETS,
            registry=registry,
        )
        self.output_tokens = counter(
            "ragkb_answer_output_tokens", "tokens models generated (streamed pieces)", ["generator"], registry=registry
        )
        self.cache_hits = counter("ragkb_answer_cache_hits", "answers served from the answer cache", registry=registry)
        self.cache_misses = counter(
            "ragkb_answer_cache_misses", "answers the cache was asked for and did not have", registry=registry
        )
        self.ingest_files = counter("ragkb_ingest_files", "files indexed (added or updated) by ingestion jobs", registry=registry)
        self.ingest_chunks = counter("ragkb_ingest_chunks", "chunks written by ingestion jobs", registry=registry)
        self.ingest_seconds = counter("ragkb_ingest_seconds", "seconds ingestion jobs ran", registry=registry)
        self.ingest_files_rate = gauge(
            "ragkb_ingest_files_per_second", "files indexed per second by the last finished ingestion job", registry=registry
        )
        self.ingest_chunks_rate = gauge(
            "ragkb_ingest_chunks_per_second", "chunks written per second by the last finished ingestion job", registry=registry
        )

    def exposition(self) -> tuple[bytes, str]:
        """The metrics in the Prometheus text format, and its content type."""
        return self.prometheus.generate_latest(self.registry), self.prometheus.CONTENT_TYPE_LATEST

    @contextmanager
    def searching(self) -> Iterator[None]:
        """Time a search request."""
        started = time.perf_counter()
        yield
        self.search_seconds.labels("search").observe(time.perf_counter() - started)

    def answers(self, events: Iterable[AnswerEvent], generator: str) -> Generator[AnswerEvent, None, None]:
        """``events`` (as :meth:`Answerer.stream <ragkb.answer.answering.Answerer.stream>` makes them,
        before reconciling), observed as they pass: the time to the first token and between tokens,
        the answer's duration, its retrieval, the cache's hit or miss, and a failure."""
        started = time.perf_counter()
        stamps: list[float] = []
        try:
            for event in events:
                if isinstance(event, TokenEvent):
                    stamps.append(time.perf_counter())
                elif isinstance(event, FinalEvent):
                    self._answered(event.answer, generator, time.perf_counter() - started, [s - started for s in stamps])
                yield event
        except Exception:
            self.answer_errors.labels(generator).inc()
            raise

    def _answered(self, answer: Answer, generator: str, seconds: float, tokens: list[float]) -> None:
        """Record a final answer made in ``seconds``, whose model streamed a token at each of ``tokens``."""
        self.answer_seconds.labels(generator, str(answer.cached).lower()).observe(seconds)
        if answer.cached:
            self.cache_hits.inc()
        elif LOOKUP_TIMING in answer.timings:
            self.cache_misses.inc()
        if "retrieval" in answer.timings:
            self.search_seconds.labels("answer").observe(answer.timings["retrieval"])
        if not tokens:
            return
        self.output_tokens.labels(generator).inc(len(tokens))
        self.first_token_seconds.labels(generator).observe(tokens[0])
        if len(tokens) > 1:
            self.token_seconds.labels(generator).observe((tokens[-1] - tokens[0]) / (len(tokens) - 1))
        generation = answer.timings.get("generation") or tokens[-1]
        if generation > 0:
            self.tokens_per_second.labels(generator).observe(len(tokens) / generation)

    def ingested(self, job: Job, seconds: float) -> None:
        """Record a finished ingestion job that ran ``seconds``."""
        if job.report is None:
            return
        files, chunks = len(job.report.added) + len(job.report.updated), job.report.chunks
        self.ingest_files.inc(files)
        self.ingest_chunks.inc(chunks)
        self.ingest_seconds.inc(seconds)
        if seconds > 0:
            self.ingest_files_rate.set(files / seconds)
            self.ingest_chunks_rate.set(chunks / seconds)


def route_label(scope: Scope) -> str:
    """The template of the route that answered (never the path itself: it holds names)."""
    route = scope.get("route")
    if isinstance(route, Mount):
        return "static"
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class RequestMetrics:
    """ASGI middleware: counts each HTTP request by method, route and status, and times it to the
    end of its response body."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watched)
        finally:
            method, route = scope["method"], route_label(scope)
            self.metrics.requests.labels(method, route, str(status)).inc()
            if status >= 400:
                self.metrics.errors.labels(method, route, str(status)).inc()
            self.metrics.request_seconds.labels(method, route).observe(time.perf_counter() - started)


def metrics_of(request: Request) -> Metrics | None:
    """The app's metrics, ``None`` when it serves none."""
    return app_state(request).metrics


def metrics_router(metrics: Metrics) -> APIRouter:
    """``GET /metrics``, behind the same API keys as the rest of the API."""
    router = APIRouter(tags=["operations"])

    @router.get("/metrics", response_class=Response, dependencies=[Depends(authenticate)])
    def serve_metrics() -> Response:
        """Counters and histograms in the Prometheus text format (docs/operations.md)."""
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    return router
