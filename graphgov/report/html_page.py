"""Single-file HTML pages: graphgov's style and the vendored drawing library inlined, data as JSON.

The pages are evidence people mail around and open on air-gapped laptops, so they fetch nothing: every
script, style and datum is inside the file (graphgov/assets/VENDORED.md names the vendored code).
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from importlib import resources
from typing import Any

from graphgov import __version__

VENDORED_SCRIPTS = ("cytoscape.min.js", "lineage-view.js")
LONG_PART = 16  # characters between `/` or `:` beyond which the finer break points below count too
LONG_TOKEN = 32  # characters: a piece longer than this with no break point (a hash) may break anywhere
FINER_BREAKS = re.compile(r"(?<=[-_.#@,=])|(?<=[a-z])(?=[A-Z])")  # after - _ . # @ , =, and inside camelCase


@cache
def asset(name: str) -> str:
    """The text of a file under graphgov/assets (shipped in the wheel)."""
    return resources.files("graphgov.assets").joinpath(name).read_text(encoding="utf-8")


def breakable(text: str) -> str:
    """`text` escaped, with `<wbr>` after each `/` and `:` (and, in parts still longer than LONG_PART, after
    `-`, `_`, `.`, `#`, `@`, `,`, `=` and between the words of a camelCase name), so ARNs, object keys, policy
    statement names and event ids wrap where a reader expects and ordinary words stay whole (no break-all)."""
    shown = []
    for word in re.split(r"(\s+)", text):  # spaces already break: only the words between them get <wbr>
        pieces = []
        for part in re.split(r"(?<=[/:])", word) if word.strip() else [word]:
            pieces += FINER_BREAKS.split(part) if len(part) > LONG_PART else [part]
        shown.append("<wbr>".join(_piece(piece) for piece in pieces if piece))
    return "".join(shown)


def _piece(piece: str) -> str:
    """A piece with no break point left: a hash or id longer than a column may break anywhere (the last
    resort, `.long-token` in graphgov.css); shorter ones stay whole."""
    if len(piece) > LONG_TOKEN:
        return f'<span class="long-token">{html.escape(piece, quote=True)}</span>'
    return html.escape(piece, quote=True)


def script_json(element_id: str, data: Any) -> str:
    """Data for the page's scripts, safe inside HTML (no `</script>` or `<!--` can end the element)."""
    text = json.dumps(data, sort_keys=True).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return f'<script type="application/json" id="{html.escape(element_id)}">{text}</script>'


def page(title: str, body: str, *, scripts: tuple[str, ...] = (), draws: bool = False, wide: bool = False) -> str:
    """A whole HTML document; `draws` inlines the graph library and graphgov's lineage view; a `wide` page
    uses the window's whole width (a picture), the others keep lines short enough to read."""
    body_tag = '<body class="wide">' if wide else "<body>"
    inline = [asset(name) for name in (VENDORED_SCRIPTS if draws else ())] + list(scripts)
    script_tags = "\n".join(f"<script>\n{text}\n</script>" for text in inline)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        # Nothing may be fetched: the policy makes any attempt fail visibly in the console.
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:\">\n"
        f'<meta name="generator" content="graphgov {html.escape(__version__)}">\n'
        f"<title>{html.escape(title)}</title>\n<style>\n{asset('graphgov.css')}</style>\n</head>\n"
        f"{body_tag}\n{body}\n{script_tags}\n</body>\n</html>\n"
    )
