"""Profile `fanout`: many live readers tail a stream while writers append stamped messages.

Users: FanoutWriter (a fixed number, --writers), SseReader and LongPollReader (the rest,
split by --sse-share). Readers join at the tail (offset from HEAD), then follow it live.

Metrics: request_type "DELIVERY" rows "sse" / "long-poll" = append acknowledged -> reader
has the message (see loadtest.delivery); "sse connect" (time to headers) and
"SSE reconnect" count connections; the run summary adds readers held (peak concurrent
live connections) and reconnects from the history.

All processes of one run share the stream, named from --run-id (the runner sets it;
for distributed plain-locust runs pass the same --run-id to every process).

Options (env var):  --writers (DSCHECK_WRITERS, 1)
                    --write-interval (DSCHECK_WRITE_INTERVAL, 0.1) seconds between appends per writer
                    --sse-share (DSCHECK_SSE_SHARE, 0.5) fraction of readers using SSE
                    --fanout-streams (DSCHECK_FANOUT_STREAMS, 1)
                    --run-id (DSCHECK_RUN_ID, per-process default)
"""

from __future__ import annotations

import random
import time
from typing import Any

from gevent.event import Event
from locust import FastHttpUser, constant, events, task
from locust.exception import StopUser

from loadtest import options
from loadtest.delivery import tracker
from loadtest.messages import PROCESS_TAG, new_ids
from loadtest.protocol import StreamClient
from loadtest.recorder import recorder


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    group = parser.add_argument_group("dscheck fanout profile")
    group.add_argument("--writers", type=int, env_var="DSCHECK_WRITERS", default=1)
    group.add_argument("--write-interval", type=float, env_var="DSCHECK_WRITE_INTERVAL", default=0.1)
    group.add_argument("--sse-share", type=float, env_var="DSCHECK_SSE_SHARE", default=0.5)
    group.add_argument("--fanout-streams", type=int, env_var="DSCHECK_FANOUT_STREAMS", default=1)
    group.add_argument("--run-id", type=str, env_var="DSCHECK_RUN_ID", default="")


# Writers hold their first append until every reader is spawned, so delivery latency is
# measured at the configured number of readers (not during ramp-up).
SPAWNED = Event()
SPAWN_WAIT_S = 60.0


@events.spawning_complete.add_listener
def _spawned(**_: Any) -> None:
    SPAWNED.set()


@events.init.add_listener
def _user_mix(environment: Any, **_: Any) -> None:
    share = min(1.0, max(0.0, float(options.option(environment, "sse_share", 0.5))))
    FanoutWriter.fixed_count = max(0, int(options.option(environment, "writers", 1)))
    # Weights are integers; a share of 0 or 1 removes the other reader kind entirely.
    SseReader.weight = round(share * 100)
    LongPollReader.weight = 100 - SseReader.weight


def stream_paths(user: Any, streams: StreamClient) -> list[str]:
    run_id = options.option(user, "run_id", "") or f"local-{PROCESS_TAG}"
    count = max(1, int(options.option(user, "fanout_streams", 1)))
    return [streams.path(f"fanout-{run_id}-{i}") for i in range(count)]


class FanoutUser(FastHttpUser):
    abstract = True
    network_timeout = 30.0

    def on_start(self) -> None:
        self.streams = StreamClient(self.client, options.option(self, "stream_prefix", "/v1/stream"),
                                    options.option(self, "payload_bytes", 64))
        self.paths = stream_paths(self, self.streams)


class FanoutWriter(FanoutUser):
    fixed_count = 1
    weight = 0  # only its fixed count

    def on_start(self) -> None:
        super().on_start()
        for path in self.paths:
            self.streams.create(path, name="fanout create")  # idempotent PUT: writers may race
        SPAWNED.wait(SPAWN_WAIT_S)

    def wait_time(self) -> float:
        return float(options.option(self, "write_interval", 0.1))

    @task
    def append(self) -> None:
        ids = new_ids(1, "m")
        if self.streams.append(random.choice(self.paths), ids, name="fanout append") is not None:
            tracker(self.environment).acknowledged(ids)


class LiveReader(FanoutUser):
    abstract = True
    mode = ""
    wait_time = constant(0)

    def on_start(self) -> None:
        super().on_start()
        self.path = random.choice(self.paths)
        self.reader = f"{self.mode}:{PROCESS_TAG}:{id(self):x}"
        self.offset: str | None = None
        self.started = False

    def on_stop(self) -> None:
        if self.offset is not None:
            recorder().write("reader_end", s=self.path, r=self.reader, o=self.offset)

    def join_at_tail(self) -> bool:
        if self.offset is None:
            self.offset = self.streams.head(self.path, name="fanout head", missing_ok=True)
            if self.offset is None:  # the writer has not created the stream yet
                time.sleep(0.2)
                return False
        return True


class SseReader(LiveReader):
    mode = "sse"

    @task
    def follow(self) -> None:
        if not self.join_at_tail():
            return
        if self.started:
            self.environment.events.request.fire(request_type="SSE", name="reconnect", response_time=0,
                                                 response_length=0, exception=None, context={})
        self.started = True
        delivered = tracker(self.environment)
        for group in self.streams.sse(self.path, self.offset, self.reader):
            delivered.seen("sse", group.messages)
            self.offset = group.next_offset
            if group.closed:
                raise StopUser()
        time.sleep(0.05)  # the server closed the connection: reconnect from the last offset


class LongPollReader(LiveReader):
    mode = "long-poll"

    def on_start(self) -> None:
        super().on_start()
        self.cursor: str | None = None

    @task
    def poll(self) -> None:
        if not self.join_at_tail():
            return
        result, self.cursor = self.streams.long_poll(self.path, self.offset, self.reader, self.cursor,
                                                     name="long-poll")
        if result is None:
            time.sleep(0.1)
            return
        tracker(self.environment).seen("long-poll", result.messages)
        self.offset = result.next_offset

