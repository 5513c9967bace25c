"""Which datasets an object falls under, by index: the embedded store's twin of Neo4j's range index.

A dataset is an S3 prefix; an object belongs to every dataset whose prefix its key starts with, as S3
matches prefixes (so `train` also covers `train-old/`). Object keys are kept sorted per bucket, so a new
dataset finds its objects by binary search, and a new object checks only its own bucket's prefixes.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterator


class DatasetIndex:
    def __init__(self) -> None:
        self._keys: dict[str, list[str]] = defaultdict(list)  # bucket -> sorted object keys
        self._prefixes: dict[str, dict[str, str]] = defaultdict(dict)  # bucket -> prefix -> dataset id

    def add_object(self, bucket: str, key: str) -> Iterator[str]:
        """Record the object; yield the ids of datasets it falls under."""
        keys = self._keys[bucket]
        at = bisect.bisect_left(keys, key)
        if at == len(keys) or keys[at] != key:
            keys.insert(at, key)
        for prefix, dataset in self._prefixes.get(bucket, {}).items():
            if key.startswith(prefix):
                yield dataset

    def add_dataset(self, bucket: str, prefix: str, dataset: str) -> Iterator[str]:
        """Record the prefix dataset; yield the keys of objects already known under it."""
        self._prefixes[bucket][prefix] = dataset
        keys = self._keys.get(bucket, [])
        at = bisect.bisect_left(keys, prefix)
        while at < len(keys) and keys[at].startswith(prefix):
            yield keys[at]
            at += 1
