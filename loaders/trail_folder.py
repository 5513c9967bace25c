"""Where a CloudTrail record was read as evidence: an organisation trail's folder proves membership.

An organisation trail delivers each member account's records under
`<prefix>/AWSLogs/<o-id>/<account>/CloudTrail/<region>/...` (AWS CloudTrail user guide, "Finding your
CloudTrail log files" and "Creating a trail for an organization": organisation trails insert the
organisation id). A record read from such a folder (a local copy keeps the layout, an S3 pull reads the
key itself) shows the account was in that organisation while the trail delivered there: one snapshot
`organization` state per (account, organisation), whose first and last seen are the earliest and latest
times of the first records loaded from each of its delivery files. Any other location (a one-account
trail, a renamed copy, an EventBridge export) says nothing, and nothing is added.
"""

from __future__ import annotations

import re
from dataclasses import replace

from graphgov.core.delta import GraphDelta, NodeRow
from graphgov.core.policy_facts import policy_state

_ORG_FOLDER = re.compile(r"(?:^|[/\\])AWSLogs[/\\](o-[a-z0-9]{10,32})[/\\](\d{12})[/\\]CloudTrail[/\\]")


def org_folder(location: str) -> tuple[str, str] | None:
    """(organisation id, account) when the location is inside an organisation trail's account folder."""
    found = _ORG_FOLDER.search(location or "")
    return (found.group(1), found.group(2)) if found else None


def with_membership(delta: GraphDelta, location: str, seen: dict[str, str] | None = None) -> GraphDelta:
    """The delta, plus the membership its delivery folder proves (unchanged when the folder proves none).

    `seen` (one load's memory of the file that last carried it) keeps the rows on the first loadable record of
    each delivery file only: the state's span is then that of the files, and which records carry it depends
    on the files alone, never on the order they are read in."""
    found = org_folder(location)
    if found is None:
        return delta
    if seen is not None:
        file = location.split("#", 1)[0]
        if seen.get("file") == file:
            return delta
        seen["file"] = file
    org, account = found
    node, edge = policy_state("AWSAccount", account, "organization", "org-membership", evidence="snapshot",
                              target=org, operation="trail-folder")
    return replace(delta, nodes=(*delta.nodes, NodeRow("AWSAccount", account, {"id": account}), node),
                   edges=(*delta.edges, edge))
