"""SIGTERM stops `python -m conformance serve` promptly even with live readers."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import httpx

from conformance.servers import free_port, wait_until_answering

EXIT_BOUND_S = 2.0


def test_sigterm_with_sse_and_long_poll_clients_exits_within_two_seconds() -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance", "serve", "--port", str(port), "--long-poll-timeout", "30"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_until_answering(url, process, 20)
        tail = httpx.put(f"{url}/live", headers={"content-type": "text/plain"}).headers["stream-next-offset"]
        connected = threading.Barrier(3, timeout=10)

        def hold_sse() -> None:
            try:
                with httpx.stream("GET", f"{url}/live", params={"offset": tail, "live": "sse"}, timeout=10) as r:
                    connected.wait()
                    for _ in r.iter_raw():
                        pass
            except httpx.HTTPError:
                pass

        def hold_long_poll() -> None:
            connected.wait()
            try:
                httpx.get(f"{url}/live", params={"offset": tail, "live": "long-poll"}, timeout=10)
            except httpx.HTTPError:
                pass

        clients = [threading.Thread(target=hold_sse, daemon=True), threading.Thread(target=hold_long_poll, daemon=True)]
        for client in clients:
            client.start()
        connected.wait()
        time.sleep(0.3)  # let the long-poll reach the server and start waiting
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)
        elapsed = time.monotonic() - started
        assert elapsed < EXIT_BOUND_S, f"took {elapsed:.2f}s to exit"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
