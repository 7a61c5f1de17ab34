"""Running a real ``ragkb serve`` in a subprocess on a free port, and stand-ins for the outside
services it talks to on loopback, for the end-to-end tests."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

SERVER_START_TIMEOUT_S = 180


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ragkb_executable() -> str:
    found = shutil.which("ragkb", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]))
    if found is None:
        pytest.fail("the ragkb command is not installed; run: pip install -e '.[test]'")
    return found


def wait_until_up(process: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"ragkb serve exited with code {process.returncode}:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            if httpx.get(url + "/api/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(
        f"ragkb serve did not answer /api/health within {SERVER_START_TIMEOUT_S} s:\n{log.read_text(errors='replace')[-3000:]}"
    )


class Server:
    """A running ``ragkb serve``: its URL, its home, HTTP requests to it and its CLI."""

    def __init__(self, url: str, home: Path):
        self.url = url
        self.home = home
        self.env = {**os.environ, "RAGKB_HOME": str(home)}

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        return httpx.request(method, self.url + path, timeout=60, **kwargs)

    def ragkb(self, *args: str) -> str:
        """Run the ragkb CLI on this server's home; returns its output."""
        command = [ragkb_executable(), *args]
        return subprocess.run(command, env=self.env, capture_output=True, text=True, check=True).stdout


@contextmanager
def local_http(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """A stand-in for an outside service: ``handler`` on a free loopback port; yields its URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def running_server(home: Path, **environment: str) -> Iterator[str]:
    """``ragkb serve`` on a free loopback port with ``RAGKB_HOME=home`` (and ``environment``);
    yields its URL once /api/health answers, and stops it afterwards."""
    log = home.parent / f"{home.name}-server.log"
    port = free_port()
    env = {**os.environ, "RAGKB_HOME": str(home), "RAGKB_GENERATOR": "extractive", **environment}
    command = [ragkb_executable(), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(process, url, log)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
