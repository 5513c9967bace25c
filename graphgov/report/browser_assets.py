"""Neo4j Browser support: a style sheet for the graphgov schema and the saved questions as favourites.

Neo4j Browser shows every label in one grey-ish palette picked at random and captions nodes by the
first property it finds; graphgov's graph reads far better with related labels in related colours
and each node captioned by its most telling property. The saved questions (cypher/*.cypher) become
Browser favourites so an auditor can run them where the graph is drawn.

What Browser 5 (checked against the 5.24.0 bundle shipped in the neo4j-browser jar that
scripts/neo4j-local runs, and the Browser manual) does with these files:

- Style (GraSS): `:style <url>` fetches the sheet from the web page (so the response needs
  `Access-Control-Allow-Origin`) only when the URL's hostname is in the server setting
  `browser.remote_content_hostname_whitelist` (default `guides.neo4j.com, localhost`; Neo4j 5.26
  knows no `..._allowlist` spelling, and strict config validation refuses unknown settings). The
  server setting `browser.post_connect_cmd` lists commands run after connecting, separated by `;`,
  each written WITHOUT its leading colon (Browser prepends one): `style http://host:port/x.grass`.
  The sheet is parsed by a tiny CSS-like parser: no comments allowed; a value may not contain `:`.
  Rules apply in file order, later ones winning, so multi-label nodes (AWSPrincipal:AWSRole) take
  the more specific label's style when the general label comes first. Browser keeps the sheet in
  localStorage (`neo4j.grass`) until `:style reset`.
- Favourites: there is no import button in the Favorites drawer of 5.24; a file dropped anywhere on
  the Browser window is imported by extension: `.cypher`/`.cyp`/`.cql`/`.txt` (asks: save or paste),
  `.grass` (becomes the style) and `.zip`, whose `*.cypher` entries all become favourites, each in
  the folder named by its directory inside the zip (`graphgov/x.cypher` -> folder `graphgov`).
  A favourite is named after its first line, with a leading `//` stripped. (5.24 also stores one empty
  duplicate folder per imported file; its drawer hides them, showing one `graphgov` folder.)
- Parameters: `:param name => <Cypher expression>` sets one parameter, the right-hand side being
  evaluated by the server (`RETURN <expr>`). A favourite holding several statements separated by
  `;` runs them one after the other (multi-statement editor, on by default) but shows each
  statement's summary only, never its rows; so a question's `:param` lines are a favourite of their
  own (folder `graphgov-parameters`), run once before the question, whose favourite is its query
  alone. Parameters stay set for the session. Browser passes values as they are: the query needs node
  keys (full ARNs, s3:// URIs), not the names `graphgov query` resolves.
- Relationship captions: `<type>` is Browser's token for the type (`{type}` reads a property `type`, falling
  back to the type only when that is empty).
"""

from __future__ import annotations

import argparse
import colorsys
import io
import json
import textwrap
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from graphgov.core.schema import DERIVED_EDGE_TYPES, NODE_TYPES, node_labels
from graphgov.questions.catalog import Question, catalog

GRASS_PATH = "/graphgov.grass"
FAVOURITES_PATH = "/graphgov-favourites.zip"
FAVOURITES_FOLDER = "graphgov"
PARAMETERS_FOLDER = "graphgov-parameters"
DEFAULT_PORT = 7480
PLACEHOLDER = "EDIT ME"

# label -> group; a group is one hue, its labels different lightnesses (schema order), so related
# things look related and each label stays distinguishable.
GROUPS: dict[str, tuple[str, ...]] = {
    "accounts": ("AWSAccount", "AWSOrganizationalUnit"),
    "principals": ("AWSPrincipal", "AWSUser", "AWSRole", "AWSRootUser", "AWSServicePrincipal", "AWSFederatedUser",
                   "AWSIdentityCenterUser", "AWSFederatedIdentity", "AWSRoleSession", "AWSGroup"),
    "data": ("S3Bucket", "S3Object", "Dataset", "ModelArtifact", "S3AccessPoint"),
    "jobs": ("TrainingJob", "ProcessingJob", "TransformJob", "TuningJob", "CustomizationJob", "ModelImportJob",
             "BatchInferenceJob", "ComprehendTraining", "ComprehendAnalysisJob", "ComprehendFlywheel"),
    "models": ("Model", "SageMakerModel", "BedrockModel", "ProvisionedThroughput", "ModelPackage",
               "ModelPackageGroup", "KnowledgeBase", "EndpointConfig", "Endpoint", "ComprehendModel",
               "ComprehendEndpoint"),
    "keys": ("KMSKey",),
    "policies": ("AWSPolicy", "PolicyState"),
    "logging": ("CloudTrailTrail", "LogGroup", "BedrockLoggingConfig"),
}
# group -> (hue in degrees, saturation)
HUES: dict[str, tuple[int, float]] = {
    "accounts": (28, 0.75), "principals": (212, 0.65), "data": (140, 0.55), "jobs": (272, 0.5),
    "models": (336, 0.7), "keys": (48, 0.9), "policies": (178, 0.6), "logging": (20, 0.15), "other": (0, 0.0),
}
LIGHTNESS = (0.42, 0.62, 0.30, 0.74, 0.52, 0.36, 0.68, 0.47, 0.80, 0.57, 0.25, 0.86)

