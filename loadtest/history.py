"""The history checker: merges the per-process JSONL histories of a run and reports

  lost            an acknowledged message missing from the post-run verification read
  duplicated      a reader got the same message twice (or an id was acknowledged twice)
  reordered       a reader got messages out of offset order
  fork_isolation  a fork showed a source message appended after the fork point
  missed          a reader's response skipped acknowledged data in its offset range, or a
                  live reader ended behind data acknowledged more than --grace seconds earlier
  phantom         a reader got a message that was never appended to that stream (or its
                  ancestors before the fork point)
  corrupted_range the elided head of a long read (digest only, see recorder) differs
  offset_conflict two acknowledged appends to one stream got the same offset

The expected content of a stream is its acknowledged appends in offset order (offsets
are lexicographically ordered, PROTOCOL §8); a fork's is its source's content up to the
fork offset followed by its own appends. A read of offsets (from, next] must return
exactly the expected messages in that range. Messages whose append failed ("nack": the
outcome is unknown) may appear or not; they are ignored.

Also computes delivery latency (reader receive time - acknowledgement time, both wall
clock: exact on one machine, subject to clock skew across machines), readers held and
reconnects. Usage: python -m loadtest.history RUN_DIR [--grace S] [--json OUT]
"""

from __future__ import annotations

import argparse
import bisect
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtest.recorder import digest_ids

START = "-1"
LIVE_MODES = ("sse", "long-poll")
EXAMPLES = 5
KEPT_PER_KIND = 50


def load_records(run_dir: str | Path) -> Iterator[dict[str, Any]]:
    """All records of all history files in `run_dir` (each file keeps its own order)."""
    for path in sorted(Path(run_dir).glob("history-*.jsonl")):
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                line = line.strip()
                if line:
                    try:
                        yield json.loads(line)
                    except ValueError:
                        continue  # a process killed mid-write leaves a torn last line


@dataclass
class Violation:
    kind: str
    stream: str
    detail: str
    reader: str | None = None
    ids: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "stream": self.stream, "reader": self.reader,
                "detail": self.detail, "ids": self.ids[:EXAMPLES]}


class StreamModel:
    """Expected content of one stream: inherited prefix of its source plus its own appends."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.created: str | None = None
        self.parent: StreamModel | None = None
        self.fork_at: str | None = None
        self.deleted = False
        self.pending: list[tuple[str, int, str]] = []  # (offset, index in batch, id)
        self.own_ids: list[str] = []
        self.own_offsets: list[str] = []
        self.own_offset_set: set[str] = set()
        self.cut = 0
        self._resolved = False
        self._digests: dict[int, str] = {}

    def resolve(self) -> None:
        if self._resolved:
            return
        self._resolved = True
        if self.parent is not None:
            self.parent.resolve()
            self.cut = self.parent.count_upto(self.fork_at or START)
        self.pending.sort()
        self.own_offsets = [offset for offset, _, _ in self.pending]
        self.own_ids = [message_id for _, _, message_id in self.pending]
        self.own_offset_set = set(self.own_offsets)

    def __len__(self) -> int:
        return self.cut + len(self.own_ids)

    def count_upto(self, offset: str) -> int:
        """How many expected messages lie at or before `offset`."""
        if offset == START:
            return 0
        if self.parent is not None and self.fork_at is not None and offset <= self.fork_at:
            return min(self.cut, self.parent.count_upto(offset))
        return self.cut + bisect.bisect_right(self.own_offsets, offset)

    def slice(self, start: int, stop: int) -> list[str]:
        if start >= stop:
            return []
        head: list[str] = []
        if self.parent is not None and start < self.cut:
            head = self.parent.slice(start, min(stop, self.cut))
        own_start, own_stop = max(0, start - self.cut), max(0, stop - self.cut)
        return head + self.own_ids[own_start:own_stop]

    def prefix_digest(self, count: int) -> str:
        if self.parent is not None and count <= self.cut:
            return self.parent.prefix_digest(count)
        if count not in self._digests:
            self._digests[count] = digest_ids(self.slice(0, count))
        return self._digests[count]

    def is_boundary(self, offset: str) -> bool:
        if offset in (START, self.created) or offset in self.own_offset_set:
            return True
        if self.parent is not None and self.fork_at is not None and offset <= self.fork_at:
            return offset == self.fork_at or self.parent.is_boundary(offset)
        return False

    def contains(self, stream: str, offset: str) -> bool:
        """Whether a message acknowledged on `stream` at `offset` belongs to this stream's content."""
        if stream == self.name:
            return True
        if self.parent is not None and self.fork_at is not None and offset <= self.fork_at:
            return self.parent.contains(stream, offset)
        return False

    def ancestors(self) -> Iterator[StreamModel]:
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


