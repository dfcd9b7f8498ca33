"""The `dscheck` command: one entry point, one module per subcommand.

Each subcommand module exposes ``register(subparsers)``, which adds its parser and
sets ``func`` (a callable taking the parsed args and returning an exit code).
Modules are imported lazily-by-name so a missing optional piece names itself.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from conformance import __version__

# (subcommand module, in the order `dscheck --help` lists them)
SUBCOMMAND_MODULES: list[str] = [
    "reference_impl.cli",  # serve
    "conformance.run_command",  # run
    "conformance.matrix_command",  # matrix
    "conformance.coverage_command",  # coverage
    "loadtest.cli",  # load
    "conformance.explore.explore_command",  # explore
    "conformance.explore.fuzz_command",  # fuzz
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dscheck",
        description="Conformance and load testing for Durable Streams servers.",
    )
    parser.add_argument("--version", action="version", version=f"dscheck {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for module_name in SUBCOMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
