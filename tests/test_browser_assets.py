"""graphgov.report.browser_assets: the Neo4j Browser style sheet, the favourites zip, the assets server, the CLI.

The Browser itself (style applied on connect, zip imported, favourites run) is tested against the real
server in tests/test_neo4j_browser.py.
"""

from __future__ import annotations

import io
import re
import threading
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from graphgov.cli.app import main
from graphgov.core.schema import DERIVED_EDGE_TYPES, NODE_TYPES, node_labels
from graphgov.questions.catalog import catalog
from graphgov.report.browser_assets import (
    FAVOURITES_PATH,
    GRASS_PATH,
    GROUPS,
    cypher_literal,
    favourite_text,
    favourites_files,
    favourites_zip,
    favourites_zip_bytes,
    grass_rules,
    grass_stylesheet,
    label_caption,
    label_colours,
    label_group,
    make_server,
    text_colour,
)

ROOT = Path(__file__).resolve().parent.parent


def _parse_grass(text: str) -> dict[str, dict[str, str]]:
    """The sheet read the way Browser's parser reads it: `selector { key: value; ... }`, quotes dropped."""
    rules = {}
    for selector, body in re.findall(r"([\w.]+) \{\n(.*?)\n\}", text, flags=re.S):
        props = {}
        for line in body.splitlines():
            key, value = line.strip().rstrip(";").split(": ")
            props[key] = value.strip('"')
        rules[selector] = props
    return rules


def test_grass_covers_every_label_with_a_colour_and_a_caption():
    rules = _parse_grass(grass_stylesheet())
    assert rules == grass_rules()
    labels = node_labels()
    assert sorted(s.removeprefix("node.") for s in rules if s.startswith("node.")) == labels
    for label in labels:
        rule = rules[f"node.{label}"]
        assert set(rule) == {"color", "border-color", "text-color-internal", "caption"}
        assert all(re.fullmatch(r"#[0-9A-F]{6}", rule[k]) for k in ("color", "border-color"))
        assert rule["text-color-internal"] in ("#000000", "#FFFFFF")
        caption = re.fullmatch(r"\{(\w+)\}", rule["caption"]).group(1)
        # the caption is a property every node carrying the label has (its key, or a declared property)
        assert all(caption == t.key or caption in t.props for t in NODE_TYPES.values() if label in t.labels)
    fills = [rules[f"node.{label}"]["color"] for label in labels]
    assert len(set(fills)) == len(fills)  # every label distinguishable
    assert rules["relationship"]["caption"] == "<type>"  # Browser's own token for the relationship type
    assert {s for s in rules if s.startswith("relationship.")} == {f"relationship.{e}" for e in DERIVED_EDGE_TYPES}
    assert "/*" not in grass_stylesheet()  # Browser's GraSS parser has no comments


def test_grass_groups_related_labels_and_orders_general_before_specific():
    assert {label_group(label) for label in node_labels()} == set(GROUPS)  # no label left in "other"
    assert sum(len(labels) for labels in GROUPS.values()) == len(node_labels())
    assert label_colours("AWSAccount") == {"color": "#BB661B", "border-color": "#784111",
                                           "text-color-internal": "#000000"}
    assert label_colours("AWSRole") == {"color": "#1B497E", "border-color": "#0D253F",
                                        "text-color-internal": "#FFFFFF"}
    assert label_colours("Dataset")["color"] == "#22773E"
    assert label_colours("Endpoint")["color"] == "#F0A8C5"
    # one hue per group
    assert label_group("AWSRoleSession") == label_group("AWSUser") == "principals"
    assert label_group("Endpoint") == label_group("SageMakerModel") == "models"
    assert label_group("PolicyState") == label_group("AWSPolicy") == "policies"
    selectors = list(grass_rules())
    for general, specific in (("AWSPrincipal", "AWSRole"), ("Model", "SageMakerModel"),
                              ("BedrockModel", "ProvisionedThroughput"), ("Model", "BedrockModel")):
        assert selectors.index(f"node.{general}") < selectors.index(f"node.{specific}")  # later rules win
    assert {label: label_caption(label) for label in ("AWSAccount", "AWSPrincipal", "AWSRole", "AWSRoleSession",
                                                      "S3Bucket", "S3Object", "Dataset", "ModelArtifact",
                                                      "TrainingJob", "ModelPackage", "PolicyState", "KMSKey",
                                                      "BedrockLoggingConfig")} == {
        "AWSAccount": "id", "AWSPrincipal": "arn", "AWSRole": "name", "AWSRoleSession": "session_name",
        "S3Bucket": "id", "S3Object": "key", "Dataset": "uri", "ModelArtifact": "uri", "TrainingJob": "name",
        "ModelPackage": "arn", "PolicyState": "slot", "KMSKey": "id", "BedrockLoggingConfig": "id"}
    assert (text_colour("#FFFFFF"), text_colour("#000000"), text_colour("#184272")) == ("#000000", "#FFFFFF",
                                                                                         "#FFFFFF")


def test_committed_grass_is_current():
    committed = (ROOT / "neo4j-browser" / "graphgov.grass").read_text(encoding="utf-8")
    assert committed == grass_stylesheet(), "run scripts/sync-browser-assets"


