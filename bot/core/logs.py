"""Logging set-up with secret redaction: tokens never reach a log line or a traceback.

httpx logs request URLs at INFO and Telegram puts the bot token in the URL path, so httpx and
httpcore are held at WARNING (python-telegram-bot's own advice; the bot's Telegram requests now go
over aiohttp, which logs none, and the Kavenegar client's URLs hold no secret, but a token must
not depend on which library carries it). That is not enough: exception
texts carry URLs too, and python-telegram-bot logs the parameters of every Bot API call at DEBUG,
message texts (and so access tokens) included. Every handler therefore gets a
:class:`SecretRedactor` that rewrites the message, its arguments and the formatted traceback.

A secret reaches a log line in more shapes than its own: the bot HTML-escapes access tokens inside
``<code>`` and URL-quotes them into join links, and the logged request parameters are Python
``repr`` or JSON text. :func:`_forms` lists every shape the bot produces, and each is redacted.

Redaction runs inside the event loop for every log line, with up to 10,000 remembered access
tokens, so its cost must follow the length of the line, not the number of secrets. A
:class:`_GramIndex` files each form under a few of its substrings of fixed width (``grams``) and
looks up only the grams found at every ``stride``-th position of the line: a handful of dictionary
lookups, done in C, for a line in which nothing is to be redacted.
"""

from __future__ import annotations

import contextlib
import html
import json
import logging
import re
import sys
import threading
from collections import OrderedDict
from collections.abc import Iterable
from typing import TextIO
from urllib.parse import quote, quote_plus

__all__ = ["REDACTED", "SecretRedactor", "configure_logging"]

REDACTED = "***"
# Any bot token, ours or not, as it appears in Bot API URLs: keep the bot id, hide the secret.
_BOT_TOKEN = re.compile(r"(?<![0-9])([0-9]{3,}):[A-Za-z0-9_-]{20,}")
#: Part of every bot-token shape, and quick to look for (it starts with a plain character): most
#: lines do not hold it, and then _BOT_TOKEN, slow to search, need not be tried.
_BOT_TOKEN_HINT = re.compile(r":[A-Za-z0-9_-]{20}")
_MAX_REMEMBERED = 10_000
_MIN_REMEMBERED_LENGTH = 6
#: Characters no escaping below changes (URL quoting's always-safe set): a secret made of them
#: only (a UUID) has a single form.
_PLAIN = re.compile(r"[A-Za-z0-9_.~-]*")
#: (stride, width) of each gram index, longest forms first: an index takes the forms at least
#: ``stride + width - 1`` characters long. The first takes every usual access token (a UUID is 36);
#: the second takes the rest of what ``add`` accepts (6 characters and more).
_TIERS = ((8, 8), (2, 5))

#: One occurrence of a secret's form in a text: start, end, and what replaces it.
_Span = tuple[int, int, str]


def _forms(secret: str) -> list[str]:
    """Every shape in which the bot can write ``secret`` into a log line (issue 8 item 14).

    The bot writes a token raw, HTML-escaped (in ``<code>``, either way of escaping quotes), or
    URL-quoted (join links, ``safe=""`` and the defaults of ``quote`` and ``quote_plus``). Requests
    carry each of those as JSON, and logging shows text and bodies as a Python ``repr`` of a str or
    of bytes (python-telegram-bot logs request parameters as a dict); whether a quote is escaped
    there depends on the whole string, so both ways are listed.
    """
    if _PLAIN.fullmatch(secret):
        return [secret]
    bases = [secret, html.escape(secret, quote=False), html.escape(secret)]
    with contextlib.suppress(UnicodeEncodeError):  # a lone surrogate cannot be in a link
        bases += [quote(secret, safe=""), quote(secret), quote_plus(secret)]
    forms: dict[str, None] = {}
    for base in bases:
        for text in (base, json.dumps(base)[1:-1], json.dumps(base, ensure_ascii=False)[1:-1]):
            forms[text] = None
            forms.update(dict.fromkeys(_literals(text)))
    return list(forms)


def _literals(text: str) -> tuple[str, ...]:
    """``text`` as the inside of a Python str or bytes literal, with quotes escaped or not."""
    # A repr of a string holding a double quote always uses single quotes and escapes them.
    single = repr(text + '"')[1:-2]
    data = repr(text.encode("utf-8", "backslashreplace") + b'"')[2:-2]
    return single, single.replace("\\'", "'"), data, data.replace("\\'", "'")


def _find_all(
    text: str, form: str, start: int, end: int, found: list[tuple[int, int, str]]
) -> None:
    """Append every occurrence of ``form`` lying wholly within ``text[start:end]``."""
    at = text.find(form, start, end)
    while at != -1:
        found.append((at, at + len(form), form))
        at = text.find(form, at + 1, end)


