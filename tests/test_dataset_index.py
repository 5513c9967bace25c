"""The embedded store's dataset index: every enclosing prefix, whichever side arrives first; the objects are
rows of the store, found by a range query on their indexed (bucket, key) columns."""

from __future__ import annotations

import sqlite3

from graphgov.core.ids import s3_object_arn
from graphgov.stores.dataset_index import DatasetIndex
from graphgov.stores.embedded_sql import GraphTables


def _index() -> tuple[GraphTables, DatasetIndex]:
    tables = GraphTables(sqlite3.connect(":memory:"))
    tables.create()
    return tables, DatasetIndex(lambda bucket, prefix: tables.keys_under("S3Object", bucket, prefix))


def _add(tables: GraphTables, index: DatasetIndex, bucket: str, key: str) -> list[str]:
    tables.put_node(("S3Object", s3_object_arn(bucket, key)), {"bucket": bucket, "key": key})
    return list(index.add_object(bucket, key))


def test_prefix_membership_in_both_orders_and_interleaved():
    tables, index = _index()
    assert _add(tables, index, "b", "train/a.csv") == []
    assert _add(tables, index, "b", "train-old/x.csv") == []
    assert _add(tables, index, "other", "train/a.csv") == []
    assert list(index.add_dataset("b", "train", "s3://b/train")) == ["train-old/x.csv", "train/a.csv"]
    assert _add(tables, index, "b", "train/z.csv") == ["s3://b/train"]
    assert _add(tables, index, "b", "train/a.csv") == ["s3://b/train"]  # known again: still a member
    assert _add(tables, index, "b", "test/q.csv") == []
    assert list(index.add_dataset("b", "train/", "s3://b/train/")) == ["train/a.csv", "train/z.csv"]
    assert list(index.add_dataset("b", "", "s3://b/")) == [
        "test/q.csv", "train-old/x.csv", "train/a.csv", "train/z.csv"]
    assert sorted(_add(tables, index, "b", "train/new.csv")) == ["s3://b/", "s3://b/train", "s3://b/train/"]


def test_many_objects_then_a_dataset():
    tables, index = _index()
    for i in range(20000, 0, -1):  # arrive in descending order: the range query orders them
        _add(tables, index, "b", f"k/{i:06d}")
    found = list(index.add_dataset("b", "k/0199", "d"))
    assert found == [f"k/{i:06d}" for i in range(19900, 20000)]


def test_a_key_past_the_prefix_in_byte_order_ends_the_range():
    tables, index = _index()
    keys = ["data/train", "data/train-2/x", "data/train/\u00e9", "data/train\U0001f600", "data/trail", "data/traio"]
    for key in keys:
        _add(tables, index, "b", key)
    tables.put_node(("ModelArtifact", "s3://b/data/train/m"), {"bucket": "b", "key": "data/train/m"})
    assert list(index.add_dataset("b", "data/train", "d")) == [
        "data/train", "data/train-2/x", "data/train/\u00e9", "data/train\U0001f600"]
