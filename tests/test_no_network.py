"""ragkb opens no network connection the user did not configure (issue 13, item 16).

The real ``ragkb`` executable runs under ``strace -f``, which records every ``connect``/``send*`` of the
process and all its threads: kb create, add (the samples folder and a PDF, which loads onnxruntime through
pymupdf), search, ask (with the embedded llama.cpp model), and ``ragkb serve`` answering requests for longer
than onnxruntime's telemetry thread waits (about 8 s after import) before it looks up its host. The default
settings configure nothing outside this machine, so any host-name lookup or any connection to an address
outside loopback is a failure.
"""

from __future__ import annotations

import codecs
import ipaddress
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pymupdf
import pytest
from llm_servers import chat_server
from scans import PAGES, page_images
from server_live import free_port

SAMPLES = Path(__file__).resolve().parent.parent / "samples"
TRACE = [
    "strace",
    "-f",
    "-qq",
    "-x",
    "-s",
    "256",
    "--seccomp-bpf",
    "-e",
    "trace=connect,sendto,sendmsg,sendmmsg",
    "-e",
    "signal=none",
]
"""-x prints binary buffers as \\xNN (decoded below); --seccomp-bpf stops the tracee only on the traced calls."""
SERVE_AFTER_PDF_S = 12
"""How long the server keeps answering after it has read a PDF: onnxruntime's telemetry looks its host up ~8 s after import."""
WAIT_S = 300
"""Bound on waiting for the server or a job (two shared CPU cores, under strace); never asserted."""

NSCD_SOCKETS = {"/var/run/nscd/socket", "/run/nscd/socket"}
NSCD_HOST_REQUESTS = {4, 5, 6, 7, 13, 14}
"""glibc's nscd request types for hosts: GETHOSTBYNAME(v6), GETHOSTBYADDR(v6), GETFDHST, GETAI.
nscd also answers user and group lookups (getpwuid at import time goes there), which are fine."""
OFFLINE_SWITCHES = {"ORT_DISABLE_TELEMETRY", "HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_HUB_DISABLE_TELEMETRY"}
"""What ragkb/__init__.py sets to "1" unless the user set it."""
RESOLVED_SOCKET = "/run/systemd/resolve/io.systemd.Resolve"
"""systemd-resolved's varlink socket: glibc's nss-resolve connects to it only to look a host up."""

_CALL = re.compile(r"^(?P<pid>\d+) +(?P<call>connect|sendto|sendmsg|sendmmsg)\((?P<fd>\d+), (?P<args>.*)$")
_INET = re.compile(r'sa_family=AF_INET, sin_port=htons\((?P<port>\d+)\), sin_addr=inet_addr\("(?P<address>[^"]+)"\)')
_INET6 = re.compile(r'sa_family=AF_INET6, sin6_port=htons\((?P<port>\d+)\),.*?inet_pton\(AF_INET6, "(?P<address>[^"]+)"')
_UNIX = re.compile(r'sa_family=AF_UNIX, sun_path=(?:@)?"(?P<path>[^"]*)"')
_BUFFER = re.compile(r'^"(?P<data>(?:[^"\\]|\\.)*)"')


