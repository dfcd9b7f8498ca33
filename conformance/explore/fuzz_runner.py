"""Send fuzz cases to a server and collect findings.

A finding is any 5xx, a request that hangs past the per-request timeout or drops the
connection, or a write the server acknowledged (2xx) that a later read does not return.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from conformance.explore.fuzz_cases import SOURCE, TAIL, FuzzCase, FuzzRequest
from conformance.http_exchange import PreparedRequest, curl_command

PREVIEW_BYTES = 300
MAX_READ_CHUNKS = 20


@dataclass
class Finding:
    case: int
    area: str
    kind: str                     # "5xx" | "hang" | "transport" | "read-back"
    detail: str
    request: dict[str, Any]
    curl: str
    response: dict[str, Any] | None = None


@dataclass
class FuzzReport:
    target: str
    seed: int
    budget: int
    requests: int = 0
    unsendable: int = 0           # requests the HTTP client itself refused to put on the wire
    findings: list[Finding] = field(default_factory=list)

    def to_json_dict(self) -> dict[str, Any]:
        return asdict(self)


def preview(data: bytes) -> str:
    head = data[:PREVIEW_BYTES]
    text = head.decode("utf-8", "replace")
    return text + (f"... ({len(data)} bytes)" if len(data) > PREVIEW_BYTES else "")


def curl_line(method: str, url: str, headers: dict[str, str], body: bytes | None) -> str:
    # bounded, so replaying a request that hung the server does not hang the shell too
    return curl_command(PreparedRequest(method, url, headers, body or b""), max_time_s=10)


def strict_json(body: bytes) -> Any:
    """Parse as RFC 8259 JSON: Python's NaN/Infinity extensions are refused."""
    def refuse(constant: str) -> Any:
        raise ValueError(f"{constant} is not JSON")
    return json.loads(body, parse_constant=refuse)


