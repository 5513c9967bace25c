"""Which datasets an object falls under, by index: the embedded store's twin of Neo4j's range index.

A dataset is an S3 prefix; an object belongs to every dataset whose prefix its key starts with, as S3
matches prefixes (so `train` also covers `train-old/`). A new object checks only its own bucket's
prefixes (few). A new dataset finds its objects by binary search over the bucket's keys, which are
kept as an append-only list and sorted lazily when a dataset asks (Timsort on a sorted run plus a
short tail is close to linear), so millions of object inserts stay O(1) each.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterator

from graphgov.s3_containment import falls_under


class DatasetIndex:
    def __init__(self) -> None:
        self._keys: dict[str, list[str]] = defaultdict(list)  # bucket -> object keys (sorted when clean)
        self._known: dict[str, set[str]] = defaultdict(set)  # bucket -> object keys, for membership
        self._unsorted: set[str] = set()  # buckets whose key list has an unsorted tail
        self._prefixes: dict[str, dict[str, str]] = defaultdict(dict)  # bucket -> prefix -> dataset id

    def add_object(self, bucket: str, key: str) -> Iterator[str]:
        """Record the object; yield the ids of datasets it falls under."""
        if key not in self._known[bucket]:
            self._known[bucket].add(key)
            self._keys[bucket].append(key)
            self._unsorted.add(bucket)
        for prefix, dataset in self._prefixes.get(bucket, {}).items():
            if falls_under(key, prefix):
                yield dataset

    def add_dataset(self, bucket: str, prefix: str, dataset: str) -> Iterator[str]:
        """Record the prefix dataset; yield the keys of objects already known under it."""
        self._prefixes[bucket][prefix] = dataset
        keys = self._keys.get(bucket, [])
        if bucket in self._unsorted:
            keys.sort()
            self._unsorted.discard(bucket)
        at = bisect.bisect_left(keys, prefix)
        while at < len(keys) and falls_under(keys[at], prefix):
            yield keys[at]
            at += 1