@dataclass
class ReadGroup:
    stream: str
    reader: str
    mode: str
    start: str
    end: str
    ids: list[str]
    t: float
    skip: int = 0
    skip_sha1: str | None = None


class HistoryCheck:
    def __init__(self, records: Iterable[dict[str, Any]], grace_s: float = 5.0) -> None:
        self.grace_s = grace_s
        self.streams: dict[str, StreamModel] = {}
        self.ack_at: dict[str, tuple[str, str, float]] = {}  # id -> (stream, offset, time)
        self.nacked: set[str] = set()
        self.reads: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.reader_ends: list[dict[str, Any]] = []
        self.connections: list[tuple[float, int, str]] = []
        self.violations: list[Violation] = []
        self.counts: Counter[str] = Counter()
        self.delivery: dict[str, list[float]] = defaultdict(list)
        self._ingest(records)

    # -- building the model --------------------------------------------------------------

    def stream(self, name: str) -> StreamModel:
        if name not in self.streams:
            self.streams[name] = StreamModel(name)
        return self.streams[name]

    def _ingest(self, records: Iterable[dict[str, Any]]) -> None:
        ack_offsets: dict[str, dict[str, str]] = defaultdict(dict)  # stream -> offset -> first id
        for record in records:
            kind = record.get("k")
            self.counts[f"records.{kind}"] += 1
            if kind == "create":
                model = self.stream(record["s"])
                model.created = model.created or record.get("o")
            elif kind == "fork":
                model = self.stream(record["s"])
                model.parent = self.stream(record["src"])
                model.fork_at = record["at"]
                model.created = model.created or record.get("o")
            elif kind == "ack":
                name, offset, ids = record["s"], record["o"], record["ids"]
                model = self.stream(name)
                previous = ack_offsets[name].get(offset)
                if previous is not None:
                    self.add("offset_conflict", name, f"two appends acknowledged with offset {offset}",
                             ids=[previous, ids[0]] if ids else [previous])
                elif ids:
                    ack_offsets[name][offset] = ids[0]
                for index, message_id in enumerate(ids):
                    if message_id in self.ack_at:
                        self.add("duplicated", name, "the same message id was acknowledged twice",
                                 ids=[message_id])
                        continue
                    self.ack_at[message_id] = (name, offset, float(record["t"]))
                    model.pending.append((offset, index, message_id))
            elif kind == "nack":
                self.nacked.update(record["ids"])
            elif kind == "read":
                self.reads[record["r"]].append(record)
            elif kind == "delete":
                self.stream(record["s"]).deleted = True
            elif kind == "reader_end":
                self.reader_ends.append(record)
            elif kind in ("connect", "disconnect"):
                self.connections.append((float(record["t"]), 1 if kind == "connect" else -1, record["r"]))
        for model in self.streams.values():
            model.resolve()

    def add(self, kind: str, stream: str, detail: str, reader: str | None = None,
            ids: list[str] | None = None) -> None:
        self.counts[f"violations.{kind}"] += 1
        if self.counts[f"violations.{kind}"] <= KEPT_PER_KIND:
            self.violations.append(Violation(kind, stream, detail, reader, list(ids or [])))

    # -- checking reads ---------------------------------------------------------------------

    def run(self) -> HistoryCheck:
        for reader, records in self.reads.items():
            for group, strict in self._groups(records):
                self._check_group(group, strict)
        self._check_reader_ends()
        return self

    def _groups(self, records: list[dict[str, Any]]) -> Iterator[tuple[ReadGroup, bool]]:
        """Consecutive reads of one reader, merged until both ends are append boundaries
        (a server may end a response inside a batch; then only the merged range is checkable)."""
        group: ReadGroup | None = None
        for record in records:
            self._note_delivery(record.get("m", "catchup"), record["ids"], float(record["t"]))
            contiguous = (group is not None and group.stream == record["s"]
                          and group.end == record["from"] and not record.get("skip"))
            if group is not None and not contiguous:
                yield group, False
                group = None
            if group is None:
                group = ReadGroup(record["s"], record["r"], record.get("m", "catchup"), record["from"],
                                  record["o"], list(record["ids"]), float(record["t"]),
                                  int(record.get("skip", 0)), record.get("skip_sha1"))
            else:
                group.end, group.t = record["o"], float(record["t"])
                group.ids += record["ids"]
            model = self.stream(group.stream)
            if model.is_boundary(group.start) and model.is_boundary(group.end):
                yield group, True
                group = None
        if group is not None:
            yield group, False

    def _note_delivery(self, mode: str, ids: list[str], at: float) -> None:
        if mode not in LIVE_MODES:
            return
        for message_id in ids:
            acked = self.ack_at.get(message_id)
            if acked is not None:
                self.delivery[mode].append(max(0.0, at - acked[2]) * 1000)

    def _check_group(self, group: ReadGroup, strict: bool) -> None:
        model = self.stream(group.stream)
        self.counts["reads_checked"] += 1
        first, last = model.count_upto(group.start), model.count_upto(group.end)
        if group.skip:
            # Only the digest of the elided head was kept; compare digests, then the tail.
            head = first + group.skip
            want = model.prefix_digest(head) if first == 0 else digest_ids(model.slice(first, head))
            if want != group.skip_sha1:
                self.add("corrupted_range", group.stream,
                         f"the first {group.skip} messages read from {group.start} differ from the expected ones",
                         group.reader)
            first = head
        expected = model.slice(first, last)
        seen = group.ids
        position = {message_id: index for index, message_id in enumerate(expected)}
        kept: list[str] = []
        for message_id in seen:
            if message_id in position:
                kept.append(message_id)
            elif message_id in self.nacked:
                continue
            else:
                self._classify_foreign(model, group, message_id)
        duplicates = [i for i, n in Counter(kept).items() if n > 1]
        if duplicates:
            self.add("duplicated", group.stream, f"{len(duplicates)} message(s) delivered more than once",
                     group.reader, duplicates)
        order, first_seen = [], set()
        for message_id in kept:
            if message_id not in first_seen:
                first_seen.add(message_id)
                order.append(position[message_id])
        inversions = [expected[b] for a, b in zip(order, order[1:]) if b < a]
        if inversions:
            self.add("reordered", group.stream, f"{len(inversions)} message(s) arrived before earlier ones",
                     group.reader, inversions)
        if strict:
            missing = [i for i in expected if i not in first_seen]
            if missing:
                kind = "lost" if group.reader.startswith("verify:") else "missed"
                self.add(kind, group.stream,
                         f"{len(missing)} acknowledged message(s) absent from ({group.start}, {group.end}]",
                         group.reader, missing)

    def _classify_foreign(self, model: StreamModel, group: ReadGroup, message_id: str) -> None:
        """A message outside the expected range (start, end] of this read."""
        origin = self.ack_at.get(message_id)
        if origin is not None and model.contains(origin[0], origin[1]):
            if origin[1] <= group.start:
                self.add("duplicated", group.stream,
                         f"message from before the requested offset {group.start} delivered again",
                         group.reader, [message_id])
            else:
                self.add("reordered", group.stream,
                         f"message at {origin[1]} delivered in the range ({group.start}, {group.end}]",
                         group.reader, [message_id])
        elif origin is not None and any(a.name == origin[0] for a in model.ancestors()):
            self.add("fork_isolation", group.stream,
                     f"source {origin[0]} message (offset {origin[1]}) appended after the fork point was visible",
                     group.reader, [message_id])
        else:
            where = f"appended to {origin[0]}" if origin else "never appended"
            self.add("phantom", group.stream, f"unexpected message ({where})", group.reader, [message_id])

    def _check_reader_ends(self) -> None:
        for end in self.reader_ends:
            model = self.stream(end["s"])
            if model.deleted:
                continue
            after = model.own_ids[bisect.bisect_right(model.own_offsets, end["o"]):]
            cutoff = float(end["t"]) - self.grace_s
            behind = [message_id for message_id in after if self.ack_at[message_id][2] < cutoff]
            if behind:
                self.add("missed", end["s"],
                         f"live reader stopped at {end['o']} although {len(behind)} message(s) were "
                         f"acknowledged more than {self.grace_s:g}s earlier", end["r"], behind)

    # -- results --------------------------------------------------------------------------

    def live_stats(self) -> dict[str, Any]:
        held, peak = 0, 0
        per_reader: Counter[str] = Counter()
        for _, delta, reader in sorted(self.connections):
            held += delta
            peak = max(peak, held)
            if delta > 0:
                per_reader[reader] += 1
        live_readers = {r for r, records in self.reads.items() if records and records[0].get("m") in LIVE_MODES}
        return {
            "sse_connections_peak": peak,
            "live_readers": len(live_readers | set(per_reader)),
            "reconnects": sum(n - 1 for n in per_reader.values()),
            "delivery_ms": {
                **{mode: percentiles(values) for mode, values in sorted(self.delivery.items())},
                "all": percentiles([v for values in self.delivery.values() for v in values]),
            },
        }

    def report(self) -> dict[str, Any]:
        by_kind = {k.split(".", 1)[1]: n for k, n in self.counts.items() if k.startswith("violations.")}
        return {
            "ok": not by_kind,
            "violations_by_kind": by_kind,
            "violations": [v.as_dict() for v in self.violations],
            "streams": len(self.streams),
            "forks": sum(1 for s in self.streams.values() if s.parent is not None),
            "acknowledged_messages": len(self.ack_at),
            "unacknowledged_messages": len(self.nacked),
            "reads_checked": self.counts["reads_checked"],
            "live": self.live_stats(),
        }


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"count": 0}
    ordered = sorted(values)

    def at(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 2)

    return {"count": len(ordered), "p50": at(0.50), "p90": at(0.90), "p99": at(0.99), "max": round(ordered[-1], 2)}


def check_run(run_dir: str | Path, grace_s: float = 5.0) -> dict[str, Any]:
    return HistoryCheck(load_records(run_dir), grace_s).run().report()


def format_report(report: dict[str, Any]) -> str:
    lines = [f"history: {report['acknowledged_messages']} acknowledged messages, {report['streams']} streams "
             f"({report['forks']} forks), {report['reads_checked']} reads checked"]
    if report["ok"]:
        lines.append("history: no violations")
    else:
        kinds = ", ".join(f"{k}={n}" for k, n in sorted(report["violations_by_kind"].items()))
        lines.append(f"history: VIOLATIONS {kinds}")
        for violation in report["violations"][:20]:
            lines.append(f"  {violation['kind']}: {violation['stream']} reader={violation['reader']} "
                         f"{violation['detail']} {violation['ids']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run_dir")
    parser.add_argument("--grace", type=float, default=5.0, help="seconds a live reader may lag")
    parser.add_argument("--json", help="also write the report as JSON here")
    args = parser.parse_args(argv)
    report = check_run(args.run_dir, args.grace)
    print(format_report(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
