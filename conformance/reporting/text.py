"""Plain-text building blocks shared by every format: making untrusted text safe to embed,
and rendering an HTTP transcript the way a person reads it (curl -v style).
"""

from __future__ import annotations

import re

from conformance.results import Exchange, HttpRequestRecord, HttpResponseRecord

# Everything XML 1.0 forbids (C0 controls except tab/LF/CR, lone surrogates, U+FFFE/U+FFFF),
# plus DEL and C1 controls, which are legal but render as nothing or garble terminals.
_UNPRINTABLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]"
)


def printable(text: object) -> str:
    """Server text made safe to embed in XML/HTML/Markdown: unprintables become visible escapes.

    Lone surrogates matter too: they cannot be encoded to UTF-8, so one in a body would
    otherwise crash the writer.
    """
    return _UNPRINTABLE.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                            else f"\\u{ord(m.group()):04x}", str(text))


def clip(text: str, limit: int) -> str:
    """Shorten long text for compact formats, saying how much was left out."""
    if len(text) <= limit:
        return text
    return text[:limit] + f"… [{len(text) - limit} more characters]"


def step_label(step: str) -> str:
    """A step as people read it: "fork" -> "step fork"; "step 3 (head)" stays as it is."""
    return step if step.lower().startswith("step") else f"step {step}"


def _body_lines(prefix: str, preview: str, encoding: str, length: int, truncated: bool) -> list[str]:
    if not preview and not length:
        return []
    note = f"[{length} bytes" + (", base64" if encoding == "base64" else "") \
        + (", preview truncated" if truncated else "") + "]"
    lines = [f"{prefix} {note}"]
    lines += [f"{prefix} {line}" for line in preview.splitlines() or [""]]
    return lines


def request_text(request: HttpRequestRecord) -> list[str]:
    lines = [f"> {request.method} {request.url}"]
    lines += [f"> {name}: {value}" for name, value in request.headers.items()]
    body = _body_lines(">", request.body_preview, request.body_encoding, request.body_length, False)
    return lines + ([">"] + body if body else [])


def response_text(response: HttpResponseRecord) -> list[str]:
    lines = [f"< {response.status}"]
    lines += [f"< {name}: {value}" for name, value in response.headers.items()]
    body = _body_lines("<", response.body_preview, response.body_encoding, response.body_length,
                       response.truncated)
    return lines + (["<"] + body if body else [])


def exchange_text(exchange: Exchange) -> str:
    lines = [f"--- {step_label(exchange.step)} ({exchange.elapsed_s * 1000:.0f} ms)"]
    lines += request_text(exchange.request)
    if exchange.response is not None:
        lines += response_text(exchange.response)
    if exchange.error:
        lines.append(f"! transport error: {exchange.error}")
    return printable("\n".join(lines))


def transcript_text(exchanges: list[Exchange]) -> str:
    return "\n\n".join(exchange_text(exchange) for exchange in exchanges)


def replay_commands(exchanges: list[Exchange], failed_steps: set[str] | None = None) -> list[str]:
    """The curl commands that replay a scenario up to (and including) its last failed step.

    Earlier steps are kept because they set the state (created streams, appended data)
    the failing request depends on; later ones are noise. Unknown steps: replay everything.
    """
    last = len(exchanges) - 1
    if failed_steps:
        matching = [i for i, e in enumerate(exchanges) if e.step in failed_steps]
        if matching:
            last = matching[-1]
    return [printable(e.curl) for e in exchanges[: last + 1] if e.curl]
