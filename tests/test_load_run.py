"""LoadRun, as pullers drive it: completion markers and checkpoints commit with the records, never before."""

from __future__ import annotations

from helpers import iam_guide_sts_records

from graphgov.ingest.pipeline import LoadRun
from graphgov.ingest.readers import RawRecord
from graphgov.stores.embedded import EmbeddedStore


def _raw(record: dict) -> RawRecord:
    return RawRecord("cloudtrail", record, "test")


def test_markers_and_checkpoints_are_written_with_the_records(store, tmp_path):
    requester, _owner, chaining = iam_guide_sts_records()
    run = LoadRun(store, tmp_path / "q.jsonl", chunk_records=1)
    assert store.checkpoint("cloudtrail-s3:b") is None
    run.add_raw(_raw(chaining))
    run.mark_done("s3obj:b/one.json.gz", "2014-07-18")
    run.set_checkpoint("cloudtrail-s3:b", "2014/07/18")
    run.add_raw(_raw(requester))  # fills the chunk: the chaining record, its marker and checkpoint go out
    assert store.checkpoint("cloudtrail-s3:b") == "2014/07/18"
    assert store.unseen(["s3obj:b/one.json.gz", "s3obj:b/two.json.gz"]) == {"s3obj:b/two.json.gz"}
    run.finish()
    run.close()
    summary = run.result()
    assert (summary.records, summary.loaded) == (2, 2)


def test_a_marker_waits_while_a_poorer_copy_of_one_of_its_records_is_held_back(tmp_path):
    _requester, owner, _chaining = iam_guide_sts_records()
    store = EmbeddedStore(tmp_path / "g.json.gz")
    run = LoadRun(store, tmp_path / "q.jsonl", chunk_records=1)
    held = dict(owner, eventID="owner-copy", sharedEventID="shared-1")  # names the caller by account only
    run.add_raw(_raw(held))
    run.mark_done("s3obj:b/owner.json.gz", "2014-07-18")
    run.add_raw(_raw(dict(owner, eventID="other", sharedEventID=None)))
    assert store.unseen(["s3obj:b/owner.json.gz"]) == {"s3obj:b/owner.json.gz"}  # its record is not written yet
    run.finish()
    run.close()
    assert store.unseen(["s3obj:b/owner.json.gz"]) == set()
    store.commit()
    reopened = EmbeddedStore(tmp_path / "g.json.gz")
    assert reopened.unseen(["s3obj:b/owner.json.gz", "ct:owner-copy"]) == set()