class _Shared:
    """The forms filed under one gram, by where the gram lies in them: (offset, length) -> forms."""

    __slots__ = ("groups", "size")

    def __init__(self) -> None:
        self.size = 0
        self.groups: dict[tuple[int, int], set[str]] = {}

    def add(self, form: str, offset: int) -> None:
        self.groups.setdefault((offset, len(form)), set()).add(form)
        self.size += 1

    def remove(self, form: str, offset: int) -> None:
        key = (offset, len(form))
        group = self.groups[key]
        group.discard(form)
        if not group:
            del self.groups[key]
        self.size -= 1


class _GramIndex:
    """Finds every occurrence of many strings in a text, in time proportional to the text.

    A text is cut into its grams (substrings ``width`` long) at positions ``0, stride, 2 *
    stride, …``. An occurrence of a form of length ``n >= stride + width - 1`` starting at ``i``
    wholly contains one of those grams at an offset ``o`` into the form, for each residue of ``o``
    modulo ``stride`` that ``i`` calls for. So the form is filed under one of its own grams for
    each residue, and every occurrence is found from one of the text's grams. Of the grams with a
    residue, the one with the fewest forms already filed under it is taken (tokens sharing a
    prefix do not all crowd one bucket); where many forms must share a gram anyway, they are
    grouped by the gram's offset and their length, so checking them is one set lookup a group.
    """

    __slots__ = ("buckets", "filed", "minimum", "stride", "width")

    def __init__(self, stride: int, width: int) -> None:
        self.stride = stride
        self.width = width
        self.minimum = stride + width - 1
        #: gram -> the one form filed under it, or the forms sharing it
        self.buckets: dict[str, str | _Shared] = {}
        #: form -> the offsets of the grams it is filed under, one a residue
        self.filed: dict[str, tuple[int, ...]] = {}

    def add(self, form: str) -> None:
        if form in self.filed:
            return
        buckets, width, stride = self.buckets, self.width, self.stride
        last = len(form) - width
        chosen: list[int] = []
        for residue in range(stride):
            best, fewest = (form, 0), -1
            # From the end: tokens more often share a prefix (a JWT's header) than a suffix.
            for offset in range(last - (last - residue) % stride, -1, -stride):
                gram = form[offset : offset + width]
                bucket = buckets.get(gram)
                size = 0 if bucket is None else 1 if isinstance(bucket, str) else bucket.size
                if fewest < 0 or size < fewest:
                    best, fewest = (gram, offset), size
                    if size == 0:
                        break
            gram, offset = best
            bucket = buckets.get(gram)
            if bucket is None:
                buckets[gram] = form
            else:
                if isinstance(bucket, str):
                    only, bucket = bucket, _Shared()
                    placed = chosen if only == form else self.filed[only]
                    bucket.add(only, next(at for at in placed if only[at : at + width] == gram))
                    buckets[gram] = bucket
                bucket.add(form, offset)
            chosen.append(offset)
        self.filed[form] = tuple(chosen)

    def remove(self, form: str) -> None:
        buckets, width = self.buckets, self.width
        for offset in self.filed.pop(form, ()):
            gram = form[offset : offset + width]
            bucket = buckets.get(gram)
            if bucket is None:  # never, unless the index is broken: do not fail a log call
                continue
            if isinstance(bucket, str):
                del buckets[gram]
                continue
            bucket.remove(form, offset)
            if bucket.size == 1:
                (group,) = bucket.groups.values()
                (buckets[gram],) = group
            elif not bucket.size:
                del buckets[gram]

    def find(self, text: str, found: list[tuple[int, int, str]]) -> None:
        """Append ``(start, end, form)`` for every occurrence of every filed form in ``text``."""
        buckets, width, stride = self.buckets, self.width, self.stride
        size = len(text)
        if not buckets or size < self.minimum:
            return
        grams = [text[at : at + width] for at in range(0, size - width + 1, stride)]
        if buckets.keys().isdisjoint(grams):
            return
        for number, gram in enumerate(grams):
            bucket = buckets.get(gram)
            if bucket is None:
                continue
            at = number * stride
            if isinstance(bucket, str):
                # Every occurrence holding this gram starts within len(form) - width before it.
                _find_all(text, bucket, max(0, at + width - len(bucket)), at + len(bucket), found)
                continue
            for (offset, length), forms in bucket.groups.items():
                start = at - offset
                if start >= 0 and (candidate := text[start : start + length]) in forms:
                    found.append((start, start + length, candidate))


