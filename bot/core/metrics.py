"""What a running bot counts, for Prometheus (``/metrics``): one :class:`Metrics` per process.

Names follow Prometheus' conventions: one prefix (``kcb_``), base units (seconds), ``_total``
on counters, and no user, chat or call id as a label (labels are small closed sets: an origin,
a result, a Bot API method, an HTTP status class). Each replica exports its own; sum them.

The domain records through plain methods (:meth:`Metrics.placed`, :meth:`Metrics.page_ended`,
...), so it knows nothing of Prometheus; the transports measure their own requests
(:class:`MeasuredTransport` for Kavenegar, ``bot.telegram.http`` for Telegram).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from importlib.metadata import PackageNotFoundError, version

import httpx
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

__all__ = ["MeasuredTransport", "Metrics", "endpoint_of"]

#: Latency buckets for a remote request (seconds): Kavenegar's and Telegram's are 50 ms-25 s.
REQUEST_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0)
#: Time from a page's start to its first answer (seconds): one ring to a long escalation.
PAGE_BUCKETS = (10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1200.0, 3600.0)


def _build_version() -> str:
    try:
        return version("kavenegar-call-bot")
    except PackageNotFoundError:  # (run from a source tree that was never installed)
        return "unknown"


class Metrics:
    """Every metric of one bot, in a registry of its own (tests and replicas in one process
    each get theirs)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.build_info = Gauge(
            "kcb_build_info", "The bot's release (always 1).", ["version"], registry=r
        )
        self.build_info.labels(version=_build_version()).set(1)
        self.calls_placed = Counter(
            "kcb_calls_placed_total",
            "Attempts to place a paid call, by what asked for it and how it ended.",
            ["origin", "result"],
            registry=r,
        )
        self.call_refusals = Counter(
            "kcb_call_refusals_total",
            "Calls refused before anything was paid, by reason (a text key).",
            ["reason"],
            registry=r,
        )
        self.calls_finished = Counter(
            "kcb_calls_finished_total",
            "Calls followed to their end, by outcome.",
            ["outcome"],
            registry=r,
        )
        self.pages_ended = Counter(
            "kcb_pages_ended_total", "Pages ended, by result.", ["result"], registry=r
        )
        self.page_answered_after = Histogram(
            "kcb_page_answer_seconds",
            "From a page's start to its answer (or acknowledgement).",
            buckets=PAGE_BUCKETS,
            registry=r,
        )
        self.line_requests_ended = Counter(
            "kcb_line_requests_ended_total",
            "Support-line requests ended, by result.",
            ["result"],
            registry=r,
        )
        self.kavenegar_requests = Counter(
            "kcb_kavenegar_requests_total",
            "Requests to Kavenegar, by endpoint and status (2xx, 4xx, 429, 5xx, timeout, error).",
            ["endpoint", "status"],
            registry=r,
        )
        self.kavenegar_seconds = Histogram(
            "kcb_kavenegar_request_seconds",
            "Kavenegar request latency, by endpoint.",
            ["endpoint"],
            buckets=REQUEST_BUCKETS,
            registry=r,
        )
        self.telegram_requests = Counter(
            "kcb_telegram_requests_total",
            "Bot API requests, by method and HTTP status (429: flood control).",
            ["method", "status"],
            registry=r,
        )
        self.telegram_seconds = Histogram(
            "kcb_telegram_request_seconds",
            "Bot API request latency, by method (getUpdates is a long poll).",
            ["method"],
            buckets=REQUEST_BUCKETS,
            registry=r,
        )
        self.handler_failures = Counter(
            "kcb_handler_failures_total",
            "Updates whose handling failed and was answered as such, by kind "
            "(store: the database was unavailable; internal: a bug).",
            ["kind"],
            registry=r,
        )

        self.join_page_answers = Counter(
            "kcb_join_page_answers_total",
            "Answers of the join page's token endpoint, by status (ready, unauthorized, "
            "not_yours, unknown, ended, unavailable, too_many, bad_request).",
            ["status"],
            registry=r,
        )
        self.telegram_retry_after = Counter(
            "kcb_telegram_retry_after_seconds_total",
            "Seconds Telegram's flood control (429) asked the bot to wait, summed.",
            registry=r,
        )
        self.updates = Counter(
            "kcb_updates_total",
            "Updates received, by type (message, callback_query, ...).",
            ["type"],
            registry=r,
        )
        self.line_offers = Counter(
            "kcb_line_offers_total",
            "Support-line offers, by how they ended (accepted, expired, withdrawn).",
            ["result"],
            registry=r,
        )
        self.line_connect_seconds = Histogram(
            "kcb_line_connect_seconds",
            "From a newcomer's arrival on a line to their call being placed.",
            buckets=PAGE_BUCKETS,
            registry=r,
        )
        self.store_unavailable = Counter(
            "kcb_store_unavailable_total",
            "Times a worker or an update found the database unavailable, by where.",
            ["where"],
            registry=r,
        )
        self.followed_calls = Gauge(
            "kcb_followed_calls",
            "Calls being followed (from the database: the same on every replica; use max).",
            registry=r,
        )
        self.line_requests_waiting = Gauge(
            "kcb_line_requests_waiting",
            "Support-line requests waiting for a member (from the database; use max).",
            registry=r,
        )
        self.gauges: dict[str, Gauge] = {}

    def counted_elsewhere(
        self, name: str, documentation: str, label: str, read: Callable[[], dict[str, int]]
    ) -> None:
        """A counter kept by another part (``read``: its values by ``label``), read at each
        scrape; ``name`` without its ``_total``."""
        self.registry.register(_ReadCounter(name, documentation, label, read))

    def gauge(self, name: str, documentation: str, read: Callable[[], float]) -> None:
        """A value read at each scrape (a queue's depth, a budget in use): this replica's."""
        gauge = Gauge(name, documentation, registry=self.registry)
        gauge.set_function(read)
        self.gauges[name] = gauge

    # -- what the domain records ---------------------------------------------------------------

    def placed(self, origin: str, result: str, reason: str | None = None) -> None:
        self.calls_placed.labels(origin=origin, result=result).inc()
        if result == "refused" and reason:
            self.call_refusals.labels(reason=reason).inc()

    def finished(self, outcome: str) -> None:
        self.calls_finished.labels(outcome=outcome).inc()

    def page_ended(self, result: str, answered_after: float | None = None) -> None:
        self.pages_ended.labels(result=result).inc()
        if answered_after is not None:
            self.page_answered_after.observe(answered_after)

    def line_request_ended(self, result: str) -> None:
        self.line_requests_ended.labels(result=result).inc()

    def handler_failed(self, kind: str) -> None:
        self.handler_failures.labels(kind=kind).inc()
        if kind == "store":
            self.store_unavailable.labels(where="update").inc()

    def unavailable(self, where: str) -> None:
        self.store_unavailable.labels(where=where).inc()

    def offer_ended(self, result: str) -> None:
        self.line_offers.labels(result=result).inc()

    def flood_wait(self, seconds: float) -> None:
        self.telegram_retry_after.inc(seconds)

    def update(self, kind: str) -> None:
        self.updates.labels(type=kind).inc()

    def telegram_request(self, method: str, status: int | str, seconds: float) -> None:
        self.telegram_requests.labels(method=method, status=str(status)).inc()
        self.telegram_seconds.labels(method=method).observe(seconds)


