"""Adding a question is one recipe (graphgov/questions/embedded/__init__.py): its cypher file, one registered
embedded twin in its family module, one parity case. These tests name whatever part is missing or stray."""

from __future__ import annotations

import pkgutil
import re
from collections.abc import Collection
from pathlib import Path

import pytest
from parity_cases import PARITY_CASES

import graphgov.questions.embedded as embedded_package
from graphgov.questions.catalog import catalog
from graphgov.questions.embedded import core, registry
from graphgov.questions.embedded.registry import RegistryError, answers, family, registered
from graphgov.stores.base import StoreError
from graphgov.stores.embedded import EmbeddedStore
from graphgov.stores.embedded_graph import GraphReads

ROOT = Path(__file__).resolve().parent.parent
HELPER_MODULES = {"core", "registry", "walk", "chains", "profiles", "estate"}  # the modules that answer no question


def recipe_gaps(cypher_ids: Collection[str], twin_ids: Collection[str], parity_ids: Collection[str]) -> list[str]:
    """One line per missing or stray part of the recipe, by question id."""
    gaps = []
    for qid in sorted({*cypher_ids, *twin_ids, *parity_ids}):
        if qid not in cypher_ids:
            if qid in twin_ids:
                gaps.append(f"{qid}: an embedded twin is registered (@answers) but there is no cypher/{qid}.cypher")
            if qid in parity_ids:
                gaps.append(f"{qid}: tests/parity_cases.py has a case but there is no cypher/{qid}.cypher")
            continue
        if qid not in twin_ids:
            gaps.append(f'{qid}: no embedded twin: add @answers("{qid}") on one function in its family module '
                        "(graphgov/questions/embedded/<family>.py)")
        if qid not in parity_ids:
            gaps.append(f'{qid}: no parity case: add ParityCase("{qid}", ...) to tests/parity_cases.py')
    return gaps


def test_every_question_has_its_cypher_file_twin_and_parity_case():
    cypher_ids = {path.stem for path in (ROOT / "cypher").glob("*.cypher")}
    assert cypher_ids == set(catalog())  # the catalogue reads every file (and checks id == file name)
    gaps = recipe_gaps(cypher_ids, set(core.IMPLEMENTATIONS), {case.question for case in PARITY_CASES})
    assert gaps == [], "\n".join(gaps)


def test_recipe_gaps_name_each_missing_and_stray_part():
    assert recipe_gaps({"a", "b", "c"}, {"a", "c", "twin-only"}, {"a", "c", "case-only"}) == [
        'b: no embedded twin: add @answers("b") on one function in its family module '
        "(graphgov/questions/embedded/<family>.py)",
        'b: no parity case: add ParityCase("b", ...) to tests/parity_cases.py',
        "case-only: tests/parity_cases.py has a case but there is no cypher/case-only.cypher",
        "twin-only: an embedded twin is registered (@answers) but there is no cypher/twin-only.cypher",
    ]
    assert recipe_gaps({"a"}, {"a"}, {"a"}) == []


def test_every_family_module_is_imported_by_the_dispatch():
    modules = {m.name for m in pkgutil.iter_modules(embedded_package.__path__)}
    families = {module.__name__.rpartition(".")[2] for module in core.FAMILIES}
    assert modules - HELPER_MODULES == families, "a family module missing from core.FAMILIES never registers"
    assert families == {"activity", "lineage", "access", "governance", "time_of_act", "classification"}


def test_each_twin_is_one_function_of_its_family_named_after_its_question():
    twins = core.IMPLEMENTATIONS
    assert twins == registered()
    assert len({id(answer) for answer in twins.values()}) == len(twins)  # no function answers two questions
    assert {qid: family(answer) for qid, answer in twins.items()} == {
        "cross-account-assumptions": "activity", "principal-activity": "activity", "object-readers": "activity",
        "endpoint-lineage": "lineage", "model-lineage": "lineage", "models-without-lineage": "lineage",
        "dataset-consumers": "lineage",
        "training-data-readers": "access", "cross-account-exposure": "access", "public-ai-data": "access",
        "iam-changes-on-ai-roles": "access", "access-at-training-time": "access",
        "ai-inventory": "governance", "shadow-ai": "governance", "models-without-approved-package": "governance",
        "endpoints-without-data-capture": "governance", "logging-coverage": "governance",
        "short-log-retention": "governance",
        "bedrock-invocations-without-logging": "time_of_act", "unencrypted-ai-artifacts": "time_of_act",
        "personal-data-in-training": "classification",
    }
    for qid, answer in twins.items():
        assert answer.__name__ == qid.replace("-", "_"), qid
    assert set(core.READS) == set(twins)  # each declares what it reads (tests/test_embedded_reads.py)


def test_a_question_answered_twice_is_refused(monkeypatch):
    monkeypatch.setattr(registry, "_TWINS", {})

    @answers("twice", GraphReads())
    def first(graph, params):  # noqa: ANN001, ANN202 - a throwaway twin
        return []

    with pytest.raises(RegistryError, match=r"^'twice' is answered twice: by .*first and by .*second$"):
        @answers("twice", GraphReads())
        def second(graph, params):  # noqa: ANN001, ANN202 - a throwaway twin
            return []
    assert list(registered()) == ["twice"]
    assert registered()["twice"].__wrapped__ is first  # registered as is, run with the cyclic GC paused


def test_the_embedded_store_answers_through_the_registry(tmp_path, monkeypatch):
    store = EmbeddedStore(tmp_path / "g.json.gz")
    monkeypatch.setitem(core.IMPLEMENTATIONS, "cross-account-assumptions", lambda graph, params: [{"n": 1}])
    assert store.ask("cross-account-assumptions", "MATCH (n) RETURN n", {}) == [{"n": 1}]
    with pytest.raises(StoreError, match="question 'no-such-question' has no embedded-store implementation"):
        store.ask("no-such-question", "MATCH (n) RETURN n", {})


def test_the_recipe_names_places_that_exist():
    recipe = embedded_package.__doc__ or ""
    for path in ("tests/parity_cases.py", "tests/test_questions.py", "tests/test_question_recipe.py"):
        assert path in recipe and (ROOT / path).exists(), path
    named_families = re.findall(r"`(\w+)`\s+\(", recipe)  # "`access` (who could read ...)"
    assert set(named_families) == {module.__name__.rpartition(".")[2] for module in core.FAMILIES}
    for name in [*named_families, "walk", "chains", "profiles"]:
        assert (ROOT / "graphgov" / "questions" / "embedded" / f"{name}.py").exists(), name


def test_the_recipe_names_every_header_key():
    """A new question's author learns its header from the recipe: every key the catalogue reads is named there."""
    from graphgov.questions.catalog import Question

    recipe = embedded_package.__doc__ or ""
    keys = {"pass" if name == "pass_rule" else name for name in Question.model_fields} - {"cypher"}
    assert keys == {"id", "title", "description", "severity", "controls", "params", "evidence", "pass", "remediation",
                    "group"}
    header = recipe.split("the header (", 1)[1].split("graphgov.questions.catalog", 1)[0]
    assert [key for key in sorted(keys) if not re.search(rf"\b{key}\b", header)] == []
