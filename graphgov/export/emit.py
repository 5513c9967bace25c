"""Where the events go: JSON Lines (one event per line, for a file or stdout), or an OpenLineage HTTP
endpoint through the client's HTTP transport, which POSTs each event to `<url>/api/v1/lineage` as Marquez
and DataHub expect."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urljoin

from graphgov.export.events import INSTALL_HINT, ExportError

ENDPOINT = "api/v1/lineage"
RETRY = {"total": 2, "connect": 2, "read": 2, "backoff_factor": 0.2}  # a user waits: fail in about a second


def json_lines(events: Iterable[Any]) -> Iterator[str]:
    """Each event as one line of JSON, as the client serialises it (nulls dropped, keys sorted)."""
    serde = _serde()
    for event in events:
        yield serde.to_json(event)


def post(events: list[Any], url: str, timeout: float = 10.0) -> int:
    """POST every event to `<url>/api/v1/lineage`; the number accepted, or ExportError naming the first
    refusal."""
    try:
        from openlineage.client.transport.http import HttpConfig, HttpTransport
        from requests import RequestException
    except ImportError as exc:
        raise ExportError(INSTALL_HINT) from exc
    base, target = (url if url.endswith("/") else url + "/"), lineage_url(url)  # the client urljoins the two
    try:
        transport = HttpTransport(HttpConfig.from_dict({"url": base, "endpoint": ENDPOINT, "timeout": timeout,
                                                        "retry": RETRY}))
    except ValueError as exc:
        raise ExportError(f"--url {url!r}: not an http(s) URL") from exc
    accepted = 0
    try:
        for event in events:
            transport.emit(event)
            accepted += 1
    except RequestException as exc:
        reason = _reason(exc)
        raise ExportError(f"{target}: {reason} ({accepted} of {len(events)} events accepted)") from exc
    finally:
        transport.close()
    return accepted


def lineage_url(url: str) -> str:
    """Where the events go: `<url>/api/v1/lineage`, a path in `url` kept (DataHub's /openapi/openlineage/)."""
    return urljoin(url if url.endswith("/") else url + "/", ENDPOINT)


def _reason(exc: Exception) -> str:
    """What went wrong, in a few words: the HTTP status, or why no answer came."""
    response = getattr(exc, "response", None)
    if response is not None:
        return f"HTTP {response.status_code} {response.reason}".rstrip()
    text = str(exc)
    if "refused" in text.lower():
        return "connection refused"
    retried = re.search(r"ResponseError\('([^']+)'\)", text)  # a 5xx answered to every retry
    if retried:
        return retried.group(1)
    return text.splitlines()[0][:200] if text else type(exc).__name__


def _serde() -> Any:
    try:
        from openlineage.client.serde import Serde
    except ImportError as exc:
        raise ExportError(INSTALL_HINT) from exc
    return Serde
