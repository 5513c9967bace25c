"""The frameworks as data: one JSON file per framework, validated at load, and tied to the saved questions."""

from __future__ import annotations

import fnmatch
import json
from pathlib import Path

import pytest

from graphgov.questions.catalog import catalog
from graphgov.questions.controls import control_title
from graphgov.questions.frameworks import FRAMEWORKS, FrameworkFileError, frameworks_from, load_frameworks

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "graphgov" / "questions" / "frameworks"
ORIGIN = "graphgov/questions/frameworks"


def write(folder: Path, name: str, content: object) -> Path:
    path = folder / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def soc2(**changes: object) -> dict[str, object]:
    return {"id": "soc2", "title": "SOC 2", "order": 1,
            "controls": [{"id": "CC6.1", "title": "Logical access"},
                         {"id": "C1.2", "title": "Disposal", "question_evidenced": False}]} | changes


def load_folder(folder: Path) -> dict:
    return frameworks_from(folder.iterdir(), ORIGIN)


# ---- the shipped files ------------------------------------------------------------------------------

def test_shipped_frameworks_in_their_declared_order():
    assert list(FRAMEWORKS) == ["eu-ai-act", "nist-ai-rmf", "iso-42001", "soc2", "gdpr"]
    assert sorted(p.name for p in DATA.glob("*.json")) == sorted(f"{f}.json" for f in FRAMEWORKS)
    assert {f: len(fw.controls) for f, fw in FRAMEWORKS.items()} == {
        "eu-ai-act": 23, "nist-ai-rmf": 18, "iso-42001": 16, "soc2": 9, "gdpr": 6}
    assert FRAMEWORKS["nist-ai-rmf"].title == "NIST AI RMF 1.0 (NIST AI 100-1)"
    assert FRAMEWORKS["gdpr"].controls["Art.30(1)(e)"] == (
        "Records of processing: transfers to a third country or international organisation")
    assert list(FRAMEWORKS["soc2"].controls) == ["CC6.1", "CC6.2", "CC6.3", "CC6.6", "CC6.7", "CC7.2", "CC8.1",
                                                 "C1.1", "C1.2"]
    assert FRAMEWORKS["soc2"].not_question_evidenced == {"CC6.2", "C1.1", "C1.2"}
    assert control_title("soc2:CC6.7") == "Transmission, movement and removal of information restricted"
    assert control_title("soc2:CC9.9") is None
    assert load_frameworks() == FRAMEWORKS


def test_every_control_a_question_names_resolves_to_a_framework_file():
    unresolved = sorted({f"{q.id}: {c}" for q in catalog().values() for c in q.controls if control_title(c) is None})
    assert unresolved == []


def test_every_control_is_evidenced_by_a_question_or_marked_as_not():
    named = {c for q in catalog().values() for c in q.controls}
    unmarked = [f"{f.id}:{c}" for f in FRAMEWORKS.values() for c in f.controls
                if f"{f.id}:{c}" not in named and c not in f.not_question_evidenced]
    assert unmarked == [], "name the control in a question's // controls: or mark it question_evidenced: false"


def test_no_control_marked_as_not_question_evidenced_is_named_by_a_question():
    named = {c for q in catalog().values() for c in q.controls}
    wrongly_marked = [f"{f.id}:{c}" for f in FRAMEWORKS.values() for c in f.not_question_evidenced
                      if f"{f.id}:{c}" in named]
    assert wrongly_marked == [], "a question names these controls: drop their question_evidenced: false"


def test_framework_files_ship_as_package_data():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert any(fnmatch.fnmatch("graphgov.questions.frameworks", p) for p in config["packages"]["find"]["include"])
    patterns = config["package-data"]["graphgov.questions.frameworks"]
    data = sorted(p.name for p in DATA.iterdir() if p.is_file() and p.suffix != ".py")
    assert data == sorted(f"{f}.json" for f in FRAMEWORKS)
    assert all(any(fnmatch.fnmatch(name, p) for p in patterns) for name in data)