# The caption property where `name` (else the key) is not the most telling one.
CAPTIONS: dict[str, str] = {
    "AWSPrincipal": "arn",  # alone it is an account-as-principal, which has no name
    "AWSRootUser": "arn",
    "AWSRoleSession": "session_name",
    "S3Bucket": "id",
    "S3Object": "key",
    "PolicyState": "slot",
    "KMSKey": "id",
}

NODE_DEFAULTS = {"diameter": "50px", "color": "#A5ABB6", "border-color": "#9AA1AC", "border-width": "2px",
                 "text-color-internal": "#FFFFFF", "font-size": "10px"}
RELATIONSHIP_DEFAULTS = {"color": "#A5ABB6", "shaft-width": "1px", "font-size": "8px", "padding": "3px",
                         "text-color-external": "#000000", "text-color-internal": "#FFFFFF", "caption": "<type>"}
DERIVED_RELATIONSHIP_COLOR = "#F79767"  # potential access (CAN_*) stands apart from observed events


def label_group(label: str) -> str:
    """The colour group of a label; `other` (grey) for a label no group names yet."""
    return next((group for group, labels in GROUPS.items() if label in labels), "other")


def _hex(hue: int, lightness: float, saturation: float) -> str:
    r, g, b = colorsys.hls_to_rgb(hue / 360, lightness, saturation)
    return "#{:02X}{:02X}{:02X}".format(*(round(c * 255) for c in (r, g, b)))


def _luminance(colour: str) -> float:
    """WCAG relative luminance, to pick the caption colour that reads best on the fill."""
    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def text_colour(fill: str) -> str:
    """Black or white, whichever contrasts more with the fill (WCAG contrast ratio)."""
    lum = _luminance(fill)
    return "#000000" if (lum + 0.05) / 0.05 >= 1.05 / (lum + 0.05) else "#FFFFFF"


def label_colours(label: str) -> dict[str, str]:
    """Fill, border and caption colour of a label."""
    group = label_group(label)
    hue, saturation = HUES[group]
    members = GROUPS.get(group, (label,))
    lightness = LIGHTNESS[members.index(label) % len(LIGHTNESS)] if label in members else 0.6
    fill = _hex(hue, lightness, saturation)
    return {"color": fill, "border-color": _hex(hue, max(lightness - 0.15, 0.1), saturation),
            "text-color-internal": text_colour(fill)}


def label_caption(label: str) -> str:
    """The property a node of this label is captioned with: the most telling one it always has."""
    if label in CAPTIONS:
        return CAPTIONS[label]
    node_type = NODE_TYPES.get(label) or next(t for t in NODE_TYPES.values() if label in t.labels)
    return "name" if "name" in node_type.props else node_type.key


def _label_depth(label: str) -> int:
    """How general a label is: 0 for labels that come first (AWSPrincipal, Model), more for subtypes."""
    return min(t.labels.index(label) for t in NODE_TYPES.values() if label in t.labels)


def grass_rules() -> dict[str, dict[str, str]]:
    """The style as selector -> properties, general labels before their subtypes (later rules win)."""
    rules: dict[str, dict[str, str]] = {"node": dict(NODE_DEFAULTS), "relationship": dict(RELATIONSHIP_DEFAULTS)}
    for label in sorted(node_labels(), key=lambda lab: (_label_depth(lab), lab)):
        rules[f"node.{label}"] = {**label_colours(label), "caption": f"{{{label_caption(label)}}}"}
    for edge in DERIVED_EDGE_TYPES:
        rules[f"relationship.{edge}"] = {"color": DERIVED_RELATIONSHIP_COLOR}
    return rules


def grass_stylesheet() -> str:
    """The Neo4j Browser style sheet (GraSS) for graphgov's schema; deterministic."""
    blocks = []
    for selector, props in grass_rules().items():
        lines = [f"  {key}: {json.dumps(value) if key == 'caption' else value};" for key, value in props.items()]
        blocks.append(f"{selector} {{\n" + "\n".join(lines) + "\n}\n")
    return "\n".join(blocks)


