"""The Hypothesis state machine that drives a real server and checks it against the model.

Each rule sends real HTTP requests, checks every response against `ProtocolModel`, then
records the effect in the model. Every exchange is also written to a `Trace`, so the
shrunk failing run can be saved as a replayable YAML scenario.
"""

from __future__ import annotations

import itertools
import json
import uuid
from typing import Any

import httpx
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule

from conformance.explore.model import Content, Expected, Life, ModelViolation, ProtocolModel, \
    flatten_json_body
from conformance.explore.trace import OFFSET_HEADER, Trace, body_spec, json_dumps, \
    response_body_check

BYTES_TYPE = "application/octet-stream"
JSON_TYPE = "application/json"
MAX_READ_CHUNKS = 50          # bound on following Stream-Next-Offset through server chunking
PRODUCERS = ("p1", "p2")
GONE_PICK_EVERY = 6          # how often a rule may target a deleted stream (expecting 404/410)
# Repeats weight the choice; Hypothesis picks rules uniformly, so appends and reads are
# registered twice below for the same reason.
PRODUCER_MOVES = ("next", "next", "next-and-retry", "next-and-retry", "retry", "bump-epoch",
                  "stale-epoch", "gap")

byte_payloads = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 ", min_size=1, max_size=12)
    .map(str.encode),
    st.binary(min_size=1, max_size=12),
)
json_scalars = st.one_of(st.integers(-1000, 1000), st.text(max_size=6), st.booleans(), st.none())
json_messages = st.one_of(json_scalars, st.dictionaries(st.text("abc", min_size=1, max_size=2),
                                                        json_scalars, max_size=2))
# An append body: one message, or a non-empty batch flattened one level (§9.1.2).
json_bodies = st.one_of(json_messages, st.lists(json_messages, min_size=1, max_size=3))
picks = st.integers(min_value=0, max_value=1_000)


class ServerConfig:
    """Where the machine sends requests; set by the runner before the test starts."""
    base_url: str = ""
    prefix: str = "/v1/stream"
    timeout_s: float = 10.0
    without: frozenset[str] = frozenset()  # capabilities the server lacks (as `dscheck run --without`)
    last_trace: Trace | None = None       # trace of the most recent run (the shrunk one, at the end)
    richest_trace: Trace | None = None    # the run with the most kinds of step (round-trip tests replay it)
    http: httpx.Client | None = None      # shared by all runs: a new client costs ~40 ms (TLS setup)

    @classmethod
    def client(cls) -> httpx.Client:
        if cls.http is None:
            cls.http = httpx.Client(base_url=cls.base_url, timeout=cls.timeout_s)
        return cls.http

    @classmethod
    def close(cls) -> None:
        if cls.http is not None:
            cls.http.close()
            cls.http = None


