"""What `dscheck run` prints: a progress line while running, then a short summary."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from conformance.results import Outcome, RunReport, ScenarioResult

NON_TTY_PROGRESS_EVERY_S = 5.0
MAX_FAILURES_SHOWN = 25
SUMMARY_ORDER = [Outcome.PASS, Outcome.FAIL, Outcome.NON_STRICT, Outcome.ERROR, Outcome.EXPECTED_FAIL,
                 Outcome.UNEXPECTED_PASS, Outcome.UNSUPPORTED, Outcome.SKIPPED]


class Progress:
    """One updating line on a TTY; an occasional plain line otherwise; nothing when quiet."""

    def __init__(self, stream: TextIO = sys.stderr, quiet: bool = False) -> None:
        self.stream, self.quiet = stream, quiet
        self.tty = stream.isatty()
        self.counts: dict[Outcome, int] = {}
        self._last_print = time.monotonic()

    def __call__(self, result: ScenarioResult, done: int, total: int) -> None:
        if self.quiet:
            return
        self.counts[result.outcome] = self.counts.get(result.outcome, 0) + 1
        tally = " ".join(f"{o.value} {n}" for o, n in self.counts.items())
        if self.tty:
            line = f"[{done}/{total}] {tally}  {result.id}"[:110]
            self.stream.write("\r\x1b[2K" + line)
            self.stream.flush()
        elif time.monotonic() - self._last_print >= NON_TTY_PROGRESS_EVERY_S or done == total:
            self._last_print = time.monotonic()
            self.stream.write(f"progress: {done}/{total} ({tally})\n")
            self.stream.flush()

    def finish(self) -> None:
        if self.tty and not self.quiet:
            self.stream.write("\r\x1b[2K")
            self.stream.flush()


def format_summary(report: RunReport, strict: bool) -> str:
    s = report.summary
    lines = [f"dscheck against {report.target} ({report.server_label}): "
             f"collected {s.collected}, ran {s.ran}, skipped {s.skipped} in {report.duration_s:.1f}s",
             "  " + ", ".join(f"{o.value} {s.by_outcome.get(o.value, 0)}" for o in SUMMARY_ORDER)]
    shown = [r for r in report.scenarios
             if r.outcome.is_blocking or (strict and r.outcome is Outcome.NON_STRICT)]
    for result in shown[:MAX_FAILURES_SHOWN]:
        lines += [""] + format_failure(result)
    if len(shown) > MAX_FAILURES_SHOWN:
        lines.append(f"\n... and {len(shown) - MAX_FAILURES_SHOWN} more (see the reports)")
    return "\n".join(lines)


def format_failure(result: ScenarioResult) -> list[str]:
    lines = [f"{result.outcome.value.upper()} {result.id} - {result.title}  ({result.file})"]
    if result.failures:
        failure = result.failures[0]
        if failure.requirement:
            r = failure.requirement
            lines.append(f"  §{r.section} {r.level}: {r.quote}")
        lines.append(f"  {failure.step}: {failure.check}: expected {failure.expected}, got {failure.actual}")
        if len(result.failures) > 1:
            lines.append(f"  (+{len(result.failures) - 1} more checks failed)")
    else:
        lines.append(f"  {result.reason}")
    if result.transcript:
        lines.append(f"  $ {result.transcript[-1].curl}")
    return lines
