"""`graphgov lineage --html`: the lineage subgraph as one interactive, offline HTML page.

The page draws the same JSON `--format json` prints (graphgov.questions.lineage.as_json) with the vendored
Cytoscape.js: pan, zoom, click a node for its key and edges. Beside the picture a panel summarises the
lineage before anyone clicks (what the legend counts, datasets per channel, writers, readers, what is not
known), and the text tree is in the page too, so the evidence reads without scripts. The HTML report draws
each endpoint's lineage with the same figure.
"""

from __future__ import annotations

import html
from collections import defaultdict

from graphgov.core import ids
from graphgov.questions.lineage import KINDS, Lineage, as_json, as_text, display_name, kind_word
from graphgov.report.html_page import breakable, page, script_json

DRAW_ONE = """
(function () {
  var data = JSON.parse(document.getElementById("graphgov-lineage").textContent);
  var graph = document.getElementById("graph");
  // No taller than the graph needs (the text tree follows it), nor than what is left of the window.
  graphgovLineage.draw(graph, data, {
    legend: document.getElementById("legend"), details: document.getElementById("details"), fitHeight: true,
    maxHeight: Math.max(320, window.innerHeight - graph.getBoundingClientRect().top - 40)  // room for a note
  });
})();
"""
CLICK_HINT = '<p class="muted">Click a node for its full key and edges.</p>'


def lineage_page(lineage: Lineage) -> str:
    """The whole page for one lineage subgraph, as wide as the window."""
    data = as_json(lineage)
    kind = KINDS.get(lineage.root[0], lineage.root[0])
    name = display_name(lineage.root)
    body = (
        f"<h1>Lineage of {html.escape(kind)} {html.escape(name)}</h1>\n"
        f'<p class="muted"><code>{html.escape(lineage.root[1])}</code>: {len(data["nodes"])} nodes, '
        f'{len(data["edges"])} edges. Drag to pan, scroll to zoom, click a node for its details.</p>\n'
        '<div class="view"><div class="graph full" id="graph"></div>'
        f'<aside class="side"><div class="legend" id="legend"></div>{lineage_summary(lineage)}'
        f'<div class="details" id="details">{CLICK_HINT}</div></aside></div>\n'
        f"<h2>As text</h2>\n<pre>{html.escape(as_text(lineage))}</pre>\n"
        f"{script_json('graphgov-lineage', data)}"
    )
    return page(f"graphgov lineage: {name}", body, scripts=(DRAW_ONE,), draws=True, wide=True)


def lineage_figure(lineage: Lineage, index: int) -> str:
    """One lineage in the HTML report: the picture (drawn from the page's JSON list at `index`) with the
    same side panel as the lineage page, and the text tree folded away."""
    arn = lineage.root[1]
    return (
        f'<figure id="lineage-{index}" data-lineage-index="{index}" data-root="{html.escape(arn)}">'
        f"<figcaption><b>{html.escape(display_name(lineage.root))}</b> <code>{html.escape(arn)}</code>: "
        f"{len(lineage.nodes)} nodes, {len(lineage.edges)} edges</figcaption>"
        '<div class="view"><div class="graph"></div><aside class="side"><div class="legend"></div>'
        f'{lineage_summary(lineage)}<div class="details">{CLICK_HINT}</div></aside></div>'
        f"<details><summary>As text</summary><pre>{html.escape(as_text(lineage))}</pre></details></figure>")