# ---- loading and validation -------------------------------------------------------------------------

def test_a_valid_folder_loads_in_order(tmp_path):
    write(tmp_path, "soc2.json", soc2(order=2))
    write(tmp_path, "gdpr.json", {"id": "gdpr", "title": "GDPR", "order": 1,
                                  "controls": [{"id": "Art.30(1)(b)", "title": "Purposes"}]})
    write(tmp_path, "README.md", "not a framework")
    loaded = load_folder(tmp_path)
    assert list(loaded) == ["gdpr", "soc2"]
    assert dict(loaded["soc2"].controls) == {"CC6.1": "Logical access", "C1.2": "Disposal"}
    assert loaded["soc2"].not_question_evidenced == {"C1.2"}
    assert loaded["gdpr"].not_question_evidenced == frozenset()


@pytest.mark.parametrize(("content", "message"), [
    (soc2(title=""), "graphgov/questions/frameworks/soc2.json: title: String should have at least 1 character"),
    ({k: v for k, v in soc2().items() if k != "order"},
     "graphgov/questions/frameworks/soc2.json: order: Field required"),
    (soc2(order="first"), "graphgov/questions/frameworks/soc2.json: order: Input should be a valid integer, "
                          "unable to parse string as an integer"),
    (soc2(controls=[{"id": "CC6.1"}]), "graphgov/questions/frameworks/soc2.json: controls.0.title: Field required"),
    (soc2(controls=[{"id": "CC6.1", "title": "t", "gated": True}]),
     "graphgov/questions/frameworks/soc2.json: controls.0.gated: Extra inputs are not permitted"),
    (soc2(controls=[{"id": "CC6.1", "title": "t"}, {"id": "CC6.1", "title": "u"}]),
     "graphgov/questions/frameworks/soc2.json: controls: Value error, duplicate control id 'CC6.1'"),
    (soc2(controls=[]), "graphgov/questions/frameworks/soc2.json: controls: Value error, a framework lists at "
                        "least one control"),
    (soc2(order=0), "graphgov/questions/frameworks/soc2.json: order: Input should be greater than or equal to 1"),
    (soc2(id="gdpr"), "graphgov/questions/frameworks/soc2.json: id: 'gdpr' differs from the file name 'soc2'"),
    ('{"id": "soc2",', "graphgov/questions/frameworks/soc2.json: not JSON: Expecting property name enclosed in "
                       "double quotes: line 1 column 15 (char 14)"),
])
def test_a_wrong_file_fails_in_one_line_naming_file_and_field(tmp_path, content, message):
    write(tmp_path, "soc2.json", content)
    with pytest.raises(FrameworkFileError) as failure:
        load_folder(tmp_path)
    assert str(failure.value) == message
    assert "\n" not in str(failure.value)


def test_two_frameworks_in_one_place_fail(tmp_path):
    write(tmp_path, "soc2.json", soc2())
    write(tmp_path, "gdpr.json", {"id": "gdpr", "title": "GDPR", "order": 1,
                                  "controls": [{"id": "Art.30(1)(b)", "title": "Purposes"}]})
    with pytest.raises(FrameworkFileError) as failure:
        load_folder(tmp_path)
    assert str(failure.value) == ("graphgov/questions/frameworks/soc2.json: order: 1 is also the order of "
                                  "graphgov/questions/frameworks/gdpr.json")


def test_a_control_id_cannot_hold_the_framework_separator(tmp_path):
    write(tmp_path, "soc2.json", soc2(controls=[{"id": "soc2:CC6.1", "title": "t"}]))
    with pytest.raises(FrameworkFileError, match=r"^graphgov/questions/frameworks/soc2\.json: controls\.0\.id: "
                                                 r"String should match pattern"):
        load_folder(tmp_path)
