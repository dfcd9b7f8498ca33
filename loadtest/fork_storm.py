"""Profile `fork_storm`: fork chains over pre-seeded sources.

Each process seeds one JSON source stream per configured length (many messages per
POST). Users then fork a source at a random earlier offset (only offsets the server
returned), read the fork, append to it, fork the fork, ... down to the chain depth, and
delete the chain leaves-first. Other users keep appending to the sources, so a fork that
shows source data from after its fork point is caught by the history checker.

Locust rows: "fork_create src=<length> depth=<d>" (fork-create latency by source length
and chain depth; depths not in --measure-depths are folded into depth=other),
"fork_read src=<length> depth=<d>" (catch-up read of the whole fork), "fork_append",
"fork_delete", "source_append", "seed".

Options (env var):  --source-lengths (DSCHECK_SOURCE_LENGTHS, "10,1000")  up to 100000
                    --chain-depth (DSCHECK_CHAIN_DEPTH, 4)
                    --measure-depths (DSCHECK_MEASURE_DEPTHS, "1,8,32")
                    --seed-batches (DSCHECK_SEED_BATCHES, 200)  POSTs per source seed
                    --read-every (DSCHECK_READ_EVERY, 1)  read the forks of one chain in N
                    --task-wait (DSCHECK_TASK_WAIT, 0.05)  max seconds between tasks (uniform)
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from gevent.lock import Semaphore
from locust import FastHttpUser, events, task

from loadtest import options
from loadtest.messages import new_ids, unique_name
from loadtest.protocol import StreamClient

DEEP_FORK_WINDOW = 10  # deeper forks pick among the parent's last offsets, so chains keep their data


@dataclass
class Source:
    path: str
    length: int
    offsets: list[str] = field(default_factory=list)  # server-returned append boundaries


SOURCES: dict[int, Source] = {}
_seed_lock = Semaphore()


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    group = parser.add_argument_group("dscheck fork_storm profile")
    group.add_argument("--source-lengths", type=str, env_var="DSCHECK_SOURCE_LENGTHS", default="10,1000")
    group.add_argument("--chain-depth", type=int, env_var="DSCHECK_CHAIN_DEPTH", default=4)
    group.add_argument("--measure-depths", type=str, env_var="DSCHECK_MEASURE_DEPTHS", default="1,8,32")
    group.add_argument("--seed-batches", type=int, env_var="DSCHECK_SEED_BATCHES", default=200)
    group.add_argument("--read-every", type=int, env_var="DSCHECK_READ_EVERY", default=1)
    group.add_argument("--task-wait", type=float, env_var="DSCHECK_TASK_WAIT", default=0.05)


def seed_sources(streams: StreamClient, lengths: list[int], batches: int) -> None:
    """Create and fill one source per length, once per process (other users wait)."""
    with _seed_lock:
        for length in lengths:
            if length in SOURCES:
                continue
            source = Source(streams.path(unique_name(f"source{length}")), length)
            created = streams.create(source.path, name="seed")
            if created is None:
                continue
            source.offsets.append(created)
            per_post = max(1, -(-length // max(1, batches)))
            remaining = length
            while remaining > 0:
                count = min(per_post, remaining)
                offset = streams.append(source.path, new_ids(count, "s"), name="seed")
                if offset is None:
                    break
                source.offsets.append(offset)
                remaining -= count
            SOURCES[length] = source


class ForkStormUser(FastHttpUser):
    def wait_time(self) -> float:
        return random.uniform(0, float(options.option(self, "task_wait", 0.05)))

    def on_start(self) -> None:
        self.streams = StreamClient(self.client, options.option(self, "stream_prefix", "/v1/stream"),
                                    options.option(self, "payload_bytes", 64))
        self.lengths = options.int_list(options.option(self, "source_lengths", "10,1000"))
        self.max_depth = max(1, int(options.option(self, "chain_depth", 4)))
        self.measured = set(options.int_list(options.option(self, "measure_depths", "1,8,32")))
        seed_sources(self.streams, self.lengths, int(options.option(self, "seed_batches", 200)))

    def _bucket(self, depth: int) -> str:
        return str(depth) if depth in self.measured else "other"

    @task(4)
    def fork_chain(self) -> None:
        if not SOURCES:
            return
        source = SOURCES[random.choice(sorted(SOURCES))]
        parent, parent_offsets = source.path, list(source.offsets)
        chain: list[str] = []
        read_this_chain = random.randrange(max(1, int(options.option(self, "read_every", 1)))) == 0
        for depth in range(1, self.max_depth + 1):
            window = parent_offsets if depth == 1 else parent_offsets[-DEEP_FORK_WINDOW:]
            at = random.choice(window)
            path = self.streams.path(unique_name("fork"))
            label = f"src={source.length} depth={self._bucket(depth)}"
            if self.streams.fork(path, parent, at, name=f"fork_create {label}") is None:
                break
            chain.append(path)
            if read_this_chain and (depth in self.measured or depth == self.max_depth):
                self.streams.read_all(path, reader=f"fork-reader:{path}", name=f"fork_read {label}")
            own = self.streams.append(path, new_ids(1, "f"), name="fork_append")
            # The fork inherits the parent's boundaries up to the fork point (PROTOCOL §8:
            # offsets are lexicographically comparable), then its own.
            parent_offsets = [o for o in parent_offsets if o <= at] + ([own] if own else [])
            parent = path
        # Leaves first: a deleted parent with live forks would only be soft-deleted.
        # (Not in a `finally`: at test stop the greenlet is killed and must not block.)
        for path in reversed(chain):
            self.streams.delete(path, name="fork_delete")

    @task(1)
    def append_source(self) -> None:
        if not SOURCES:
            return
        source = SOURCES[random.choice(sorted(SOURCES))]
        offset = self.streams.append(source.path, new_ids(1, "a"), name="source_append")
        if offset is not None:
            source.offsets.append(offset)
