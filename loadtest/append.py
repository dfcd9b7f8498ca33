"""Profile `append`: writers appending JSON messages to many streams.

Measures append latency and throughput (Locust row "append"). Writers in one process
share a pool of streams, so concurrent appends to the same stream are exercised too; the
post-run verification read checks every acknowledged message is there exactly once, in
offset order.

Options (env var):  --streams-per-user (DSCHECK_STREAMS_PER_USER, 2)
                    --batch-size (DSCHECK_BATCH_SIZE, 1)  messages per POST
                    --append-wait (DSCHECK_APPEND_WAIT, 0) seconds between appends
"""

from __future__ import annotations

import random
from typing import Any

from locust import FastHttpUser, events, task

from loadtest import options
from loadtest.messages import new_ids, unique_name
from loadtest.protocol import StreamClient

# Streams created by the writers of this process; any writer may append to any of them.
STREAM_POOL: list[str] = []


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    group = parser.add_argument_group("dscheck append profile")
    group.add_argument("--streams-per-user", type=int, env_var="DSCHECK_STREAMS_PER_USER", default=2)
    group.add_argument("--batch-size", type=int, env_var="DSCHECK_BATCH_SIZE", default=1)
    group.add_argument("--append-wait", type=float, env_var="DSCHECK_APPEND_WAIT", default=0.0)


class AppendWriter(FastHttpUser):
    def wait_time(self) -> float:
        return float(options.option(self, "append_wait", 0.0))

    def on_start(self) -> None:
        self.streams = StreamClient(self.client, options.option(self, "stream_prefix", "/v1/stream"),
                                    options.option(self, "payload_bytes", 64))
        for _ in range(options.option(self, "streams_per_user", 2)):
            path = self.streams.path(unique_name("append"))
            if self.streams.create(path) is not None:
                STREAM_POOL.append(path)

    @task
    def append(self) -> None:
        if not STREAM_POOL:
            return
        batch = max(1, int(options.option(self, "batch_size", 1)))
        self.streams.append(random.choice(STREAM_POOL), new_ids(batch))