class ProtocolMachine(RuleBasedStateMachine):
    config = ServerConfig

    def __init__(self) -> None:
        super().__init__()
        self.model = ProtocolModel()
        self.trace = Trace()
        previous, richest = self.config.last_trace, self.config.richest_trace
        if previous is not None and (richest is None or previous.richness() > richest.richness()):
            self.config.richest_trace = previous
        self.config.last_trace = self.trace
        self.run_id = uuid.uuid4().hex[:10]       # fresh paths: a server keeps state between runs
        self.names = (f"s{n}" for n in itertools.count(1))
        self.path_of: dict[str, str] = {}         # logical name -> URL path
        self.last_batch: dict[tuple[str, str], tuple[Content, bytes, Any]] = {}   # for retries
        self.recent: str | None = None            # the stream written last: reads favour it
        self.http = self.config.client()

    # ----- helpers --------------------------------------------------------------------
    def new_stream_name(self) -> str:
        name = next(self.names)
        self.path_of[name] = f"{self.config.prefix}/explore-{self.run_id}-{name}"
        return name

    def pick_stream(self, pick: int, *, live_only: bool = False) -> str:
        """Mostly a live stream; one pick in GONE_PICK_EVERY may be a deleted one."""
        names = [n for n in self.path_of if n in self.model.streams]
        live = [n for n in names if self.model.get(n).life is Life.LIVE]
        gone = [n for n in names if n not in live]
        if gone and not live_only and (not live or pick % GONE_PICK_EVERY == GONE_PICK_EVERY - 1):
            return gone[pick % len(gone)]
        return live[pick % len(live)]

    def pick_recent_or(self, pick: int) -> str:
        """The most recently written stream one time in three (read-your-writes), else any."""
        if self.recent is not None and pick % 3 == 0:
            return self.recent
        return self.pick_stream(pick)

    def has_streams(self) -> bool:
        return bool(self.model.streams)

    def supports(self, capability: str) -> bool:
        return capability not in self.config.without

    def has_live_streams(self) -> bool:
        return bool(self.model.live_paths())

    def send(self, note: str, method: str, name: str, *, offset: str | None = None,
             headers: dict[str, str] | None = None, body: bytes | None = None,
             body_yaml: dict[str, Any] | None = None) -> httpx.Response:
        """Send one request and open its trace step (fork headers become templates there)."""
        query = {"offset": self.trace.offset_ref(name, offset)} if offset is not None else None
        headers = dict(headers or {})
        yaml_headers = dict(headers)
        if "Stream-Forked-From" in headers:
            source = headers["Stream-Forked-From"]   # a logical name until here
            yaml_headers["Stream-Forked-From"] = f"{{stream:{source}}}"
            headers["Stream-Forked-From"] = self.path_of[source]
            if "Stream-Fork-Offset" in headers:
                yaml_headers["Stream-Fork-Offset"] = self.trace.offset_ref(source, headers["Stream-Fork-Offset"])
        self.trace.begin(note, method, name, query=query, headers=yaml_headers or None, body=body_yaml)
        try:
            return self.http.request(method, self.path_of[name],
                                     params={"offset": offset} if offset is not None else None,
                                     headers=headers, content=body)
        except httpx.HTTPError as error:
            raise ModelViolation(f"{method} {self.path_of[name]}: transport error "
                                 f"{type(error).__name__}: {error}") from error

    def check_status(self, response: httpx.Response, expected: Expected) -> None:
        self.trace.expect_status(expected.statuses)
        expected.check_status(response.status_code)

    def check_closed_header(self, response: httpx.Response, closed: bool | None, why: str) -> None:
        if closed is None:
            return
        value = response.headers.get("Stream-Closed")
        self.trace.expect_header("Stream-Closed", {"equals_ci": "true"} if closed else {"absent": True})
        present = value is not None and value.lower() == "true"
        if present != closed:
            raise ModelViolation(f"Stream-Closed header {value!r}, expected "
                                 f"{'true' if closed else 'absent'} ({why})")

    def check_offset(self, response: httpx.Response, name: str, position: int, what: str) -> str:
        """Check the response's Stream-Next-Offset names `position` consistently (§8)."""
        token = response.headers.get(OFFSET_HEADER)
        stream = self.model.get(name)
        below = max(((p, t) for t, p in stream.offsets.items() if p < position), default=None)
        above = min(((p, t) for t, p in stream.offsets.items() if p > position), default=None)
        check: dict[str, Any] = {"present": True}
        if below is not None:
            check["greater_than"] = self.trace.offset_ref(name, below[1])
        if above is not None:
            check["less_than"] = self.trace.offset_ref(name, above[1])
        self.trace.expect_header(OFFSET_HEADER, check)
        self.model.observe_offset(name, token, position, what)
        assert token is not None
        self.trace.capture_offset(name, token)
        return token

    def encode(self, name: str, data: Content | Any, *, raw_json: Any = None) -> tuple[bytes, dict[str, Any] | None]:
        if self.model.get(name).json_mode:
            return json_dumps(raw_json), body_spec(None, raw_json, is_json=True)
        assert isinstance(data, bytes)
        return data, body_spec(data)

    # ----- create ---------------------------------------------------------------------
    @rule(json_mode=st.booleans(), raw=st.one_of(st.none(), byte_payloads),
          raw_json=st.one_of(st.none(), json_bodies), closed=st.sampled_from([False] * 5 + [True]))
    def create(self, json_mode: bool, raw: bytes | None, raw_json: Any, closed: bool) -> None:
        json_mode = json_mode and self.supports("json")
        closed = closed and self.supports("closure")
        name = self.new_stream_name()
        content_type = JSON_TYPE if json_mode else BYTES_TYPE
        headers = {"Content-Type": content_type}
        if closed:
            headers["Stream-Closed"] = "true"
        if json_mode:
            initial: Content = flatten_json_body(raw_json) if raw_json is not None else []
            body = json_dumps(raw_json) if raw_json is not None else None
            yaml_body = body_spec(None, raw_json, is_json=True) if raw_json is not None else None
        else:
            initial = raw or b""
            body, yaml_body = raw, body_spec(raw)
        response = self.send("create", "PUT", name, headers=headers, body=body, body_yaml=yaml_body)
        expected = self.model.expected_create(name)
        self.check_status(response, expected)
        self.model.apply_create(name, json_mode, content_type, initial, closed)
        self.check_closed_header(response, closed or None, "PUT with Stream-Closed: true (§5.1)")
        self.model.get(name).tail = self.check_offset(response, name, len(initial), "create")
        self.recent = name

    # ----- append and close -----------------------------------------------------------
    def append(self, pick: int, raw: bytes, raw_json: Any, mode: str) -> None:
        name = self.pick_stream(pick)
        stream = self.model.get(name)
        if mode != "append" and not self.supports("closure"):
            mode = "append"
        if mode == "close-only":
            self.close(name)
            return
        closing = mode == "append-and-close"
        data: Content = flatten_json_body(raw_json) if stream.json_mode else raw
        body, yaml_body = self.encode(name, raw, raw_json=raw_json)
        headers = {"Content-Type": stream.content_type}
        if closing:
            headers["Stream-Closed"] = "true"
        response = self.send("append" + (" and close" if closing else ""), "POST", name,
                             headers=headers, body=body, body_yaml=yaml_body)
        expected = self.model.expected_append(name, closing, has_body=True)
        self.check_status(response, expected)
        self.after_write(response, name, expected, data, closing)

    append_modes = st.sampled_from(["append"] * 8 + ["append-and-close", "close-only"])
    append_rule = precondition(has_streams)(rule(pick=picks, raw=byte_payloads, raw_json=json_bodies,
                                                 mode=append_modes)(append))
    append_again_rule = precondition(has_streams)(rule(pick=picks, raw=byte_payloads,
                                                       raw_json=json_bodies, mode=append_modes)(append))

    def close(self, name: str) -> None:
        response = self.send("close", "POST", name, headers={"Stream-Closed": "true"})
        expected = self.model.expected_append(name, closing=True, has_body=False)
        self.check_status(response, expected)
        empty: Content = [] if self.model.get(name).json_mode else b""
        self.after_write(response, name, expected, empty, True)

    def after_write(self, response: httpx.Response, name: str, expected: Expected,
                    data: Content, closing: bool) -> None:
        stream = self.model.get(name)
        if stream.life is not Life.LIVE:
            return
        if not stream.closed:   # the status check passed, so an open stream took the write
            self.model.apply_append(name, data, closing)
            self.recent = name
        self.check_closed_header(response, expected.closed_header, expected.why)
        # Success and closed-409 both carry the (new or final) tail offset (§5.2).
        stream.tail = self.check_offset(response, name, stream.length, expected.why)

    # ----- idempotent producers -------------------------------------------------------
    @precondition(lambda self: self.has_live_streams() and self.supports("producers"))
    @rule(pick=picks, producer=st.sampled_from(PRODUCERS), move=st.sampled_from(PRODUCER_MOVES),
          raw=byte_payloads, raw_json=json_bodies, closing=st.sampled_from([False] * 8 + [True]))
    def producer_append(self, pick: int, producer: str, move: str, raw: bytes, raw_json: Any,
                        closing: bool) -> None:
        closing = closing and self.supports("closure")
        name = self.pick_recent_or(pick)
        stream = self.model.get(name)
        if stream.life is not Life.LIVE:
            name = self.pick_stream(pick, live_only=True)
            stream = self.model.get(name)
        epoch, seq = self.producer_position(stream.producers.get(producer), move)
        data: Content = flatten_json_body(raw_json) if stream.json_mode else raw
        if move == "retry" and (name, producer) in self.last_batch:
            data, raw, raw_json = self.last_batch[(name, producer)]   # a retry resends the same batch
        batch = (data, raw, raw_json)
        self.producer_send(name, producer, epoch, seq, batch, closing, move)
        if move == "next-and-retry":   # the answer was "lost": the client sends the same batch again
            self.producer_send(name, producer, epoch, seq, batch, closing, "retry of the same batch")

    def producer_send(self, name: str, producer: str, epoch: int, seq: int,
                      batch: tuple[Content, bytes, Any], closing: bool, move: str) -> None:
        stream = self.model.get(name)
        data, raw, raw_json = batch
        body, yaml_body = self.encode(name, raw, raw_json=raw_json)
        headers = {"Content-Type": stream.content_type, "Producer-Id": producer,
                   "Producer-Epoch": str(epoch), "Producer-Seq": str(seq)}
        if closing:
            headers["Stream-Closed"] = "true"
        response = self.send(f"producer {producer} {move} (epoch {epoch}, seq {seq})", "POST", name,
                             headers=headers, body=body, body_yaml=yaml_body)
        expected, is_new = self.model.expected_producer_append(name, producer, epoch, seq, closing)
        self.check_status(response, expected)
        state = stream.producers.get(producer)
        if response.status_code == 403 and state is not None:
            self.check_producer_header(response, "Producer-Epoch", state.epoch)
        if response.status_code == 409 and not stream.closed and state is not None:
            self.check_producer_header(response, "Producer-Expected-Seq", state.last_seq + 1)
        if is_new:
            self.model.apply_producer_append(name, producer, epoch, seq, data, closing)
            self.last_batch[(name, producer)] = batch
            self.recent = name
            self.check_closed_header(response, True if closing else None, expected.why)
            stream.tail = self.check_offset(response, name, stream.length, expected.why)
        elif stream.closed:
            self.check_closed_header(response, True, expected.why)

    @staticmethod
    def producer_position(state: Any, move: str) -> tuple[int, int]:
        if state is None:   # a new producer starts at (0, 0); a gap skips seq 0
            return (0, 0) if move != "gap" else (0, 1)
        epoch, last = state.epoch, state.last_seq
        return {
            "next": (epoch, last + 1),
            "next-and-retry": (epoch, last + 1),
            "retry": (epoch, last),
            "bump-epoch": (epoch + 1, 0),
            "stale-epoch": (max(epoch - 1, 0), 0) if epoch > 0 else (epoch, last),
            "gap": (epoch, last + 2),
        }[move]

    def check_producer_header(self, response: httpx.Response, header: str, value: int) -> None:
        self.trace.expect_header(header, str(value))
        if response.headers.get(header) != str(value):
            raise ModelViolation(f"{header} header {response.headers.get(header)!r}, expected {value} (§5.2.1)")

    # ----- fork -----------------------------------------------------------------------
    @precondition(lambda self: self.has_streams() and self.supports("fork"))
    @rule(pick=picks, offset_pick=st.one_of(st.none(), picks), sub_offset=st.sampled_from([0, 0, 0, 1, 2, 5]))
    def fork(self, pick: int, offset_pick: int | None, sub_offset: int) -> None:
        source_name = self.pick_recent_or(pick)
        source = self.model.get(source_name)
        anchor_token: str | None = None
        anchor: int | None = None
        if offset_pick is not None and source.offsets:
            anchors = source.tokens_by_position()
            fitting = [(p, t) for p, t in anchors if self.model.sub_offset_limit(source, p) >= sub_offset]
            if sub_offset and fitting and offset_pick % 4 != 3:   # mostly valid, sometimes overshoot
                anchors = fitting
            anchor, anchor_token = anchors[offset_pick % len(anchors)]
        name = self.new_stream_name()
        headers = {"Stream-Forked-From": source_name}
        if anchor_token is not None:
            headers["Stream-Fork-Offset"] = anchor_token
        if sub_offset:
            headers["Stream-Fork-Sub-Offset"] = str(sub_offset)
        note = f"fork at {'tail' if anchor is None else f'position {anchor}'} + sub-offset {sub_offset}"
        response = self.send(note, "PUT", name, headers=headers)
        expected = self.model.expected_fork(name, source_name, anchor, sub_offset)
        self.check_status(response, expected)
        if response.status_code != 201:
            del self.path_of[name]   # nothing was created; keep the name out of later picks
            return
        self.model.apply_fork(name, source_name, anchor, sub_offset)
        self.trace.inherit_offsets(name, source_name, list(self.model.get(name).offsets))
        self.recent = name
        self.check_closed_header(response, False, "a fork starts open (§4.2)")
        self.model.get(name).tail = self.check_offset(response, name, self.model.get(name).length, "fork")

    # ----- delete ---------------------------------------------------------------------
    @precondition(lambda self: self.has_live_streams() and self.supports("delete"))
    @rule(pick=picks)
    def delete(self, pick: int) -> None:
        # Sources with live forks half the time: soft-delete is where servers go wrong (§4.2).
        sources = [n for n in self.model.live_paths() if self.model.get(n).forks]
        name = sources[pick % len(sources)] if sources and pick % 2 == 0 else self.pick_stream(pick)
        response = self.send("delete", "DELETE", name)
        expected = self.model.expected_delete(name)
        self.check_status(response, expected)
        if self.model.get(name).life is Life.LIVE:
            self.model.apply_delete(name)

    @precondition(lambda self: any(s.life is Life.SOFT_DELETED for s in self.model.streams.values()))
    @rule(pick=picks)
    def recreate_soft_deleted(self, pick: int) -> None:
        names = [n for n, s in self.model.streams.items() if s.life is Life.SOFT_DELETED]
        name = names[pick % len(names)]
        stream = self.model.get(name)
        response = self.send("re-create a soft-deleted path", "PUT", name,
                             headers={"Content-Type": stream.content_type})
        self.check_status(response, self.model.expected_create(name))

    # ----- reads ----------------------------------------------------------------------
    def read(self, pick: int, offset_pick: int | None) -> None:
        name = self.pick_recent_or(pick)
        stream = self.model.get(name)
        if offset_pick is None or not stream.offsets:
            position, token = 0, "-1"
        else:
            position, token = stream.tokens_by_position()[offset_pick % len(stream.offsets)]
        expected = self.model.expected_read(name)
        for _ in range(MAX_READ_CHUNKS):
            response = self.send("read", "GET", name, offset=token)
            self.check_status(response, expected)
            if response.status_code != 200:
                return
            got = self.decode(name, response)
            wanted = self.model.content_from(name, position)[:len(got)]
            self.trace.expect_body(response_body_check(
                self.model.content_from(name, position) if self.up_to_date(response) else wanted,
                stream.json_mode))
            if got != wanted or (self.up_to_date(response) and len(got) != stream.length - position):
                raise ModelViolation(f"read from position {position}: got {got!r}, "
                                     f"expected {self.model.content_from(name, position)!r} (read-your-writes)")
            position += len(got)
            token = self.check_offset(response, name, position, "read")
            if self.up_to_date(response) or position >= stream.length:
                break
        else:
            raise ModelViolation(f"read never caught up after {MAX_READ_CHUNKS} chunks")
        if position != stream.length:
            raise ModelViolation(f"read stopped at position {position} of {stream.length}")
        self.trace.expect_header("Stream-Up-To-Date", {"equals_ci": "true"})
        if not self.up_to_date(response):
            raise ModelViolation("Stream-Up-To-Date: true missing at the tail (§5.6)")
        self.check_closed_header(response, stream.closed, "Stream-Closed at the tail (§5.6)")

    read_rule = precondition(has_streams)(rule(pick=picks, offset_pick=st.one_of(st.none(), picks))(read))
    read_again_rule = precondition(has_streams)(rule(pick=picks, offset_pick=st.one_of(st.none(), picks))(read))

    @staticmethod
    def up_to_date(response: httpx.Response) -> bool:
        return response.headers.get("Stream-Up-To-Date", "").lower() == "true"

    def decode(self, name: str, response: httpx.Response) -> Content:
        if not self.model.get(name).json_mode:
            return response.content
        try:
            value = json.loads(response.content)
        except ValueError as error:
            raise ModelViolation(f"JSON stream read returned invalid JSON: {response.content[:80]!r}") from error
        if not isinstance(value, list):
            raise ModelViolation(f"JSON stream read must return an array (§9.1.5), got {value!r}")
        return value

    @precondition(has_streams)
    @rule(pick=picks)
    def head(self, pick: int) -> None:
        name = self.pick_stream(pick)
        stream = self.model.get(name)
        response = self.send("head", "HEAD", name)
        expected = self.model.expected_head(name)
        self.check_status(response, expected)
        if response.status_code != 200:
            return
        self.check_closed_header(response, stream.closed, "HEAD reports closure (§5.5)")
        self.check_offset(response, name, stream.length, "HEAD tail")
