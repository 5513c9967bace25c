"""`pull iam` run: one account's snapshot into the store, or several accounts' merged into one summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

import boto3

from graphgov.aws.pullers._gaps import Gaps
from graphgov.aws.pullers.iam.organization import organization_items
from graphgov.aws.pullers.iam.reader import PARTS, AccountReader
from graphgov.aws.session import Clock, PullSummary, merged, utc_now
from graphgov.core.delta import GraphDelta
from graphgov.ingest.pipeline import load_deltas
from graphgov.ingest.readers import RawRecord
from graphgov.stores.base import Store


def _items(session: boto3.Session, regions: Iterable[str] | None, clock: Clock, parts: Iterable[str] = PARTS
           ) -> tuple[AccountReader, Iterator[tuple[str, GraphDelta | RawRecord]]]:
    reader = AccountReader(session, regions, clock, parts)
    return reader, _walk(reader)


def _walk(reader: AccountReader) -> Iterator[tuple[str, GraphDelta | RawRecord]]:
    """What one pull reads, as (kind, item): the caller first, then the parts asked for."""
    reader.identify()
    if "account" in reader.parts:
        yield from reader.account_items()
    if "organization" in reader.parts:
        yield from organization_items(reader)


def iam_deltas(session: boto3.Session, regions: Iterable[str] | None = None, clock: Clock = utc_now
               ) -> Iterator[GraphDelta | RawRecord]:
    """The snapshot as deltas, one per object read; objects that could not be read come as RawRecords
    with a `skip` reason or an `error`, so `load_deltas` accounts for them."""
    _, items = _items(session, regions, clock)
    for _kind, item in items:
        yield item


def pull_iam(session: boto3.Session, store: Store, quarantine_path: Path, regions: Iterable[str] | None = None,
             clock: Clock = utc_now, parts: Iterable[str] = PARTS) -> PullSummary:
    """Pull one account's policies (`account`) and the organisation it can read (`organization`) into
    `store`; the summary adds the objects read, per kind."""
    pull, items = _items(session, regions, clock, parts)
    objects: Counter = Counter()
    gaps = Gaps()

    def counted() -> Iterator[GraphDelta | RawRecord]:
        for kind, item in items:
            objects[kind] += 1
            gaps.observe(item)
            yield item

    loaded = load_deltas(counted(), store, quarantine_path)
    summary = PullSummary(**vars(loaded), objects=objects, gaps=gaps.as_list())
    if pull.ctx is not None:
        summary.account, summary.time = pull.ctx.account, pull.ctx.time
    return summary


def pull_iam_accounts(sessions: Iterable[boto3.Session], store: Store, quarantine_path: Path,
                      regions: Iterable[str] | None = None, organization_session: boto3.Session | None = None,
                      clock: Clock = utc_now) -> PullSummary:
    """Pull each account in turn, merged into one summary. With `organization_session` (the caller of an
    organisation-wide pull, the management or a delegated account) the organisation is read once through
    it, not once per account, where members would only be refused."""
    regions = list(regions or ())
    pulls = []
    if organization_session is not None:
        pulls.append(pull_iam(organization_session, store, quarantine_path, regions, clock, parts=("organization",)))
    parts = ("account",) if organization_session is not None else PARTS
    pulls += [pull_iam(session, store, quarantine_path, regions, clock, parts=parts) for session in sessions]
    return merged(pulls)