class CaseRunner:
    """Runs one case: setup, hostile requests, then the read-back of acknowledged writes."""

    def __init__(self, client: httpx.Client, base_url: str, prefix: str, index: int, case: FuzzCase,
                 report: FuzzReport) -> None:
        self.client, self.base_url, self.prefix = client, base_url, prefix
        self.index, self.case, self.report = index, case, report
        stem = f"{prefix}/fuzz-{uuid.uuid4().hex[:8]}-{index}"
        self.source_path, self.fresh_path = f"{stem}-src", f"{stem}-new"
        self.tail = ""
        # path -> (content type, acknowledged content) for the read-back; None: not checkable
        self.expected: dict[str, tuple[str, list[bytes]] | None] = {}
        self.writes: dict[str, list[tuple[dict[str, Any], str]]] = {}   # path -> acknowledged writes
        self.last_record: dict[str, Any] = {}   # the last request that got an answer, and its curl
        self.last_curl = ""

    def fill(self, text: str) -> str:
        return text.replace(SOURCE, self.source_path).replace("{fresh}", self.fresh_path).replace(TAIL, self.tail)

    def send(self, method: str, path: str, headers: dict[str, str], body: bytes | None,
             query: dict[str, str] | None) -> httpx.Response | None:
        url = self.base_url + path
        self.report.requests += 1
        # Header values go out as raw UTF-8 bytes: hostile clients are not limited to ASCII.
        raw_headers = {name: value.encode("utf-8") for name, value in headers.items()}
        request = self.client.build_request(method, url, headers=raw_headers, content=body, params=query)
        record = {"method": method, "url": str(request.url), "headers": headers,
                  "body_preview": preview(body or b""), "body_length": len(body or b"")}
        if body and len(body) <= 65536:
            record["body_base64"] = base64.b64encode(body).decode()
        curl = curl_line(method, str(request.url), headers, body)
        try:
            response = self.client.send(request)
        except httpx.LocalProtocolError:
            self.report.unsendable += 1   # our HTTP client refused to send it: not the server's fault
            return None
        except httpx.TimeoutException as error:
            self.add("hang", f"no complete answer within the per-request timeout ({type(error).__name__})",
                     record, curl)
            return None
        except httpx.HTTPError as error:
            self.add("transport", f"{type(error).__name__}: {error}", record, curl)
            return None
        if response.status_code >= 500:
            self.add("5xx", f"status {response.status_code}", record, curl, response)
        self.last_record, self.last_curl = record, curl
        return response

    def add(self, kind: str, detail: str, record: dict[str, Any], curl: str,
            response: httpx.Response | None = None) -> None:
        answer = None
        if response is not None:
            answer = {"status": response.status_code, "headers": dict(response.headers),
                      "body_preview": preview(response.content)}
        self.report.findings.append(Finding(self.index, self.case.area, kind,
                                            f"{self.case.description}: {detail}", record, curl, answer))

    def run(self) -> None:
        if self.case.setup_type is not None:
            response = self.send("PUT", self.source_path, {"Content-Type": self.case.setup_type},
                                 self.case.setup_body or None, None)
            if response is None or response.status_code != 201:
                return   # the setup itself is not hostile; a refusal there is not our case
            self.tail = response.headers.get("Stream-Next-Offset", "")
            self.expected[self.source_path] = (self.case.setup_type, [self.case.setup_body] if self.case.setup_body else [])
        for step in self.case.requests:
            self.run_request(step)
        for path, expectation in self.expected.items():
            if expectation is not None:
                self.read_back(path, *expectation)

    def run_request(self, step: FuzzRequest) -> None:
        path = self.fill(step.path)
        headers = {name: self.fill(value) for name, value in step.headers.items()}
        query = {k: self.fill(v) for k, v in step.query.items()} if step.query else None
        response = self.send(step.method, path, headers, step.body, query)
        if response is None:
            return
        self.track(step, path, headers, response)

    def track(self, step: FuzzRequest, path: str, headers: dict[str, str], response: httpx.Response) -> None:
        """Update what `path` must contain after this (possibly acknowledged) request."""
        ok = 200 <= response.status_code < 300
        if step.method == "DELETE" and ok:
            self.expected[path] = None
        elif step.method == "PUT" and response.status_code == 201:
            content_type = response.headers.get("Content-Type") or headers.get("Content-Type", "")
            # Forks inherit content we don't model here; a TTL or expiry may legitimately remove it.
            unmodelled = {"stream-forked-from", "stream-ttl", "stream-expires-at"}
            if unmodelled & {name.lower() for name in headers}:
                self.expected[path] = None
            else:
                self.expected[path] = (content_type, [step.body] if step.body else [])
        elif step.method == "POST" and ok and step.appends and path in self.expected:
            is_producer = any(h.lower() == "producer-id" for h in headers)
            if is_producer and response.status_code == 204:
                return    # §5.2.1: 204 is a deduplicated retry, no new data
            expectation = self.expected[path]
            if expectation is not None and step.body:
                expectation[1].append(step.body)
                self.writes.setdefault(path, []).append((self.last_record, self.last_curl))

    def add_read_back(self, path: str, detail: str, response: httpx.Response) -> None:
        """A read-back finding, reported with the last acknowledged write (the likely culprit)."""
        record, curl = (self.writes.get(path) or [(self.last_record, self.last_curl)])[-1]
        self.add("read-back", f"{detail} (read: {self.last_curl})", record, curl, response)

    def read_back(self, path: str, content_type: str, bodies: list[bytes]) -> None:
        """Every acknowledged write must be readable, in order (read-your-writes, §4)."""
        offset, got = "-1", b""
        messages: list[Any] = []
        json_mode = content_type.lower().split(";")[0].strip() == "application/json"
        for _ in range(MAX_READ_CHUNKS):
            response = self.send("GET", path, {}, None, {"offset": offset})
            if response is None:
                return
            if response.status_code != 200:
                self.add_read_back(path, f"reading back {path} after acknowledged writes: status "
                                   f"{response.status_code}", response)
                return
            if json_mode:
                try:
                    page = strict_json(response.content)
                    if not isinstance(page, list):
                        raise ValueError("not an array")
                    messages += page
                except RecursionError:
                    return    # nested deeper than Python parses: we cannot judge the read-back
                except ValueError:
                    self.add_read_back(path, "JSON stream read is not a JSON array", response)
                    return
            else:
                got += response.content
            next_offset = response.headers.get("Stream-Next-Offset", "")
            if response.headers.get("Stream-Up-To-Date", "").lower() == "true" or next_offset in ("", offset):
                break
            offset = next_offset
        if json_mode:
            wanted: list[Any] = []
            for body in bodies:
                try:
                    value = strict_json(body)
                except RecursionError:
                    return
                except ValueError:
                    self.add_read_back(path, f"acknowledged an append of invalid JSON {preview(body)!r} (§9.1.4)",
                                       response)
                    return
                wanted += value if isinstance(value, list) else [value]
            if messages != wanted:
                self.add_read_back(path, f"acknowledged JSON messages {wanted!r:.200} read back as "
                                   f"{messages!r:.200}", response)
        elif got != b"".join(bodies):
            self.add_read_back(path, f"acknowledged bytes {preview(b''.join(bodies))!r} read back as "
                               f"{preview(got)!r}", response)


def run_fuzz(base_url: str, cases: list[FuzzCase], *, seed: int, prefix: str = "/v1/stream",
             timeout_s: float = 5.0) -> FuzzReport:
    report = FuzzReport(target=base_url + prefix, seed=seed, budget=len(cases))
    with httpx.Client(timeout=timeout_s) as client:
        for index, case in enumerate(cases):
            CaseRunner(client, base_url.rstrip("/"), "/" + prefix.strip("/"), index, case, report).run()
    return report
