"""Serve one broken variant in its own process: `python serve_broken.py CLASS PORT`.

A separate process keeps the server off the test's GIL, which roughly halves the time of
every explorer request (and so of shrinking).
"""

from __future__ import annotations

import sys
from pathlib import Path

import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent))
import broken_servers  # noqa: E402  (needs the path above)


def main() -> None:
    name, port = sys.argv[1], int(sys.argv[2])
    app = getattr(broken_servers, name)()
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="error", access_log=False, lifespan="off")


if __name__ == "__main__":
    main()