def cypher_literal(value: Any) -> str:
    """A parameter value as a Cypher literal, for `:param name => <literal>`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(cypher_literal(v) for v in value) + "]"
    raise TypeError(f"no Cypher literal for {value!r}")


# What the raw query expects for each parameter type: Browser does not resolve names as graphgov does.
PARAM_HINTS = {
    "principal": "the principal's full ARN (arn:aws:iam::<account>:role/<name>)",
    "endpoint": "the endpoint's full ARN (lower-case name, as SageMaker writes it)",
    "model": "the model's full ARN",
    "dataset": "the dataset's S3 URI exactly as stored (s3://bucket/prefix)",
    "job": "the job's full ARN",
    "bucket": "the bucket name only",
}


def _comment(text: str) -> list[str]:
    """Comment lines, wrapped; `;` becomes `,` since Browser splits a favourite into statements at `;`."""
    return [f"// {line}" for line in textwrap.wrap(text.replace(";", ","), 110, break_on_hyphens=False)]


def favourite_text(question: Question) -> str:
    """One saved question as a Browser favourite: title line, notes, then the query alone.

    The query is a statement of its own so that Browser shows its rows: a favourite holding `:param`
    lines too would run as several statements, which Browser answers with summaries only.
    """
    lines = [f"// {question.title}", f"// id: {question.id} (graphgov query {question.id})",
             f"// severity: {question.severity}", *_comment("controls: " + ", ".join(question.controls)),
             *_comment(question.description)]
    for name, spec in sorted(question.params.items()):
        hint = PARAM_HINTS.get(spec.type)
        lines += _comment(f"param {name} ({'required' if spec.required else 'optional'}): {spec.description}"
                          + (f". Here: {hint}" if hint else ""))
    if question.params:
        lines += _comment(f"Set the parameters first: run '{parameters_title(question)}' from the "
                          f"{PARAMETERS_FOLDER} folder (edit it for required ones), or :param name => value.")
    return "\n".join([*lines, question.cypher.rstrip().rstrip(";")]) + "\n"


def parameters_title(question: Question) -> str:
    return f"Parameters: {question.title}"


def parameters_text(question: Question) -> str | None:
    """The `:param` lines a question needs, as a favourite of its own; None when it takes none.

    Optional parameters get their defaults; required ones a marked placeholder to edit before running.
    """
    if not question.params:
        return None
    lines = [f"// {parameters_title(question)}", f"// id: {question.id}, then run '{question.title}' from the "
             f"{FAVOURITES_FOLDER} folder"]
    for name, spec in sorted(question.params.items()):
        if spec.required:
            lines.append(f"// EDIT the value of {name} below before running")
            lines.append(f":param {name} => {cypher_literal(f'{PLACEHOLDER}: {name}')};")
        else:
            lines.append(f":param {name} => {cypher_literal(spec.default)};")
    return "\n".join(lines) + "\n"


def favourites_files() -> dict[str, str]:
    """The favourites import as zip entry name -> text: `graphgov/<id>.cypher` per saved question, and
    `graphgov-parameters/<id>.cypher` for each that takes parameters."""
    files = {f"{FAVOURITES_FOLDER}/{q.id}.cypher": favourite_text(q) for q in catalog().values()}
    for question in catalog().values():
        text = parameters_text(question)
        if text is not None:
            files[f"{PARAMETERS_FOLDER}/{question.id}.cypher"] = text
    return files


def favourites_zip_bytes() -> bytes:
    """The favourites zip, byte-identical from run to run (fixed entry times)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in sorted(favourites_files().items()):
            archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), text.encode("utf-8"),
                             compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def favourites_zip(path: Path | str) -> Path:
    """Write the favourites zip (drop it on the Browser window to import it)."""
    target = Path(path)
    target.write_bytes(favourites_zip_bytes())
    return target


class _AssetHandler(BaseHTTPRequestHandler):
    """Serves the two assets with CORS: Browser fetches `:style <url>` from the page, cross-origin."""

    assets: dict[str, tuple[str, bytes]] = {}

    def _send(self, with_body: bool) -> None:
        path = self.path.split("?", 1)[0]
        if path not in self.assets:
            self.send_response(404)
            self.send_header("Access-Control-Allow-Origin", "*")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        content_type, body = self.assets[path]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        if with_body:
            self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._send(True)

    def do_HEAD(self) -> None:  # noqa: N802
        self._send(False)

    def do_OPTIONS(self) -> None:  # noqa: N802 - CORS preflight, should a client send one
        self.send_response(204)
        self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Access-Control-Allow-Methods", "GET, HEAD, OPTIONS")
        self.send_header("Access-Control-Allow-Headers", "*")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet: runs in the background
        return


def make_server(host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> ThreadingHTTPServer:
    """A bound (not yet serving) server for the style sheet and the favourites zip; port 0 picks one."""
    handler = type("AssetHandler", (_AssetHandler,), {"assets": {
        GRASS_PATH: ("text/plain; charset=utf-8", grass_stylesheet().encode("utf-8")),
        FAVOURITES_PATH: ("application/zip", favourites_zip_bytes()),
    }})
    return ThreadingHTTPServer((host, port), handler)


def serve(host: str = "127.0.0.1", port: int = DEFAULT_PORT) -> None:
    """Serve `/graphgov.grass` and `/graphgov-favourites.zip` until interrupted."""
    server = make_server(host, port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":  # `python3 -m graphgov.report.browser_assets`, as scripts/neo4j-local runs it
    parser = argparse.ArgumentParser(description=serve.__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    arguments = parser.parse_args()
    serve(arguments.host, arguments.port)
