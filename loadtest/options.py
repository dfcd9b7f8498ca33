"""Locust custom arguments shared by every profile, plus the hooks that wire the history
recorder to Locust's lifecycle. Importing this module registers them.

Each option also reads an environment variable (shown in `locust --help` and
docs/loadtest.md), so `dscheck load` and plain `locust -f` runs configure the same way.
"""

from __future__ import annotations

from typing import Any

from locust import events

from loadtest import recorder


@events.init_command_line_parser.add_listener
def _shared_arguments(parser: Any) -> None:
    group = parser.add_argument_group("dscheck (all profiles)")
    group.add_argument("--stream-prefix", type=str, env_var="DSCHECK_STREAM_PREFIX",
                       default="/v1/stream", help="path under which streams are created")
    group.add_argument("--payload-bytes", type=int, env_var="DSCHECK_PAYLOAD_BYTES", default=64,
                       help="padding per JSON message")
    group.add_argument("--history-dir", type=str, env_var=recorder.HISTORY_ENV, default="",
                       help="directory for per-process history files (empty: no recording)")


@events.init.add_listener
def _configure_recorder(environment: Any, **_: Any) -> None:
    options = environment.parsed_options
    recorder.configure(getattr(options, "history_dir", "") if options else "")


@events.test_stop.add_listener
def _flush_on_stop(**_: Any) -> None:
    recorder.recorder().flush()


@events.quitting.add_listener
def _close_on_quit(**_: Any) -> None:
    recorder.recorder().close()


def option(user_or_env: Any, name: str, default: Any = None) -> Any:
    """A parsed custom option (works for plain runs and library use without a parser)."""
    environment = getattr(user_or_env, "environment", user_or_env)
    parsed = getattr(environment, "parsed_options", None)
    return getattr(parsed, name, default) if parsed is not None else default


def int_list(text: str) -> list[int]:
    return [int(part) for part in str(text).replace(" ", "").split(",") if part]