class _ReadCounter(Collector):
    def __init__(
        self, name: str, documentation: str, label: str, read: Callable[[], dict[str, int]]
    ) -> None:
        self.name, self.documentation, self.label, self.read = name, documentation, label, read

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(self.name, self.documentation, labels=[self.label])
        for value, count in sorted(self.read().items()):
            family.add_metric([value], count)
        yield family


_ID = re.compile(r"/[0-9a-fA-F-]{6,}|/\d+")


def endpoint_of(method: str, path: str) -> str:
    """``GET /calls/{id}``: the request's method and path with its ids taken out."""
    return f"{method} {_ID.sub('/{id}', path.rstrip('/')) or '/'}"


def _status_class(status: int) -> str:
    return "429" if status == 429 else f"{status // 100}xx"


class MeasuredTransport(httpx.AsyncBaseTransport):
    """An httpx transport that counts and times every request to Kavenegar, around another."""

    def __init__(
        self, inner: httpx.AsyncBaseTransport, metrics: Metrics, *, base_path: str
    ) -> None:
        self.inner = inner
        self.metrics = metrics
        self.base_path = base_path.rstrip("/")

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path.removeprefix(self.base_path)
        endpoint = endpoint_of(request.method, path)
        started = time.monotonic()
        status = "error"
        try:
            response = await self.inner.handle_async_request(request)
            status = _status_class(response.status_code)
            return response
        except httpx.TimeoutException:
            status = "timeout"
            raise
        finally:
            self.metrics.kavenegar_requests.labels(endpoint=endpoint, status=status).inc()
            self.metrics.kavenegar_seconds.labels(endpoint=endpoint).observe(
                time.monotonic() - started
            )

    async def aclose(self) -> None:
        await self.inner.aclose()
