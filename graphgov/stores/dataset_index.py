"""Which datasets an object falls under, by index: the embedded store's twin of Neo4j's range index.

A dataset is an S3 prefix; an object belongs to every dataset whose prefix its key starts with, as S3
matches prefixes (so `train` also covers `train-old/`). A new object checks only its own bucket's
prefixes (few, held in memory). A new dataset finds its objects by a range query over the store's
indexed (label, bucket, key) columns (graphgov.stores.embedded_sql), so no index of every object key is
held in memory or built when the store opens.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterator

from graphgov.core.s3_containment import PREFIX_TYPE, falls_under, output_folder


class DatasetIndex:
    """Prefix datasets per bucket, in memory (few); the objects stay in the store, listed by `keys_under`."""

    def __init__(self, keys_under: Callable[[str, str], Iterator[str]]) -> None:
        self._keys_under = keys_under  # (bucket, prefix) -> the keys held under it, in key order
        self._prefixes: dict[str, dict[str, str]] = defaultdict(dict)  # bucket -> prefix -> dataset id

    def add_object(self, bucket: str, key: str) -> Iterator[str]:
        """Yield the ids of datasets the object falls under."""
        for prefix, dataset in self._prefixes.get(bucket, {}).items():
            if falls_under(key, prefix):
                yield dataset

    def register(self, bucket: str, prefix: str, dataset: str) -> None:
        """Record the prefix dataset (its members are already linked)."""
        self._prefixes[bucket][prefix] = dataset

    def add_dataset(self, bucket: str, prefix: str, dataset: str) -> Iterator[str]:
        """Record the prefix dataset; yield the keys of objects already held under it."""
        self.register(bucket, prefix, dataset)
        yield from self._keys_under(bucket, prefix)


class _SortedKeys:
    """Strings kept for prefix search: an append-only list sorted lazily, and a set for exact lookups."""

    def __init__(self) -> None:
        self.items: dict[str, set] = defaultdict(set)  # key -> values
        self._sorted: list[str] = []
        self._dirty = False

    def add(self, key: str, value: object) -> None:
        if key not in self.items:
            self._sorted.append(key)
            self._dirty = True
        self.items[key].add(value)

    def exact_prefixes_of(self, text: str) -> Iterator[object]:
        """Values of keys that `text` starts with (every prefix of `text` looked up: O(len(text)))."""
        for n in range(len(text) + 1):
            yield from self.items.get(text[:n], ())

    def starting_with(self, prefix: str) -> Iterator[object]:
        """Values of keys that start with `prefix`, by binary search."""
        if self._dirty:
            self._sorted.sort()
            self._dirty = False
        at = bisect.bisect_left(self._sorted, prefix)
        while at < len(self._sorted) and falls_under(self._sorted[at], prefix):
            yield from self.items[self._sorted[at]]
            at += 1


class FeedIndex:
    """Candidates for FEEDS (graphgov.core.s3_containment.feeds), per bucket, without pairing every output with
    every dataset: prefix datasets by prefix, output folders by folder, manifests apart (any output of the
    bucket may feed them). Callers confirm each candidate with `feeds`, the one definition."""

    def __init__(self) -> None:
        self._prefixes: dict[str, _SortedKeys] = defaultdict(_SortedKeys)  # bucket -> input prefix -> datasets
        self._manifests: dict[str, set] = defaultdict(set)  # bucket -> manifest datasets
        self._folders: dict[str, _SortedKeys] = defaultdict(_SortedKeys)  # bucket -> output folder -> outputs

    def add_dataset(self, bucket: str, prefix: str, data_type: str | None, dataset: object) -> Iterator[object]:
        """Record the dataset; yield the outputs (as given to add_output) that may feed it."""
        if (data_type or PREFIX_TYPE) != PREFIX_TYPE:
            self._manifests[bucket].add(dataset)
            yield from (o for values in self._folders[bucket].items.values() for o in values)
            return
        self._prefixes[bucket].add(prefix, dataset)
        yield from self._folders[bucket].exact_prefixes_of(prefix)
        yield from self._folders[bucket].starting_with(prefix)

    def add_output(self, bucket: str, prefix: str, output: object) -> Iterator[object]:
        """Record a job's output; yield the datasets it may feed."""
        folder = output_folder(prefix)
        self._folders[bucket].add(folder, output)
        yield from self._manifests[bucket]
        yield from self._prefixes[bucket].exact_prefixes_of(folder)
        yield from self._prefixes[bucket].starting_with(folder)
