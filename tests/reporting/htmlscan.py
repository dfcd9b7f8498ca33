"""A tiny DOM index over HTML text (ours or Chromium's --dump-dom), for assertions."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    text_parts: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.text_parts)


class DomIndex(HTMLParser):
    def __init__(self, markup: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self._open: list[Element] = []
        self.feed(markup)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {k: v or "" for k, v in attrs})
        self.elements.append(element)
        if tag not in VOID:
            self._open.append(element)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self._open) - 1, -1, -1):
            if self._open[i].tag == tag:
                del self._open[i:]
                break

    def handle_data(self, data: str) -> None:
        for element in self._open:
            element.text_parts.append(data)

    def by_id(self, ident: str) -> Element:
        found = [e for e in self.elements if e.attrs.get("id") == ident]
        assert len(found) == 1, f"expected one element #{ident}, found {len(found)}"
        return found[0]

    def find(self, tag: str | None = None, **attrs: str) -> list[Element]:
        return [e for e in self.elements
                if (tag is None or e.tag == tag)
                and all(e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())]

    def int_by_id(self, ident: str) -> int:
        return int(self.by_id(ident).text.strip())


EXTERNAL_TAGS = {"script", "link", "img", "iframe", "object", "embed", "video", "audio", "source", "frame"}
URL_ATTRS = {"src", "srcset", "href", "action", "formaction", "poster", "data", "background"}


def external_references(dom: DomIndex) -> list[str]:
    """Anything that would make the page fetch a resource or run a script."""
    problems = [f"<{e.tag}>" for e in dom.elements if e.tag in EXTERNAL_TAGS]
    for e in dom.elements:
        for name, value in e.attrs.items():
            if name in URL_ATTRS and not value.startswith("#"):
                problems.append(f"<{e.tag} {name}={value!r}>")
            if name.startswith("on"):
                problems.append(f"<{e.tag} {name}>")
            if name == "style" and ("url(" in value or "@import" in value):
                problems.append(f"<{e.tag} style={value!r}>")
    for style in dom.find("style"):
        if "url(" in style.text or "@import" in style.text:
            problems.append("url()/@import in <style>")
    return problems
