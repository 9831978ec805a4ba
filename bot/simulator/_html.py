"""Telegram's HTML parse mode, checked as strictly as Telegram does it."""

from __future__ import annotations

import html
import re

__all__ = ["EntityParseError", "html_to_plain"]

_ALLOWED = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler", "a",
    "code", "pre", "blockquote", "tg-emoji",
}  # fmt: skip
_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^<>]*)?)>")
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#[0-9]+|#x[0-9a-fA-F]+);")


class EntityParseError(ValueError):
    """The text would make Telegram answer 400 "can't parse entities"."""


def html_to_plain(text: str) -> str:
    """Check ``text`` as Telegram's HTML mode would and return what the reader sees."""
    out: list[str] = []
    stack: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        offset = len(text[:i].encode("utf-8"))
        if ch == "<":
            match = _TAG.match(text, i)
            if match is None:
                raise EntityParseError(
                    f'Unsupported start tag "{text[i + 1 : i + 8]}" at byte offset {offset}'
                )
            closing, name = match.group(1) == "/", match.group(2).lower()
            if name not in _ALLOWED:
                raise EntityParseError(f'Unsupported start tag "{name}" at byte offset {offset}')
            if closing:
                if not stack:
                    raise EntityParseError(f"Unexpected end tag at byte offset {offset}")
                if stack[-1] != name:
                    raise EntityParseError(
                        f'Unmatched end tag at byte offset {offset}, expected "</{stack[-1]}>", '
                        f'found "</{name}>"'
                    )
                stack.pop()
            else:
                if name == "a" and "href" not in match.group(3):
                    raise EntityParseError(f"Can't find href in tag at byte offset {offset}")
                stack.append(name)
            i = match.end()
        elif ch == "&":
            match = _ENTITY.match(text, i)
            if match is None:
                raise EntityParseError(
                    f"Character '&' is reserved and must be escaped at byte offset {offset}"
                )
            out.append(html.unescape(match.group(0)))
            i = match.end()
        else:
            out.append(ch)
            i += 1
    if stack:
        raise EntityParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1]}"')
    return "".join(out)
