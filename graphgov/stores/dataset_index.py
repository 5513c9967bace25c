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

from graphgov.core.s3_containment import PREFIX_TYPE, falls_under, output_folder


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
