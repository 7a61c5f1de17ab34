"""Load on a real ``ragkb serve``: concurrent search and ask clients over loopback HTTP.

Starts ``ragkb serve`` in its own process with a fresh home, uploads the bundled samples through
the API (one background job), then runs each scenario for a fixed time with a fixed number of
concurrent clients (asyncio tasks, each waiting for its answer before asking again). Reports
latency percentiles, throughput, errors and the server's resident memory (sampled every 0.2 s).
Clients and server share the machine's cores; the client side is one asyncio loop to keep its
share small. Writes bench/out/server_load.json and prints a Markdown table.

    nice -n 10 python bench/server_load.py --duration 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil
from common import ROOT, markdown_table, save

SAMPLES = ROOT / "samples"
QUESTIONS = ROOT / "datasets" / "samples-qa" / "qa.jsonl"
SCENARIOS = [("search", 1), ("search", 8), ("search", 32), ("ask", 1), ("ask", 8), ("ask-stream", 8)]
"""(kind, concurrent clients): bounded so a run takes about len(SCENARIOS) × duration."""


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    first_token: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def fail(self, reason: str) -> None:
        self.errors[reason] = self.errors.get(reason, 0) + 1


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(home: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "RAGKB_HOME": str(home), "RAGKB_GENERATOR": "extractive"}
    port = free_port()
    log = (home / "serve.log").open("w")
    process = subprocess.Popen(["ragkb", "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while True:
        try:
            httpx.get(f"{url}/api/health", timeout=5).raise_for_status()
            return process, url
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"ragkb serve did not start: {server_log(home)}") from None
            time.sleep(0.2)


def server_log(home: Path) -> str:
    return (home / "serve.log").read_text(errors="replace")[-3000:]


def load_samples(client: httpx.Client, embedder: str) -> dict:
    """Create the KB and upload every sample file through the API; wait for the job."""
    client.post("/api/kbs", json={"name": "bench", "settings": {"embedder": embedder}}).raise_for_status()
    paths = sorted(p for p in SAMPLES.rglob("*") if p.is_file() and p.suffix != ".py")
    started = time.perf_counter()
    files = [("files", (p.name, p.read_bytes())) for p in paths]
    job_id = client.post("/api/kbs/bench/files", files=files).raise_for_status().json()["job_id"]
    while (job := client.get(f"/api/jobs/{job_id}").json())["state"] in ("queued", "running"):
        time.sleep(0.2)
    if job["state"] != "done":
        raise SystemExit(f"ingestion failed: {job['error']}")
    return {"files": len(paths), "chunks": job["report"]["chunks"], "seconds": round(time.perf_counter() - started, 2)}


async def one_request(client: httpx.AsyncClient, kind: str, question: str, outcome: Outcome) -> None:
    started, first_token = time.perf_counter(), None
    try:
        if kind == "search":
            response = await client.post("/api/kbs/bench/search", json={"query": question, "k": 5})
            ok = response.status_code == 200 and "hits" in response.json()
        elif kind == "ask":
            response = await client.post("/api/kbs/bench/ask", json={"question": question})
            ok = response.status_code == 200 and "answer" in response.json()
        else:
            async with client.stream("POST", "/api/kbs/bench/ask", json={"question": question, "stream": True}) as response:
                ok, last = response.status_code == 200, ""
                async for line in response.aiter_lines():
                    if line == "event: token" and first_token is None:
                        first_token = time.perf_counter() - started
                    if line.startswith("event: "):
                        last = line
                ok = ok and last == "event: answer"
    except httpx.HTTPError as error:
        outcome.fail(type(error).__name__)
        return
    if ok:
        outcome.latencies.append(time.perf_counter() - started)
        if first_token is not None:
            outcome.first_token.append(first_token)
    else:
        outcome.fail(f"HTTP {response.status_code}" if response.status_code != 200 else "bad body")


async def run_scenario(url: str, kind: str, clients: int, duration: float, questions: list[str]) -> tuple[Outcome, float]:
    outcome = Outcome()
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        started = time.perf_counter()
        deadline = started + duration

        async def worker(offset: int) -> None:
            turn = offset
            while time.perf_counter() < deadline:
                await one_request(client, kind, questions[turn % len(questions)], outcome)
                turn += clients

        await asyncio.gather(*(worker(i) for i in range(clients)))
        return outcome, time.perf_counter() - started


def percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def sample_rss(pid: int, stop: threading.Event, peaks: list[float]) -> None:
    process = psutil.Process(pid)
    while not stop.wait(0.2):
        peaks.append(process.memory_info().rss / 2**20)


def summarize(kind: str, clients: int, outcome: Outcome, seconds: float, rss: list[float]) -> dict:
    ms = [value * 1000 for value in outcome.latencies]
    row = {
        "scenario": kind,
        "clients": clients,
        "requests": len(ms),
        "errors": sum(outcome.errors.values()),
        "error_kinds": outcome.errors,
        "throughput_per_s": round(len(ms) / seconds, 1),
        "p50_ms": round(statistics.median(ms), 1) if ms else None,
        "p95_ms": round(percentile(ms, 0.95), 1) if ms else None,
        "p99_ms": round(percentile(ms, 0.99), 1) if ms else None,
        "server_rss_mb_peak": round(max(rss), 1) if rss else None,
    }
    if outcome.first_token:
        row["first_token_p50_ms"] = round(statistics.median(outcome.first_token) * 1000, 1)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20, help="seconds per scenario")
    parser.add_argument(
        "--embedder", default="sentence-transformers:all-MiniLM-L6-v2", help="the KB's embedder ('none': BM25 only)"
    )
    parser.add_argument("--scenarios", default=",".join(f"{kind}:{n}" for kind, n in SCENARIOS), help="kind:clients,...")
    args = parser.parse_args()
    scenarios = [(kind, int(n)) for kind, n in (item.split(":") for item in args.scenarios.split(","))]
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]

    with tempfile.TemporaryDirectory(prefix="ragkb-serve-bench-") as home:
        process, url = start_server(Path(home))
        rows: list[dict] = []
        try:
            with httpx.Client(base_url=url, timeout=600) as client:
                ingest = load_samples(client, args.embedder)
                for question in questions:  # warm-up: load models, fill caches
                    client.post("/api/kbs/bench/ask", json={"question": question}).raise_for_status()
            idle_rss = psutil.Process(process.pid).memory_info().rss / 2**20
            for kind, clients in scenarios:
                stop, rss = threading.Event(), []
                sampler = threading.Thread(target=sample_rss, args=(process.pid, stop, rss), daemon=True)
                sampler.start()
                outcome, seconds = asyncio.run(run_scenario(url, kind, clients, args.duration, questions))
                stop.set()
                sampler.join()
                rows.append(summarize(kind, clients, outcome, seconds, rss))
                print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
        finally:
            process.terminate()
            process.wait(30)
            if any(row["errors"] for row in rows):
                print("server log (tail):\n" + server_log(Path(home)))

    payload = {
        "embedder": args.embedder,
        "generator": "extractive",
        "duration_s": args.duration,
        "questions": len(questions),
        "ingest": ingest,
        "server_rss_mb_after_warmup": round(idle_rss, 1),
        "scenarios": rows,
    }
    path = save("server_load", payload)
    headers = [
        "scenario",
        "clients",
        "requests",
        "errors",
        "req/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "first token p50 ms",
        "server RSS MB",
    ]
    table = [
        [r["scenario"], r["clients"], r["requests"], r["errors"], r["throughput_per_s"], r["p50_ms"], r["p95_ms"], r["p99_ms"],
         r.get("first_token_p50_ms"), r["server_rss_mb_peak"]]
        for r in rows
    ]  # fmt: skip
    print(markdown_table(headers, table))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
