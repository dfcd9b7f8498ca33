"""Offset tokens: `0000000000000000_<16-digit position>`.

The position is a byte count into the stream's logical content, so tokens sort
lexicographically in stream order. The fixed first part keeps the shape of the upstream
server's tokens (the upstream suite forks at `0000000000000000_0000000000000000`).
"""

from __future__ import annotations

import re

_PREFIX = "0000000000000000"
_TOKEN = re.compile(r"^0{16}_(\d{16})$")

STREAM_START = "-1"
TAIL = "now"


def format_offset(position: int) -> str:
    return f"{_PREFIX}_{position:016d}"


def parse_offset(token: str) -> int | None:
    """The position a server-minted token names, or None if the token is malformed."""
    match = _TOKEN.match(token)
    return int(match.group(1)) if match else None


def looks_like_offset(token: str) -> bool:
    """Well-formed in shape (any 16 digits before the underscore), even if not ours."""
    return re.fullmatch(r"\d{16}_\d{16}", token) is not None
