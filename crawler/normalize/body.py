"""Article bodies: plain text for search and a sanitized HTML for display."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin

import nh3
from lxml import etree

from crawler.normalize.text import clean_text, collapse_spaces

_PARSER = etree.HTMLParser()
_EDGE_BREAKS = re.compile(r"^(?:\s*<br>)+\s*|\s*(?:<br>\s*)+$")
_NOT_TEXT = ("script", "style", "noscript", "template", "iframe", "frame", "object", "embed",
             "svg", "canvas", "audio", "video")  # fmt: skip
# Elements that make a paragraph of their own; the innermost ones are the paragraphs.
_BLOCK_TAGS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "pre")
_BLOCK_TEST = " or ".join(f"self::{tag}" for tag in _BLOCK_TAGS)
_LEAF_BLOCKS = etree.XPath(f".//*[{_BLOCK_TEST}][not(.//*[{_BLOCK_TEST}])]")
# Display HTML keeps these tags, and of attributes only a link's absolute href.
_KEEP_BLOCK = frozenset({"p", "h2", "h3", "h4", "blockquote"})
_ALLOWED_TAGS = {"p", "br", "strong", "b", "em", "i", "u", "sub", "sup", "a", "h2", "h3", "h4",
                 "blockquote"}  # fmt: skip


@dataclass(frozen=True)
class Body:
    paragraphs: tuple[str, ...] = ()  # clean text, one per paragraph
    blocks: tuple[str, ...] = ()  # the same paragraphs as sanitized display HTML

    @property
    def text(self) -> str:
        """Paragraphs separated by one blank line."""
        return "\n\n".join(self.paragraphs)

    @property
    def html(self) -> str:
        """One sanitized block element per paragraph, one per line."""
        return "\n".join(block for block in self.blocks if block)

    def part(self, start: int, stop: int | None = None) -> Body:
        return Body(self.paragraphs[start:stop], self.blocks[start:stop])


@dataclass(frozen=True)
class Boilerplate:
    """A site's chrome that must never reach a body: whole lines (share labels,
    banner alt texts, archive links) and line openings (footers: "All rights
    reserved. Contact us ..." whatever follows). Each layout has its own."""

    lines: frozenset[str] = frozenset()  # casefolded
    prefixes: tuple[str, ...] = ()  # casefolded

    @classmethod
    def of(cls, lines: Iterable[str] = (), prefixes: Iterable[str] = ()) -> Boilerplate:
        return cls(frozenset(line.casefold() for line in lines),
                   tuple(prefix.casefold() for prefix in prefixes))  # fmt: skip

    def __or__(self, other: Boilerplate) -> Boilerplate:
        return Boilerplate(self.lines | other.lines, self.prefixes + other.prefixes)

    def matches(self, paragraph: str) -> bool:
        folded = paragraph.casefold()
        return folded in self.lines or folded.startswith(self.prefixes)


NO_BOILERPLATE = Boilerplate()


def normalize_body(raw_html: str, base_url: str, boilerplate: Boilerplate = NO_BOILERPLATE) -> Body:
    """The body container's inner HTML -> clean text and display HTML, without
    the paragraphs that are boilerplate."""
    if not raw_html.strip():
        return Body()
    # lxml's plain parser: lxml.html's element classes cost a Python lookup per node.
    root = etree.fromstring(f"<div>{raw_html}</div>", _PARSER).find("body/div")
    # Code, and embedded content whose fallback text ("Your browser does not
    # support frames") is no part of a statement.
    etree.strip_elements(root, *_NOT_TEXT, with_tail=False)
    for link in root.iter("a"):  # only links keep an attribute in the display HTML
        if href := link.get("href"):
            link.set("href", urljoin(base_url, href.strip()))
    for br in root.iter("br"):
        br.tail = "\n" + (br.tail or "")  # a line break separates words in the text too
    texts: list[str] = []
    blocks: list[str] = []
    leaves = _LEAF_BLOCKS(root)
    if leaves:
        for element in leaves:
            text = clean_text("".join(element.itertext()))
            if text and not boilerplate.matches(text):
                texts.append(text)
                blocks.append(_display_block(element))
    else:
        # No paragraph markup at all: paragraphs are separated by blank lines.
        for chunk in re.split(r"\n\s*\n", "".join(root.itertext())):
            text = clean_text(chunk)
            if text and not boilerplate.matches(text):
                texts.append(text)
                blocks.append(f"<p>{html.escape(text, quote=False)}</p>")
    # One sanitizer call for the page; a block has no newline, so lines stay blocks.
    sanitized = _sanitize("\n".join(blocks)).split("\n")
    if len(sanitized) != len(blocks):
        sanitized = [_sanitize(block) for block in blocks]
    return Body(tuple(texts), tuple(_clean_block(block) for block in sanitized))


def _sanitize(markup: str) -> str:
    return nh3.clean(
        markup,
        tags=_ALLOWED_TAGS,
        attributes={"a": {"href"}},
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        strip_comments=True,
    )


def _clean_block(block: str) -> str:
    """The same whitespace rules as the text, applied to a sanitized display block."""
    block = unicodedata.normalize("NFC", block.replace("&nbsp;", " "))
    return _trim_breaks(collapse_spaces(block))


def _trim_breaks(block: str) -> str:
    """``<p><br> text<br></p>`` -> ``<p>text</p>``: line breaks at the edges of a
    block (found after sanitizing unwraps the spans they hide in) are CMS debris."""
    if "<br>" not in block:
        return block
    start, end = block.find(">") + 1, block.rfind("</")
    # One pass each way: slicing off one <br> at a time is quadratic in a
    # hostile block of thousands of them.
    inner = _EDGE_BREAKS.sub("", block[start:end]).strip()
    return block[:start] + inner + block[end:]


def _display_block(element: etree._Element) -> str:
    tag = element.tag if element.tag in _KEEP_BLOCK else "p"
    inner = html.escape(element.text or "", quote=False) + "".join(
        etree.tostring(child, encoding=str, method="html") for child in element
    )
    inner = collapse_spaces(inner)
    return f"<{tag}>{inner}</{tag}>"