def lineage_summary(lineage: Lineage) -> str:
    """What the lineage says at a glance: its root, datasets per channel, writers, readers, and the links
    the logs did not show (read before any node is clicked, and without scripts)."""
    items = [f"<dt>Root</dt><dd>{html.escape(KINDS.get(lineage.root[0], lineage.root[0]))} "
             f"<b>{html.escape(display_name(lineage.root))}</b></dd>"]
    channels = _datasets_per_channel(lineage)
    if channels:
        items.append("<dt>Training data per channel</dt>" + "".join(
            f"<dd><b>{html.escape(channel)}</b>: {', '.join(_code(d) for d in datasets)}</dd>"
            for channel, datasets in channels.items()))
    writers = _writers(lineage)
    if writers:
        items.append("<dt>Wrote the datasets (CloudTrail)</dt>" + "".join(
            f"<dd>{_code(_principal(p))}: {n} dataset{'s' if n != 1 else ''}</dd>" for p, n in writers.items()))
    readers = _readers(lineage)
    if readers:
        items.append(f"<dt>Readers of the datasets</dt><dd>{readers}</dd>")
    gaps = unknowns(lineage)
    items.append("<dt>Not known</dt>" + ("".join(f'<dd class="gap">{html.escape(g)}</dd>' for g in gaps)
                                         if gaps else '<dd class="muted">nothing: every link was found</dd>'))
    return f'<dl class="summary">{"".join(items)}</dl>'


def unknowns(lineage: Lineage) -> list[str]:
    """The links the lineage lacks, each as a short sentence: where the evidence stops."""
    gaps = []
    for label, key in sorted(lineage.nodes):
        node = (label, key)
        name = f"{kind_word(node)} {display_name(node)}"
        if label == "Endpoint" and not lineage.out(node, "USES_CONFIG"):
            gaps.append(f"{name}: no endpoint configuration known")
        if label == "Model" and not (lineage.out(node, "FROM_ARTIFACT", "FROM_PACKAGE", "PROVISIONS", "IMPORTED_FROM")
                                     or lineage.into(node, "PRODUCED")):
            gaps.append(f"{name}: no training job known (lineage not evidenced)")
        if label == "ModelArtifact" and not lineage.into(node, "WRITES"):
            gaps.append(f"{name}: no job known to have written it")
        if label in ("TrainingJob", "TuningJob", "ProcessingJob") and not lineage.out(node, "READS"):
            gaps.append(f"{name}: no input dataset known")
        if label == "Dataset" and not lineage.into(node, "WROTE"):
            gaps.append(f"{name}: no writer recorded")
    manifests = sum(1 for (t, _, _), p in lineage.edges.items() if t == "FEEDS" and p.get("link") == "unknown")
    if manifests:
        gaps.append(f"{manifests} preparation link{'s' if manifests != 1 else ''} through a manifest whose keys "
                    "were not read")
    unknown = sum(1 for (t, _, _), p in lineage.edges.items() if t == "CAN_READ" and p.get("access") == "unknown")
    if unknown:
        gaps.append(f"{unknown} read access{'es' if unknown != 1 else ''} decided by a policy never seen")
    return gaps


def _datasets_per_channel(lineage: Lineage) -> dict[str, list[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for (edge_type, _, dataset), props in lineage.edges.items():
        if edge_type == "READS":
            for channel in props.get("channels") or ["(no channel named)"]:
                found[channel].add(dataset[1])
    return {channel: sorted(found[channel]) for channel in sorted(found)}


def _writers(lineage: Lineage) -> dict[str, int]:
    found: dict[str, int] = defaultdict(int)
    for edge_type, writer, _ in lineage.edges:
        if edge_type == "WROTE":
            found[writer[1]] += 1
    return dict(sorted(found.items()))


def _readers(lineage: Lineage) -> str:
    observed = {s for t, s, _ in lineage.edges if t == "READ"}
    allowed = {s for t, s, _ in lineage.edges if t == "CAN_READ"}
    parts = []
    if observed:
        parts.append(f"{len(observed)} principal{'s' if len(observed) != 1 else ''} read them "
                     "(CloudTrail data events)")
    if allowed:
        parts.append(f"{len(allowed)} principal{'s' if len(allowed) != 1 else ''} can read them (policies)")
    return "; ".join(parts)


def _principal(key: str) -> str:
    """`role/Name (account)` for a principal ARN, the key itself otherwise."""
    if not ids.is_arn(key):
        return key
    arn = ids.parse_arn(key)
    return f"{arn.resource} ({arn.account})" if arn.account else arn.resource


def _code(text: str) -> str:
    return f"<code>{breakable(text)}</code>"

