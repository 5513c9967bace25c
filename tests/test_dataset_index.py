"""The embedded store's dataset index: every enclosing prefix, whichever side arrives first."""

from __future__ import annotations

from graphgov.stores.dataset_index import DatasetIndex


def test_prefix_membership_in_both_orders_and_interleaved():
    index = DatasetIndex()
    assert list(index.add_object("b", "train/a.csv")) == []
    assert list(index.add_object("b", "train-old/x.csv")) == []
    assert list(index.add_object("other", "train/a.csv")) == []
    assert list(index.add_dataset("b", "train", "s3://b/train")) == ["train-old/x.csv", "train/a.csv"]
    assert list(index.add_object("b", "train/z.csv")) == ["s3://b/train"]
    assert list(index.add_object("b", "train/a.csv")) == ["s3://b/train"]  # known again: still a member
    assert list(index.add_object("b", "test/q.csv")) == []
    assert list(index.add_dataset("b", "train/", "s3://b/train/")) == ["train/a.csv", "train/z.csv"]
    assert list(index.add_dataset("b", "", "s3://b/")) == [
        "test/q.csv", "train-old/x.csv", "train/a.csv", "train/z.csv"]
    assert sorted(index.add_object("b", "train/new.csv")) == ["s3://b/", "s3://b/train", "s3://b/train/"]


def test_many_objects_then_a_dataset():
    index = DatasetIndex()
    for i in range(20000, 0, -1):  # arrive in descending order: the lazy sort must order them
        list(index.add_object("b", f"k/{i:06d}"))
    found = list(index.add_dataset("b", "k/0199", "d"))
    assert found == [f"k/{i:06d}" for i in range(19900, 20000)]
