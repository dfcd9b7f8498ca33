"""Profile `agent_sessions`: JSON session streams of agent conversations.

AgentSession users append turns to their session. Now and then a session
  - rewinds: forks at an earlier turn boundary and continues on the fork ("session rewind"),
  - fans out: forks K parallel branches at the tail, each agent appends a turn and reads
    its branch; one branch wins and the session continues there, the others are deleted
    ("parallel fork"),
  - opens a scratch fork at the tail that is read once and deleted ("scratch fork").
SessionTailer users follow live sessions of their process (catch-up, then long-poll).

Options (env var):  --parallel-forks (DSCHECK_PARALLEL_FORKS, 3)
                    --rewind-chance / --parallel-chance / --scratch-chance
                        (DSCHECK_REWIND_CHANCE 0.1, DSCHECK_PARALLEL_CHANCE 0.1, DSCHECK_SCRATCH_CHANCE 0.1)
                    --turn-wait (DSCHECK_TURN_WAIT, 0.05) seconds between turns
                    --tail-polls (DSCHECK_TAIL_POLLS, 5) long-polls before a tailer switches session
"""

from __future__ import annotations

import random
from typing import Any

from locust import FastHttpUser, events, task

from loadtest import options
from loadtest.messages import PROCESS_TAG, new_ids, unique_name
from loadtest.protocol import StreamClient

# Session stream currently used by each AgentSession user of this process (tailers pick one).
LIVE_SESSIONS: dict[int, str] = {}


@events.init_command_line_parser.add_listener
def _arguments(parser: Any) -> None:
    group = parser.add_argument_group("dscheck agent_sessions profile")
    group.add_argument("--parallel-forks", type=int, env_var="DSCHECK_PARALLEL_FORKS", default=3)
    group.add_argument("--rewind-chance", type=float, env_var="DSCHECK_REWIND_CHANCE", default=0.1)
    group.add_argument("--parallel-chance", type=float, env_var="DSCHECK_PARALLEL_CHANCE", default=0.1)
    group.add_argument("--scratch-chance", type=float, env_var="DSCHECK_SCRATCH_CHANCE", default=0.1)
    group.add_argument("--turn-wait", type=float, env_var="DSCHECK_TURN_WAIT", default=0.05)
    group.add_argument("--tail-polls", type=int, env_var="DSCHECK_TAIL_POLLS", default=5)


def _client(user: FastHttpUser) -> StreamClient:
    return StreamClient(user.client, options.option(user, "stream_prefix", "/v1/stream"),
                        options.option(user, "payload_bytes", 64))


class AgentSession(FastHttpUser):
    weight = 3

    def wait_time(self) -> float:
        return float(options.option(self, "turn_wait", 0.05))

    def on_start(self) -> None:
        self.streams = _client(self)
        self.session = self.streams.path(unique_name("session"))
        created = self.streams.create(self.session, name="session create")
        self.turns: list[str] = [created] if created else []  # offsets at turn boundaries
        LIVE_SESSIONS[id(self)] = self.session

    def on_stop(self) -> None:
        LIVE_SESSIONS.pop(id(self), None)

    def _switch_to(self, path: str, boundaries: list[str]) -> None:
        self.session, self.turns = path, boundaries
        LIVE_SESSIONS[id(self)] = path

    @task
    def turn(self) -> None:
        if not self.turns:
            return
        roll = random.random()
        rewind = float(options.option(self, "rewind_chance", 0.1))
        parallel = float(options.option(self, "parallel_chance", 0.1))
        scratch = float(options.option(self, "scratch_chance", 0.1))
        if roll < rewind and len(self.turns) > 1:
            self.rewind()
        elif roll < rewind + parallel:
            self.parallel_agents()
        elif roll < rewind + parallel + scratch:
            self.scratch()
        # A turn: a user message and an assistant reply, appended together.
        offset = self.streams.append(self.session, new_ids(random.randint(1, 3), "t"), name="turn append")
        if offset is not None:
            self.turns.append(offset)

    def rewind(self) -> None:
        at = random.choice(self.turns[:-1])
        fork = self.streams.path(unique_name("rewind"))
        if self.streams.fork(fork, self.session, at, name="session rewind") is not None:
            self._switch_to(fork, [o for o in self.turns if o <= at])

    def parallel_agents(self) -> None:
        at = self.turns[-1]
        branches: list[tuple[str, str]] = []
        for _ in range(max(1, int(options.option(self, "parallel_forks", 3)))):
            branch = self.streams.path(unique_name("branch"))
            if self.streams.fork(branch, self.session, at, name="parallel fork") is None:
                continue
            own = self.streams.append(branch, new_ids(1, "b"), name="branch append")
            self.streams.read_all(branch, reader=f"agent:{branch}", offset=at, name="branch read")
            if own is not None:
                branches.append((branch, own))
        if not branches:
            return
        winner = random.choice(branches)
        for branch, _ in branches:
            if branch != winner[0]:
                self.streams.delete(branch, name="branch delete")
        self._switch_to(winner[0], self.turns + [winner[1]])

    def scratch(self) -> None:
        fork = self.streams.path(unique_name("scratch"))
        if self.streams.fork(fork, self.session, self.turns[-1], name="scratch fork") is not None:
            self.streams.read_all(fork, reader=f"scratch:{fork}", name="scratch read")
            self.streams.delete(fork, name="scratch delete")


class SessionTailer(FastHttpUser):
    weight = 1
    network_timeout = 30.0

    def wait_time(self) -> float:
        return 0.0 if LIVE_SESSIONS else 0.2  # nothing to tail yet: wait for sessions

    def on_start(self) -> None:
        self.streams = _client(self)
        self.reader_serial = 0

    @task
    def tail(self) -> None:
        if not LIVE_SESSIONS:
            return
        path = random.choice(list(LIVE_SESSIONS.values()))
        self.reader_serial += 1
        reader = f"tailer:{PROCESS_TAG}:{id(self):x}:{self.reader_serial}"
        history = self.streams.read_all(path, reader=reader, name="session catch-up")
        if history is None:
            return
        offset, cursor = history.next_offset, None
        for _ in range(max(1, int(options.option(self, "tail_polls", 5)))):
            result, cursor = self.streams.long_poll(path, offset, reader, cursor, name="session long-poll")
            if result is None:
                return
            offset = result.next_offset
