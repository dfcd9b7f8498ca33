"""`dscheck serve`: run the in-memory reference server."""

from __future__ import annotations

import argparse

from reference_impl.app import DEFAULT_LONG_POLL_TIMEOUT_S, DEFAULT_MAX_BODY, create_app
from reference_impl.serving import make_server


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("serve", help="run the in-memory reference server",
                                   description="Run the in-memory Durable Streams reference server.")
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=4437, help="port to bind (default 4437)")
    parser.add_argument("--long-poll-timeout", type=_positive_float, default=DEFAULT_LONG_POLL_TIMEOUT_S,
                        metavar="SECONDS", help=f"how long a long-poll waits (default {DEFAULT_LONG_POLL_TIMEOUT_S:g})")
    parser.add_argument("--max-body", type=_positive_int, default=DEFAULT_MAX_BODY, metavar="BYTES",
                        help=f"largest request body accepted, else 413 (default {DEFAULT_MAX_BODY})")
    parser.set_defaults(func=serve)


def serve(args: argparse.Namespace) -> int:
    app = create_app(long_poll_timeout=args.long_poll_timeout, max_body=args.max_body)
    print(f"reference server on http://{args.host}:{args.port}", flush=True)
    make_server(app, args.host, args.port).run()
    return 0


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be > 0")
    return value
