"""`graphgov lineage --html`: the lineage subgraph as one interactive, offline HTML page.

The page draws the same JSON `--format json` prints (graphgov.questions.lineage.as_json) with the vendored
Cytoscape.js: pan, zoom, click a node for its key and edges. The text tree is in the page too, so the
evidence reads without scripts.
"""

from __future__ import annotations

import html

from graphgov.questions.lineage import KINDS, Lineage, as_json, as_text, display_name
from graphgov.report.html_page import page, script_json

DRAW_ONE = """
(function () {
  var data = JSON.parse(document.getElementById("graphgov-lineage").textContent);
  graphgovLineage.draw(document.getElementById("graph"), data, {
    legend: document.getElementById("legend"), details: document.getElementById("details")
  });
})();
"""


def lineage_page(lineage: Lineage) -> str:
    """The whole page for one lineage subgraph."""
    data = as_json(lineage)
    kind = KINDS.get(lineage.root[0], lineage.root[0])
    name = display_name(lineage.root)
    body = (
        f"<h1>Lineage of {html.escape(kind)} {html.escape(name)}</h1>\n"
        f'<p class="muted"><code>{html.escape(lineage.root[1])}</code>: {len(data["nodes"])} nodes, '
        f'{len(data["edges"])} edges. Drag to pan, scroll to zoom, click a node for its details.</p>\n'
        '<div class="legend" id="legend"></div>\n'
        '<div class="view"><div class="graph full" id="graph"></div>'
        '<div class="details" id="details"><p class="muted">Click a node.</p></div></div>\n'
        f"<h2>As text</h2>\n<pre>{html.escape(as_text(lineage))}</pre>\n"
        f"{script_json('graphgov-lineage', data)}"
    )
    return page(f"graphgov lineage: {name}", body, scripts=(DRAW_ONE,), draws=True)
