"""The embedded store's dispatch: the question id -> its twin, from the registry the family modules fill.

Importing a family module registers its twins (`@answers`); every family is imported here, once, so
`IMPLEMENTATIONS` holds every twin and the store (graphgov.stores.embedded) needs nothing else.
"""

from __future__ import annotations

from collections.abc import Mapping

from graphgov.questions.embedded import access, activity, classification, governance, lineage, time_of_act
from graphgov.questions.embedded.registry import Answer, reads_of, registered
from graphgov.stores.embedded_graph import GraphReads

FAMILIES = (activity, lineage, access, governance, time_of_act, classification)  # each registers its twins

IMPLEMENTATIONS: Mapping[str, Answer] = registered()
READS: Mapping[str, GraphReads] = reads_of()  # what of the graph each twin walks
