"""Hostile and boundary inputs for `dscheck fuzz`, generated from a seeded `random.Random`.

A case is a short script: requests against fresh stream paths, some of them writes whose
acknowledged effect the runner reads back afterwards. Each generator covers one area of
the spec (offsets, TTL/expiry, producers, Stream-Seq, forks, content types, bodies, paths).
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field

BYTES_TYPE = "application/octet-stream"
JSON_TYPE = "application/json"
MAX_SAFE = 2**53 - 1    # §5.2.1: producer epoch and seq are at most 2^53-1

# Placeholders the runner swaps for real values: a stream path, an offset it returned.
SOURCE = "{source}"      # path of the case's pre-created stream
TAIL = "{tail}"          # that stream's tail offset at creation


@dataclass
class FuzzRequest:
    method: str
    path: str                                 # relative to the prefix; may contain SOURCE
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None
    query: dict[str, str] | None = None
    # How an acknowledged (2xx) answer changes the stream's content, for the read-back:
    # "bytes" appends the body, "json" appends the flattened body, None changes nothing.
    appends: str | None = None


@dataclass
class FuzzCase:
    area: str
    description: str
    setup_type: str | None                    # create SOURCE with this content type first (None: no setup)
    requests: list[FuzzRequest]
    setup_body: bytes = b""


def offsets(rng: random.Random) -> FuzzCase:
    value = rng.choice([
        "", "-2", "-1", "now", "NOW", "0", "-0", "9" * 40, "1e9", "0x10", " -1", "-1 ", "\x00",
        "a" * 5000, "\u00e9\u00e8", "%00", "..", "-1,0", TAIL + "0", TAIL[:-1], "_", "0_0",
        "0000000000000000_0000000000000000", "ffffffffffffffff_ffffffffffffffff", TAIL,
    ])
    extra = rng.choice([{}, {"live": "bogus"}, {"live": ""}, {"cursor": "x" * 300}])
    return FuzzCase("offsets", f"GET with offset {value[:40]!r}", BYTES_TYPE,
                    [FuzzRequest("GET", SOURCE, query={"offset": value, **extra})], setup_body=b"abc")


def ttl_and_expiry(rng: random.Random) -> FuzzCase:
    ttl = rng.choice([None, "", "-1", "+3600", "03600", "3600.0", "3.6e3", "0", "1", str(MAX_SAFE),
                      str(2**64), "9" * 60, "6 0", "60s", "abc", "\u0663\u0660"])
    expires = rng.choice([None, "", "2020-01-01T00:00:00Z", "2999-12-31T23:59:59Z", "not-a-date",
                          "2024-02-30T00:00:00Z", "2024-01-01T00:00:00+25:00", "9" * 40,
                          "2024-01-01 00:00:00", "1704067200"])
    headers = {"Content-Type": BYTES_TYPE}
    if ttl is not None:
        headers["Stream-TTL"] = ttl
    if expires is not None:
        headers["Stream-Expires-At"] = expires
    return FuzzCase("ttl", f"PUT with Stream-TTL {ttl!r}, Stream-Expires-At {expires!r}", None,
                    [FuzzRequest("PUT", "{fresh}", headers, b"x"),
                     FuzzRequest("HEAD", "{fresh}")])


def producer_value(rng: random.Random) -> str:
    return rng.choice([str(MAX_SAFE), str(MAX_SAFE + 1), str(MAX_SAFE - 1), str(2**63), str(2**64),
                       "-1", "-0", "1.0", "1e3", "0x10", "1 1", "", "01", "+1", "9" * 400, "0", "1"])


def producers(rng: random.Random) -> FuzzCase:
    content_type = rng.choice([BYTES_TYPE, JSON_TYPE])
    pid = rng.choice(["p", "", "a b", "x" * 2000, "\u00fc", "p,q", "p\tq"])
    requests: list[FuzzRequest] = []
    epoch, seq = "0", "0"
    for index in range(rng.randint(1, 5)):
        if rng.random() < 0.6:
            epoch = producer_value(rng) if rng.random() < 0.3 else epoch
            seq = producer_value(rng)
        headers = {"Content-Type": content_type, "Producer-Id": pid, "Producer-Epoch": epoch,
                   "Producer-Seq": seq}
        if rng.random() < 0.15:
            del headers[rng.choice(["Producer-Id", "Producer-Epoch", "Producer-Seq"])]
        body = json.dumps({"n": index}).encode() if content_type == JSON_TYPE else f"<{index}>".encode()
        requests.append(FuzzRequest("POST", SOURCE, headers, body,
                                    appends="json" if content_type == JSON_TYPE else "bytes"))
    return FuzzCase("producers", f"producer appends id={pid[:10]!r} values near 2^53", content_type, requests)


def stream_seq(rng: random.Random) -> FuzzCase:
    values = ["1", "2", "10", "09", "a", "A", "", "a b", "\u00ff", "0" * 300, "z", "aa", "b"]
    requests = [FuzzRequest("POST", SOURCE, {"Content-Type": BYTES_TYPE, "Stream-Seq": rng.choice(values)},
                            f"[{i}]".encode(), appends="bytes") for i in range(rng.randint(2, 6))]
    return FuzzCase("stream-seq", "appends with shuffled Stream-Seq values", BYTES_TYPE, requests)


def forks(rng: random.Random) -> FuzzCase:
    source = rng.choice([SOURCE, SOURCE, SOURCE + "-missing", "", "/", "http://example.invalid" + SOURCE,
                         SOURCE + "/..", "{fresh}", SOURCE.upper(), SOURCE + "%00", SOURCE + "?x=1"])
    headers = {"Stream-Forked-From": source}
    offset = rng.choice([None, TAIL, "-1", "now", "", "garbage", "9" * 40, TAIL + "1"])
    if offset is not None:
        headers["Stream-Fork-Offset"] = offset
    sub = rng.choice([None, "0", "1", "3", "-1", "1.5", "", str(MAX_SAFE), str(2**64), "abc", "01"])
    if sub is not None:
        headers["Stream-Fork-Sub-Offset"] = sub
    if rng.random() < 0.3:
        headers["Content-Type"] = rng.choice([JSON_TYPE, "text/plain", BYTES_TYPE, ""])
    return FuzzCase("fork", f"fork with {headers}", rng.choice([BYTES_TYPE, JSON_TYPE]),
                    [FuzzRequest("PUT", "{fresh}", headers), FuzzRequest("GET", "{fresh}", query={"offset": "-1"})],
                    setup_body=b"[1,2,3]")


def content_types(rng: random.Random) -> FuzzCase:
    odd = rng.choice(["", "application/json; charset=utf-8", "APPLICATION/JSON", "text/plain;;",
                      "x" * 3000, "\u00e9/\u00e8", "application/json, text/plain", "*/*", "text/",
                      "multipart/form-data; boundary=", "application/octet-stream; x=\"unterminated"])
    body = b"[1]" if "json" in odd.lower() else b"data"
    return FuzzCase("content-type", f"create and append with Content-Type {odd[:40]!r}", None, [
        FuzzRequest("PUT", "{fresh}", {"Content-Type": odd}),
        FuzzRequest("POST", "{fresh}", {"Content-Type": odd}, body, appends="auto"),
        FuzzRequest("POST", "{fresh}", {"Content-Type": rng.choice([BYTES_TYPE, JSON_TYPE])}, body,
                    appends="auto"),
    ])


def bodies(rng: random.Random) -> FuzzCase:
    content_type = rng.choice([BYTES_TYPE, JSON_TYPE])
    body = rng.choice([
        b"", b"[]", b"{", b"[1,", b"\xff\xfe", b"NaN", b"[NaN]", b"1e999", b"\"\\ud800\"",
        b"[" * 5000 + b"]" * 5000, b"{\"a\":" * 3000 + b"1" + b"}" * 3000,
        b"\x00" * 100, b"x" * (1 << 20), b"[[]]", b"[1]" * 3, b" ", b"\n", b"null", b"[null]",
    ])
    closing = rng.random() < 0.2
    headers = {"Content-Type": content_type}
    if closing:
        headers["Stream-Closed"] = rng.choice(["true", "TRUE", "false", "1", ""])
    kind = "json" if content_type == JSON_TYPE else "bytes"
    return FuzzCase("body", f"append {len(body)} hostile bytes to a {content_type} stream", content_type,
                    [FuzzRequest("POST", SOURCE, headers, body, appends=kind)],
                    setup_body=b"[0]" if content_type == JSON_TYPE else b"")


def paths(rng: random.Random) -> FuzzCase:
    path = rng.choice(["{fresh}%00", "{fresh}/../x", "{fresh}%2F..%2Fx", "{fresh}/" + "a" * 6000,
                       "{fresh}\u00e9", "{fresh}//x", "{fresh}?", "{fresh};x=1", "{fresh}%", "{fresh}%zz",
                       "{fresh}.", "{fresh}/.", "{fresh}%0d%0aX-Injected:%201", "{fresh}%0a", "{fresh}%20"])
    method = rng.choice(["PUT", "GET", "HEAD", "POST", "DELETE", "PATCH", "OPTIONS"])
    headers = {"Content-Type": BYTES_TYPE} if method in ("PUT", "POST") else {}
    return FuzzCase("path", f"{method} on an odd path", None,
                    [FuzzRequest(method, path, headers, b"x" if method == "POST" else None)])


def create_conflicts(rng: random.Random) -> FuzzCase:
    """Repeated PUTs with differing config on one path, then reads."""
    options = [{"Content-Type": BYTES_TYPE}, {"Content-Type": JSON_TYPE}, {"Stream-Closed": "true"},
               {"Content-Type": BYTES_TYPE, "Stream-TTL": "60"}, {}]
    requests = [FuzzRequest("PUT", SOURCE, dict(rng.choice(options)), rng.choice([None, b"abc", b"[1]"]))
                for _ in range(rng.randint(1, 3))]
    requests.append(FuzzRequest("DELETE", SOURCE) if rng.random() < 0.3 else FuzzRequest("HEAD", SOURCE))
    requests.append(FuzzRequest("PUT", SOURCE, {"Content-Type": BYTES_TYPE}))
    return FuzzCase("create", "PUT again with differing config, delete, re-create", BYTES_TYPE, requests,
                    setup_body=b"abc")


GENERATORS: list[Callable[[random.Random], FuzzCase]] = [
    offsets, ttl_and_expiry, producers, stream_seq, forks, content_types, bodies, paths, create_conflicts,
]


def generate_cases(seed: int, budget: int) -> list[FuzzCase]:
    """`budget` cases, round-robin over the areas so every area is covered even at small budgets."""
    rng = random.Random(seed)
    return [GENERATORS[index % len(GENERATORS)](rng) for index in range(budget)]
