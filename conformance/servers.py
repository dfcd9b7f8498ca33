"""Start and stop real servers on loopback: the reference server, the upstream Node
server and rakaia-streams. Used by the upstream harness, compatibility runs, benchmarks
and load runs, so each of them launches servers the same way.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

PROJECT_ROOT = Path(__file__).resolve().parent.parent
UPSTREAM_DIR = PROJECT_ROOT / "tests" / "upstream"
LOOPBACK = "127.0.0.1"


class ServerStartError(RuntimeError):
    """A server process exited or never answered on its port."""


@dataclass(frozen=True)
class RunningServer:
    name: str
    url: str  # base URL, no trailing slash
    process: subprocess.Popen[bytes]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def reference_command(port: int, long_poll_timeout: float) -> list[str]:
    return [
        sys.executable, "-m", "conformance", "serve",
        "--host", LOOPBACK, "--port", str(port),
        "--long-poll-timeout", str(long_poll_timeout),
    ]


def node_command(port: int, long_poll_timeout: float) -> list[str]:
    node = shutil.which("node")
    if node is None:
        raise ServerStartError("node is not on PATH")
    script = UPSTREAM_DIR / "node_server.mjs"
    if not (UPSTREAM_DIR / "node_modules" / "@durable-streams" / "server").is_dir():
        raise ServerStartError(f"upstream Node server not installed: run `npm ci` in {UPSTREAM_DIR}")
    return [node, str(script), str(port), str(int(long_poll_timeout * 1000))]


def rakaia_command(port: int, python: str | None = None) -> list[str]:
    # rakaia-streams lives in its own scratch venv (see `make compat`); its python is passed in.
    return [python or sys.executable, "-m", "rakaia", "--host", LOOPBACK, "--port", str(port)]


def wait_until_answering(url: str, process: subprocess.Popen[bytes], deadline_s: float) -> None:
    """Poll until the server answers any HTTP request (a 404 counts) or the deadline passes."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerStartError(f"server exited with code {process.returncode} before answering")
        try:
            httpx.head(f"{url}/__dscheck_probe__", timeout=0.5)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise ServerStartError(f"server at {url} did not answer within {deadline_s:.0f}s")


@contextlib.contextmanager
def launched(name: str, command: list[str], port: int, *, startup_timeout: float = 20.0,
             env: dict[str, str] | None = None, quiet: bool = True) -> Iterator[RunningServer]:
    """Run `command` (which must listen on `port`), yield it once it answers, always stop it."""
    url = f"http://{LOOPBACK}:{port}"
    output = subprocess.DEVNULL if quiet else None
    process = subprocess.Popen(
        command, stdout=output, stderr=output, env={**os.environ, **(env or {})},
        start_new_session=True,
    )
    try:
        wait_until_answering(url, process, startup_timeout)
        yield RunningServer(name=name, url=url, process=process)
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes], grace_s: float = 5.0) -> None:
    if process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def launch_known(name: str, *, long_poll_timeout: float = 0.5, rakaia_python: str | None = None,
                 quiet: bool = True) -> contextlib.AbstractContextManager[RunningServer]:
    """Launch one of the known servers by name: reference, node or rakaia."""
    port = free_port()
    if name == "reference":
        command = reference_command(port, long_poll_timeout)
    elif name == "node":
        command = node_command(port, long_poll_timeout)
    elif name == "rakaia":
        command = rakaia_command(port, rakaia_python)
    else:
        raise ValueError(f"unknown server {name!r}: expected reference, node or rakaia")
    return launched(name, command, port, quiet=quiet)


RAKAIA_VERSION = "0.9.0"
SCRATCH_DIR = PROJECT_ROOT / ".scratch"


def ensure_rakaia_python() -> str:
    """Install rakaia-streams (and uvicorn beside it) into a scratch venv once; return its python.

    Kept out of the project's own venv: it is a server under test, not a dependency.
    """
    venv = SCRATCH_DIR / f"rakaia-{RAKAIA_VERSION}"
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    if not stamp.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet",
             f"rakaia-streams=={RAKAIA_VERSION}", "uvicorn"],
            check=True,
        )
        stamp.touch()
    return str(python)