def test_favourites_zip_has_one_file_per_question_under_the_graphgov_folder(tmp_path):
    path = favourites_zip(tmp_path / "favourites.zip")
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        texts = {name: archive.read(name).decode("utf-8") for name in names}
    with_params = sorted(qid for qid, q in catalog().items() if q.params)
    assert len(with_params) == 8
    assert sorted(names) == sorted([*(f"graphgov/{qid}.cypher" for qid in catalog()),
                                    *(f"graphgov-parameters/{qid}.cypher" for qid in with_params)])
    assert texts == favourites_files()
    for qid, question in catalog().items():
        lines = texts[f"graphgov/{qid}.cypher"].splitlines()
        assert lines[0] == f"// {question.title}"  # Browser names the favourite after it
        assert lines[1] == f"// id: {qid} (graphgov query {qid})"
        assert lines[2] == f"// severity: {question.severity}"
        assert texts[f"graphgov/{qid}.cypher"].endswith(question.cypher.rstrip(";") + "\n")
        comments = [line for line in lines if line.startswith("//")]
        assert not any(";" in line for line in comments)  # Browser would split a statement there
        assert not any(line.startswith(":param") for line in lines)  # one statement: Browser shows its rows
    assert favourites_zip_bytes() == favourites_zip_bytes()  # byte-identical from run to run


def test_favourite_param_lines():
    texts = favourites_files()
    assert texts["graphgov-parameters/object-readers.cypher"] == (
        "// Parameters: Who read objects in a bucket\n"
        "// id: object-readers, then run 'Who read objects in a bucket' from the graphgov folder\n"
        "// EDIT the value of bucket below before running\n"
        ":param bucket => 'EDIT ME: bucket';\n"  # required: a marked placeholder
        ":param prefix => '';\n")  # optional: its default
    assert [line for line in texts["graphgov-parameters/shadow-ai.cypher"].splitlines()
            if line.startswith(":param")] == [":param allowed_models => null;", ":param known_accounts => null;"]
    assert "graphgov-parameters/ai-inventory.cypher" not in texts  # it takes no parameters
    lineage = texts["graphgov/endpoint-lineage.cypher"]
    notes = " ".join(line.removeprefix("// ") for line in lineage.splitlines() if line.startswith("//"))
    # Browser passes values as they are; graphgov query resolves names, Browser does not.
    assert ("param endpoint (required): endpoint ARN or name (names are matched lower-cased, as in SageMaker "
            "ARNs). Here: the endpoint's full ARN (lower-case name, as SageMaker writes it)") in notes
    assert ("Set the parameters first: run 'Parameters: Which data trained the model behind an endpoint' from the "
            "graphgov-parameters folder (edit it for required ones), or :param name => value.") in notes
    assert lineage.splitlines()[-1] != "" and "MATCH (e:Endpoint {arn: $endpoint})" in lineage
    assert favourite_text(catalog()["object-readers"]) == texts["graphgov/object-readers.cypher"]


def test_cypher_literals():
    assert [cypher_literal(v) for v in (None, True, 3, "it's", ["a", 1])] == [
        "null", "true", "3", "'it\\'s'", "['a', 1]"]


@pytest.fixture
def assets_server():
    server = make_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_server_serves_both_assets_with_cors(assets_server):
    with urllib.request.urlopen(assets_server + GRASS_PATH, timeout=5) as response:
        assert response.status == 200
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert response.read().decode("utf-8") == grass_stylesheet()
    request = urllib.request.Request(assets_server + FAVOURITES_PATH, headers={"Origin": "http://127.0.0.1:7474"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Content-Type"] == "application/zip"
        body = response.read()
    assert body == favourites_zip_bytes()
    assert len(zipfile.ZipFile(io.BytesIO(body)).namelist()) == len(catalog()) + 8  # questions + parameters
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(assets_server + "/etc/passwd", timeout=5)
    assert missing.value.code == 404


def test_cli_writes_the_style_and_the_favourites(tmp_path):
    runner = CliRunner()
    result = runner.invoke(main, ["browser", "style"])
    assert result.exit_code == 0, result.output
    assert result.output == grass_stylesheet()
    result = runner.invoke(main, ["browser", "style", "--out", str(tmp_path / "g.grass")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "g.grass").read_text(encoding="utf-8") == grass_stylesheet()
    result = runner.invoke(main, ["browser", "favourites", "--out", str(tmp_path / "f.zip")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "f.zip").read_bytes() == favourites_zip_bytes()
    assert runner.invoke(main, ["browser", "favourites"]).exit_code == 2  # --out is required


def test_neo4j_local_configures_browser_and_the_assets_server():
    script = (ROOT / "scripts" / "neo4j-local").read_text(encoding="utf-8")
    assert "browser.post_connect_cmd=style http://127.0.0.1:$assets_port/graphgov.grass\n" in script
    assert "browser.remote_content_hostname_whitelist=127.0.0.1,localhost\n" in script
    assert 'assets_port="$(choose "${GRAPHGOV_BROWSER_ASSETS_PORT:-7480}")"' in script  # 0 picks a free port
    assert "-m graphgov.report.browser_assets --host 127.0.0.1 --port \"$assets_port\"" in script
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert 'NEO4J_browser_post__connect__cmd: "style http://localhost:7480/graphgov.grass"' in compose
    assert 'NEO4J_browser_remote__content__hostname__whitelist: "localhost,127.0.0.1"' in compose
    assert "./neo4j-browser/graphgov.grass:/usr/share/nginx/html/graphgov.grass:ro" in compose
