"""Exports of the graph to other tools' formats; read-only, like the questions they build on.

`openlineage`: the AI lineage (datasets -> jobs -> models -> endpoints) as OpenLineage run events, so
Marquez, DataHub or any OpenLineage consumer can show it. `runs` reads the graph into plain job runs,
`naming` gives each node its OpenLineage namespace and name, `events` builds the events with the
`openlineage-python` client (an optional extra) and `emit` writes or posts them.
"""
