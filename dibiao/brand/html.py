"""A story's rich text: the HTML a story may keep, cleaned by nh3 (the Ammonia sanitizer).

A story is shown on the public product page, so its HTML is cleaned once, when it is saved,
to a small set of text tags: no images (a story's images are uploaded and checked separately),
no scripts, styles, event attributes or frames, and links only to http/https with
`rel="noopener noreferrer nofollow"`. Text typed without any tags (or pasted from a product's
history field) becomes paragraphs at its blank lines.
"""

from __future__ import annotations

import html
import re

import nh3
from django.utils.html import escape

ALLOWED_TAGS = frozenset(
    {
        "p",
        "br",
        "h2",
        "h3",
        "h4",
        "strong",
        "b",
        "em",
        "i",
        "u",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
    }
)
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = frozenset({"http", "https"})
_TAG = re.compile(r"<[a-zA-Z/!]")
_BLANK_LINES = re.compile(r"\n\s*\n")


def plain_text_to_html(text: str) -> str:
    """Paragraphs at blank lines, line breaks within them; the text itself escaped."""
    paragraphs = [p.strip() for p in _BLANK_LINES.split(text.replace("\r\n", "\n")) if p.strip()]
    return "".join(f"<p>{escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)


def clean_story_html(value: str) -> str:
    """The HTML that is stored and shown. Tags outside the list are dropped with their text
    kept; the content of <script> and <style> is dropped altogether."""
    value = value.strip()
    if not _TAG.search(value):
        value = plain_text_to_html(value)
    return nh3.clean(
        value,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(names) for tag, names in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


def html_text(value: str) -> str:
    """The text of stored story HTML, for checking it is not empty and for summaries."""
    return html.unescape(nh3.clean(value, tags=set())).strip()
