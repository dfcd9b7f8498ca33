"""The shell every dscheck HTML page shares: escaping, colours, inline CSS, a strict CSP.

Pages are standalone (no external assets, no JavaScript): the Content-Security-Policy
forbids loading anything at all, so even a mistake in escaping could not fetch or run code.
"""

from __future__ import annotations

import html
import re

from conformance.reporting.text import printable

# Autobahn|Testsuite's palette, extended to dscheck's outcomes.
OUTCOME_COLOURS: dict[str, str] = {
    "pass": "#0a0",
    "non-strict": "#9a0",
    "fail": "#900",
    "error": "#a05a48",
    "unexpected-pass": "#d2691e",
    "expected-fail": "#4095bf",
    "unsupported": "#9b68cb",
    "skipped": "#888",
}
NOT_RUN_COLOUR = "#eee"

CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def esc(text: object) -> str:
    """Any text, and everything a server sent in particular, as inert HTML."""
    return html.escape(printable(text), quote=True)


def css_token(text: str) -> str:
    """A value usable in a class name or id (derived from ours, never trusted verbatim)."""
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text).strip("-") or "x"


def _outcome_css() -> str:
    rules = [f".o-{name}{{background:{colour};color:#fff}}" for name, colour in OUTCOME_COLOURS.items()]
    rules.append(f".o-not-run{{background:{NOT_RUN_COLOUR};color:#555}}")
    return "\n".join(rules)


BASE_CSS = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:1.5rem;color:#222;background:#fff}
h1{font-size:1.5rem;margin:0 0 .3rem}
h2{font-size:1.15rem;margin:1.6rem 0 .5rem;border-bottom:1px solid #ddd}
h3{font-size:1rem;margin:.8rem 0 .3rem}
.meta{color:#555;margin:0 0 1rem}
.meta code{background:#f4f4f4;padding:0 .25rem}
table{border-collapse:collapse;margin:.4rem 0}
th,td{border:1px solid #ccc;padding:.2rem .5rem;text-align:left;vertical-align:top}
th{background:#f4f4f4}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.badges{display:flex;flex-wrap:wrap;gap:.4rem;margin:.4rem 0}
.badge{display:inline-block;border-radius:3px;padding:.15rem .5rem;font-weight:600}
.badge.zero{opacity:.35}
.cell{font-weight:600;text-align:center;vertical-align:middle;white-space:nowrap}
details{border:1px solid #ddd;border-radius:4px;margin:.5rem 0;padding:.3rem .6rem}
details>summary{cursor:pointer}
pre{background:#f6f8fa;border:1px solid #e1e4e8;padding:.5rem;overflow:auto;max-height:30rem;
    white-space:pre-wrap;overflow-wrap:break-word;margin:.3rem 0}
.checks pre{min-width:6rem;max-width:40vw}
blockquote{margin:.3rem 0;padding-left:.7rem;border-left:3px solid #ccc;color:#444}
.small{font-size:.85em;color:#666}
"""


def page(title: str, body: str) -> str:
    """A complete HTML document; `title` is escaped here, `body` must already be safe."""
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n"
        f"<style>{BASE_CSS}{_outcome_css()}</style>\n"
        f"</head>\n<body>\n{body}\n</body>\n</html>\n"
    )