def _is_loopback(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def _nscd_request_type(args: str) -> int | None:
    """The type of an nscd request buffer: int32 version (2), int32 type, int32 key length, key."""
    match = _BUFFER.match(args)
    if match is None:
        return None
    data = codecs.escape_decode(match["data"].encode("ascii"))[0]
    if len(data) < 12 or int.from_bytes(data[:4], "little") != 2:
        return None
    return int.from_bytes(data[4:8], "little")


def network_uses(trace: str) -> list[str]:
    """The lines of an ``strace -f -x`` log that look a host name up or reach beyond this machine."""
    found = []
    unix_peers: dict[tuple[str, str], str] = {}
    for line in trace.splitlines():
        call = _CALL.match(line)
        if call is None:
            continue
        args = call["args"]
        for pattern in (_INET, _INET6):
            for address in pattern.finditer(args):
                if address["port"] == "53" or not _is_loopback(address["address"]):
                    found.append(line)
        unix = _UNIX.search(args)
        if call["call"] == "connect" and unix:
            unix_peers[call["pid"], call["fd"]] = unix["path"]
            if unix["path"] == RESOLVED_SOCKET:
                found.append(line)
        elif unix_peers.get((call["pid"], call["fd"])) in NSCD_SOCKETS and _nscd_request_type(args) in NSCD_HOST_REQUESTS:
            found.append(line)
    return list(dict.fromkeys(found))


def test_network_uses_flags_lookups_and_remote_addresses_only() -> None:
    allowed = [
        '7 connect(3, {sa_family=AF_INET, sin_port=htons(8000), sin_addr=inet_addr("127.0.0.1")}, 16) = 0',
        (
            '7 connect(3, {sa_family=AF_INET6, sin6_port=htons(5432), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", '
            "&sin6_addr), sin6_scope_id=0}, 28) = 0"
        ),
        (
            "7 connect(4, {sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "
            '"::ffff:127.0.0.1", &sin6_addr), sin6_scope_id=0}, 28) = 0'
        ),
        '7 connect(5, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = 0',
        '8 connect(11, {sa_family=AF_UNIX, sun_path="/var/run/nscd/socket"}, 110) = 0',
        # getpwuid through nscd: GETPWBYUID (1), key "0"
        '7 sendto(5, "\\x02\\x00\\x00\\x00\\x01\\x00\\x00\\x00\\x02\\x00\\x00\\x00\\x30\\x00", 14, MSG_NOSIGNAL, NULL, 0) = 14',
        "7 sendto(6, [{nlmsg_len=20, nlmsg_type=RTM_GETADDR}], 20, 0, {sa_family=AF_NETLINK, nl_pid=0, nl_groups=00000000}, 12) = 20",
    ]
    flagged = [
        '8 connect(9, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("10.255.255.53")}, 16 <unfinished ...>',
        '8 connect(9, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("127.0.0.53")}, 16) = 0',
        '8 connect(9, {sa_family=AF_INET, sin_port=htons(443), sin_addr=inet_addr("13.69.109.130")}, 16) = -1 EINPROGRESS',
        (
            "8 connect(9, {sa_family=AF_INET6, sin6_port=htons(443), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "
            '"2603:1030::1", &sin6_addr), sin6_scope_id=0}, 28) = -1 ENETUNREACH (Network is unreachable)'
        ),
        '8 sendto(9, "\\x5f\\x37\\x01\\x00", 4, 0, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("8.8.8.8")}, 16) = 4',
        '8 connect(10, {sa_family=AF_UNIX, sun_path="/run/systemd/resolve/io.systemd.Resolve"}, 42) = 0',
        # getaddrinfo through nscd (connected in `allowed`): GETAI (14), key "huggingface.co"
        (
            '8 sendto(11, "\\x02\\x00\\x00\\x00\\x0e\\x00\\x00\\x00\\x0f\\x00\\x00\\x00huggingface.co\\x00", 27, '
            "MSG_NOSIGNAL, NULL, 0) = 27"
        ),
    ]
    assert network_uses("\n".join(allowed)) == []
    assert network_uses("\n".join(allowed + flagged)) == flagged


# --- the real processes -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def strace() -> str:
    path = shutil.which("strace")
    if path is None:
        pytest.skip("strace is not installed (apt-get install -y strace; .ci/run installs it): it watches ragkb's connections")
    probe = subprocess.run([path, *TRACE[1:], "-o", os.devnull, "true"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"strace cannot trace here: {probe.stderr.strip()[:200]}")
    return path


@pytest.fixture
def env(cli_env: dict[str, str]) -> dict[str, str]:
    """The CLI environment without the offline switches this test process's own ``import ragkb`` put there, so
    each ragkb process has to set them itself. Another value stays: ORT_DISABLE_TELEMETRY=0 makes this test fail."""
    return {name: value for name, value in cli_env.items() if not (name in OFFLINE_SWITCHES and value == "1")}


def traced(log: Path, *command: str) -> list[str]:
    return [*TRACE, "-o", str(log), "--", *command]


def make_pdf(path: Path) -> Path:
    document = pymupdf.open()
    document.new_page().insert_text((72, 80), "The badge office opens at nine and closes at five.", fontsize=11)
    document.save(path)
    return path


def run_traced(log: Path, env: dict[str, str], *args: str, succeed: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(traced(log, "ragkb", *args), env=env, capture_output=True, text=True, timeout=WAIT_S, check=False)
    assert (result.returncode == 0) == succeed, f"ragkb {' '.join(args)} exited {result.returncode}: {result.stderr}"
    return result


@contextmanager
def traced_server(log: Path, env: dict[str, str]) -> Iterator[httpx.Client]:
    """``ragkb serve`` under strace, stopped (and its trace log complete) when the block ends."""
    port = free_port()
    process = subprocess.Popen(
        traced(log, "ragkb", "serve", "--host", "127.0.0.1", "--port", str(port)),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=120) as client:
            deadline = time.monotonic() + WAIT_S
            while not _answers(client):
                assert process.poll() is None, f"ragkb serve exited: {process.communicate()[1]}"
                assert time.monotonic() < deadline, "ragkb serve did not answer /api/health"
                time.sleep(0.2)
            yield client
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # ragkb serve stops; strace writes the rest of the log and exits
        process.communicate(timeout=60)


def _answers(client: httpx.Client) -> bool:
    try:
        return client.get("/api/health").status_code == 200
    except httpx.TransportError:
        return False


def wait_for_job(client: httpx.Client, job_id: str) -> dict:
    deadline = time.monotonic() + WAIT_S
    while (job := client.get(f"/api/jobs/{job_id}").json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"job still {job['state']}: {job}"
        time.sleep(0.2)
    return job


def serve_for_a_while(client: httpx.Client, pdf: Path) -> None:
    """Upload a PDF (the server loads pymupdf and onnxruntime), then search, ask (also through the configured
    Ollama) and chat for SERVE_AFTER_PDF_S."""
    assert client.post("/api/kbs", json={"name": "web"}).status_code == 201
    accepted = client.post("/api/kbs/web/files", files=[("files", (pdf.name, pdf.read_bytes(), "application/pdf"))])
    assert accepted.status_code == 202, accepted.text
    assert wait_for_job(client, accepted.json()["job_id"])["state"] == "done"
    question = "When does the badge office open?"
    until = time.monotonic() + SERVE_AFTER_PDF_S
    while time.monotonic() < until:
        assert client.post("/api/kbs/web/search", json={"query": "badge office"}).json()["hits"]
        for generator in ("extractive", "ollama:tiny"):
            answer = client.post("/api/kbs/web/ask", json={"question": question, "generator": generator})
            assert "nine" in answer.json()["answer"], answer.text
        chat = client.post("/v1/chat/completions", json={"model": "kb:web", "messages": [{"role": "user", "content": question}]})
        assert chat.status_code == 200, chat.text
        assert [kb["name"] for kb in client.get("/api/kbs").json()] == ["demo", "web"]
        time.sleep(1)


def test_cli_and_server_open_no_connection_they_were_not_told_to(strace: str, env: dict[str, str], tmp_path: Path) -> None:
    pdf = make_pdf(tmp_path / "badge.pdf")
    scan = tmp_path / "scan.png"  # read by OCR: rapidocr and its onnxruntime load too
    page_images([PAGES["en"]])[0].save(scan)
    logs = {name: tmp_path / f"{name}.trace" for name in ("create", "add", "search", "ask", "serve")}
    run_traced(logs["create"], env, "kb", "create", "demo")
    run_traced(logs["add"], env, "add", str(SAMPLES), str(pdf), str(scan), "--kb", "demo")
    assert "scan.png" in run_traced(logs["search"], env, "search", "reset button", "--kb", "demo").stdout
    assert "badge.pdf" in run_traced(logs["search"], env, "search", "badge office", "--kb", "demo").stdout
    asked = run_traced(logs["ask"], env, "ask", "When does the badge office open?", "--kb", "demo", "-g", "llamacpp:smollm2")
    assert "badge.pdf" in asked.stdout  # the embedded LLM's answer ends with its sources
    with chat_server("The badge office opens at nine [1].") as (ollama, ollama_requests):  # the Ollama the user configured
        serve_env = {**env, "RAGKB_OLLAMA_URL": ollama}
        with traced_server(logs["serve"], serve_env) as client:
            serve_for_a_while(client, pdf)

    traces = {name: log.read_text() for name, log in logs.items()}
    ollama_port = ollama.rsplit(":", 1)[1]
    assert ollama_requests and f"htons({ollama_port})" in traces["serve"], (
        "the trace misses the server's connections to the Ollama it was given: strace did not follow its threads"
    )
    uses = [f"ragkb {name}: {line}" for name, trace in traces.items() for line in network_uses(trace)]
    assert not uses, "ragkb looked a host up or reached beyond this machine:\n" + "\n".join(uses)


def test_a_hub_model_id_is_not_looked_up_unless_the_user_allows_it(strace: str, env: dict[str, str], tmp_path: Path) -> None:
    """Offline by default: a hub id that is not in the Hugging Face cache fails with what to do, asking no one."""
    log = tmp_path / "add.trace"
    run_traced(tmp_path / "create.trace", env, "kb", "create", "hub", "--embedder", "sentence-transformers:ragkb-test/absent")
    failed = run_traced(log, env, "add", str(SAMPLES / "en" / "onboarding.md"), "--kb", "hub", succeed=False)
    assert "HF_HUB_OFFLINE=0" in failed.stderr and "Traceback" not in failed.stderr
    assert network_uses(log.read_text()) == []