class SecretRedactor(logging.Filter):
    """A logging filter that replaces known secrets, and anything shaped like a bot token.

    Each secret is redacted in every form :func:`_forms` lists. Where occurrences overlap (a token
    that is a prefix of another, two tokens sharing characters), their union is redacted. Safe to
    use from several threads (asyncio's executor and aiosqlite's thread log too).
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._tiers = [_GramIndex(stride, width) for stride, width in _TIERS]
        #: Forms too short for any gram index (only fixed secrets can be): checked one by one.
        self._tiny: list[str] = []
        #: form -> how many secrets (fixed or remembered) have it
        self._owners: dict[str, int] = {}
        #: Forms replaced by something else than REDACTED: our own bot token keeps its bot id.
        self._replacements: dict[str, str] = {}
        #: Secrets learned while running (access tokens), the most recent 10,000, with their forms.
        self._recent: OrderedDict[str, list[str]] = OrderedDict()
        #: The bot's own secrets, kept for good.
        self._fixed = [s for s in secrets if s]
        for secret in self._fixed:
            forms = _forms(secret)
            if _BOT_TOKEN.fullmatch(secret):
                self._replacements[secret] = _BOT_TOKEN.sub(rf"\1:{REDACTED}", secret)
            for form in forms:
                self._retain(form)

    def add(self, secret: str | None) -> None:
        """Remember one more secret (the most recent 10,000 are kept)."""
        if not secret or len(secret) < _MIN_REMEMBERED_LENGTH:
            return
        with self._lock:
            if secret in self._recent:
                self._recent.move_to_end(secret)
                return
            forms = _forms(secret)
            self._recent[secret] = forms
            for form in forms:
                self._retain(form)
            while len(self._recent) > _MAX_REMEMBERED:
                _, old = self._recent.popitem(last=False)
                for form in old:
                    self._release(form)

    def _retain(self, form: str) -> None:
        count = self._owners.get(form, 0)
        self._owners[form] = count + 1
        if count:
            return
        for tier in self._tiers:
            if len(form) >= tier.minimum:
                tier.add(form)
                return
        self._tiny.append(form)

    def _release(self, form: str) -> None:
        count = self._owners[form] - 1
        if count:
            self._owners[form] = count
            return
        del self._owners[form]
        for tier in self._tiers:
            if len(form) >= tier.minimum:
                tier.remove(form)
                return
        self._tiny.remove(form)

    def redact(self, text: str) -> str:
        spans: list[_Span] = []
        if _BOT_TOKEN_HINT.search(text):
            spans += [
                (match.start(), match.end(), f"{match[1]}:{REDACTED}")
                for match in _BOT_TOKEN.finditer(text)
            ]
        found: list[tuple[int, int, str]] = []
        with self._lock:
            for tier in self._tiers:
                tier.find(text, found)
            for form in self._tiny:
                if form in text:
                    _find_all(text, form, 0, len(text), found)
        if found:
            replacements = self._replacements
            spans += [(start, end, replacements.get(form, REDACTED)) for start, end, form in found]
        if not spans:
            return text
        return _replace(text, spans)

    def filter(self, record: logging.LogRecord) -> bool:
        # The message is formatted once here and kept formatted: a second formatting by the
        # handler could differ (arguments are live objects), so args are always dropped.
        record.msg = self.redact(record.getMessage())
        record.args = None
        if record.exc_info:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        elif record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def _replace(text: str, spans: list[_Span]) -> str:
    """Replace each group of overlapping spans by one replacement.

    A group keeps its own replacement only when all its spans agree on where they are and what
    replaces them (our bot token, seen both as a fixed secret and as a bot-token shape); anything
    else, overlapping secrets of different lengths included, becomes a plain REDACTED.
    """
    spans.sort()
    parts: list[str] = []
    done = 0
    index = 0
    while index < len(spans):
        first = spans[index]
        start, end, replacement = first
        agreed = True
        index += 1
        while index < len(spans) and spans[index][0] < end:
            if spans[index] != first:
                agreed = False
                end = max(end, spans[index][1])
            index += 1
        parts.append(text[done:start])
        parts.append(replacement if agreed else REDACTED)
        done = end
    parts.append(text[done:])
    return "".join(parts)


#: Ids a log line may carry (``logger.info(..., extra={"call_id": 7})``): JSON lines show them.
CONTEXT_FIELDS = ("update_id", "call_id", "page_id", "line_request_id")


class JsonFormatter(logging.Formatter):
    """One JSON object per line (``LOG_FORMAT=json``): ``time`` (UTC, ISO 8601), ``level``,
    ``logger``, ``message``, the ids of :data:`CONTEXT_FIELDS` a line carries, and ``exception``
    (its traceback) where there is one. It formats what the redactor has already rewritten."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in CONTEXT_FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = record.stack_info
        return json.dumps(entry, ensure_ascii=False, default=str)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        from datetime import UTC, datetime

        return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")


def configure_logging(
    level: str,
    redactor: SecretRedactor,
    *,
    stream: TextIO | None = None,
    json_lines: bool = False,
) -> logging.Handler:
    """Log to ``stream`` (stderr) through ``redactor``, as text or (``json_lines``) one JSON
    object per line; quiet the chatty HTTP libraries."""
    handler = logging.StreamHandler(stream or sys.stderr)
    formatter = (
        JsonFormatter()
        if json_lines
        else logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    handler.setFormatter(formatter)
    handler.addFilter(redactor)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return handler
