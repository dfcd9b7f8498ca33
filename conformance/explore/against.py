"""Run `dscheck explore` or `dscheck fuzz` against a known server launched for the occasion:

    python -m conformance.explore.against node explore --seed 1
    python -m conformance.explore.against rakaia fuzz --budget 500

The server (reference, node or rakaia) starts on a free loopback port and stops afterwards.
"""

from __future__ import annotations

import sys

from conformance.cli import main as dscheck
from conformance.servers import ensure_rakaia_python, launch_known


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[1] not in ("explore", "fuzz"):
        print(__doc__, file=sys.stderr)
        return 2
    server, command, rest = argv[0], argv[1], argv[2:]
    rakaia_python = ensure_rakaia_python() if server == "rakaia" else None
    with launch_known(server, rakaia_python=rakaia_python) as running:
        return dscheck([command, running.url, *rest])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
