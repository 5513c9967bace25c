"""Framework controls, evidence sources, and the verdicts `graphgov report` gives them.

A saved question names the controls it gives evidence for (`// controls:`) and the evidence sources its
answer depends on (`// evidence:`). An empty answer proves nothing until those sources were loaded, so a
question whose sources are missing is `not-evidenced`, never `pass`. A control combines its questions:
any failing question fails it (at the severity of the worst one), else any not-evidenced question leaves
it not-evidenced, else it passes.

The frameworks and their controls are data (graphgov/questions/frameworks/<id>.json, loaded and validated by
graphgov.questions.frameworks); their identifiers and titles follow the compliance map of the project's AWS
reference (EU AI Act Regulation (EU) 2024/1689, NIST AI RMF 1.0, ISO/IEC 42001:2023 Annex A, SOC 2 TSC 2017
rev. 2022, GDPR).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from graphgov.questions.catalog import Question, QuestionError, catalog, normalise_rows
from graphgov.questions.frameworks import FRAMEWORKS
from graphgov.stores.base import Store

Verdict = Literal["pass", "fail", "not-evidenced"]
SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


def control_title(control: str) -> str | None:
    """The title of `framework:id`, or None when no framework declares it."""
    framework, _, local = control.partition(":")
    found = FRAMEWORKS.get(framework)
    return found.controls.get(local) if found else None


# ---- evidence sources -------------------------------------------------------------------------------

_TRAIL = frozenset({"cloudtrail", "eventbridge"})  # EventBridge "AWS API Call via CloudTrail" carries records
_SAGEMAKER_LABELS = ("TrainingJob", "ProcessingJob", "TransformJob", "TuningJob", "EndpointConfig", "Endpoint",
                     "ModelPackage", "ModelPackageGroup")
_BEDROCK_LABELS = ("CustomizationJob", "KnowledgeBase", "ModelImportJob", "BatchInferenceJob")
# Comprehend's nodes share those merge labels (a training is a CustomizationJob, an endpoint an Endpoint...):
# they are evidence of Comprehend, never of SageMaker or Bedrock
_COMPREHEND_LABELS = frozenset({"ComprehendModel", "ComprehendTraining", "ComprehendFlywheel",
                                "ComprehendAnalysisJob", "ComprehendEndpoint"})


def _any_edge(store: Store, types: Iterable[str], sources: frozenset[str] | None = None) -> bool:
    """Whether an edge of the types exists (from one of `sources`); stops at the first."""
    for edge_type in types:
        for _src, _dst, attrs in store.scan_edges(edge_type):
            if sources is None or sources & set(attrs.get("sources") or ()):
                return True
    return False


def _any_node(store: Store, labels: Iterable[str], with_label: str | None = None, source: str | None = None,
              without: frozenset[str] = frozenset()) -> bool:
    for label in labels:
        for _key, attrs in store.scan_nodes(label):
            node_labels = attrs.get("labels") or ()
            if (with_label is None or with_label in node_labels) and (
                    source is None or source in (attrs.get("sources") or ())) and not without.intersection(node_labels):
                return True
    return False


def _sagemaker(store: Store) -> bool:
    return _any_node(store, _SAGEMAKER_LABELS, without=_COMPREHEND_LABELS) or _any_node(store, ("Model",),
                                                                                        "SageMakerModel")


def _bedrock(store: Store) -> bool:
    return _any_node(store, _BEDROCK_LABELS, without=_COMPREHEND_LABELS) or _any_node(store, ("Model",),
                                                                                      "BedrockModel")


def _comprehend(store: Store) -> bool:
    """A node of any merge label Comprehend's share, carrying one of Comprehend's own labels."""
    return any(_COMPREHEND_LABELS.intersection(attrs.get("labels") or ())
               for label in ("Model", "CustomizationJob", "BatchInferenceJob", "Endpoint")
               for _key, attrs in store.scan_nodes(label))


def _policies(store: Store) -> bool:
    """IAM, bucket and key policy states (a Comprehend model's own states say nothing of who may read data)."""
    return any(attrs.get("subject_type") != "ComprehendModel" for _key, attrs in store.scan_nodes("PolicyState"))


@dataclass(frozen=True)
class EvidenceSource:
    id: str
    label: str  # in words people know, for "not evidenced: needs <label>"
    title: str
    loaded: Callable[[Store], bool] = field(repr=False)


EVIDENCE_SOURCES: dict[str, EvidenceSource] = {s.id: s for s in (
    EvidenceSource("cloudtrail-management", "CloudTrail management events",
                   "CloudTrail management events (STS, IAM, KMS, SageMaker, Bedrock calls)",
                   lambda s: _any_edge(s, ("ASSUMED_ROLE", "CREATED", "USED_KEY", "HAS_POLICY", "INVOKED",
                                           "ENABLED_LOGGING", "DISABLED_LOGGING", "APPROVED"), _TRAIL)),
    EvidenceSource("s3-data-events", "CloudTrail S3 data events", "CloudTrail S3 data events (object reads and writes)",
                   lambda s: _any_edge(s, ("READ", "WROTE", "LISTED"), _TRAIL)),
    EvidenceSource("iam-policies", "IAM, bucket and key policies",
                   "Policies in force (IAM, bucket, key), from a pull or their change events",
                   _policies),
    EvidenceSource("config-snapshot", "a logging configuration snapshot from `graphgov pull config`",
                   "Logging configuration snapshot (`graphgov pull config`: trails, log groups)",
                   lambda s: _any_node(s, ("CloudTrailTrail", "LogGroup"), source="pull:config")),
    EvidenceSource("bedrock-invocation-logs", "Bedrock model-invocation logs", "Bedrock model-invocation log records",
                   lambda s: _any_edge(s, ("INVOKED",), frozenset({"bedrock_invocation_log"}))),
    EvidenceSource("sagemaker-events", "SageMaker jobs, models or endpoints",
                   "SageMaker jobs, models and endpoints (events or describe pulls)", _sagemaker),
    EvidenceSource("bedrock-events", "Bedrock custom models, jobs or knowledge bases",
                   "Bedrock models, jobs and knowledge bases (events or describe pulls)", _bedrock),
    EvidenceSource("ai-resources", "SageMaker, Bedrock or Comprehend resources",
                   "Any SageMaker, Bedrock or Comprehend resource (events or describe pulls)",
                   lambda s: _sagemaker(s) or _bedrock(s) or _comprehend(s)),
)}


def evidence_labels(ids: Iterable[str]) -> str:
    """Evidence source ids as people read them: `a`, `a and b`, `a, b and c`."""
    labels = [EVIDENCE_SOURCES[i].label if i in EVIDENCE_SOURCES else i for i in ids]
    return labels[0] if len(labels) < 2 else ", ".join(labels[:-1]) + " and " + labels[-1]


def loaded_sources(store: Store, wanted: Iterable[str] | None = None) -> dict[str, bool]:
    """Whether each evidence source was ever loaded into the store (read-only, early-exit scans)."""
    ids = sorted(set(wanted) if wanted is not None else set(EVIDENCE_SOURCES))
    return {source: EVIDENCE_SOURCES[source].loaded(store) for source in ids}


# ---- validation -------------------------------------------------------------------------------------

def catalogue_problems(questions: Iterable[Question]) -> list[str]:
    """Every unknown control or evidence id, and every question declaring no evidence, one line each."""
    problems = []
    for question in questions:
        problems += [f"{question.id}: unknown control {c!r}" for c in question.controls if control_title(c) is None]
        problems += [f"{question.id}: unknown evidence source {e!r}" for e in question.evidence
                     if e not in EVIDENCE_SOURCES]
        if not question.evidence:
            problems.append(f"{question.id}: no evidence sources declared (// evidence: [...])")
    return problems


def check_catalogue(questions: Iterable[Question]) -> None:
    problems = catalogue_problems(questions)
    if problems:
        raise QuestionError("saved questions: " + "; ".join(problems))


# ---- verdicts ---------------------------------------------------------------------------------------

Status = Literal["ran", "not-run", "not-evidenced"]


@dataclass(frozen=True)
class QuestionResult:
    question: Question
    verdict: Verdict
    gated: bool  # False: evidence only, never a finding
    ran: bool  # False when the question needs parameters a report cannot give
    missing: tuple[str, ...]  # evidence sources never loaded
    rows: tuple[dict[str, Any], ...]

    @property
    def failing_rows(self) -> tuple[dict[str, Any], ...]:
        return self.rows if self.verdict == "fail" and self.question.pass_rule == "no rows" else ()

    @property
    def status(self) -> Status:
        """Whether the rows can be read as the answer: `not-run` (it needs parameters), `not-evidenced`
        (a source it needs was never loaded, so its rows, if any, are what the loaded sources show), `ran`."""
        if not self.ran:
            return "not-run"
        return "not-evidenced" if self.missing else "ran"

    @property
    def needs(self) -> tuple[str, ...]:
        """The parameters a report cannot give (the question's required ones)."""
        return tuple(name for name, spec in self.question.params.items() if spec.required)

    @property
    def reason(self) -> str | None:
        """Why the rows are not the answer, in backquoted Markdown: `needs `endpoint``; None when it ran."""
        if self.status == "not-run":
            return "needs " + ", ".join(f"`{name}`" for name in self.needs)
        if self.status == "not-evidenced":
            return "needs " + evidence_labels(self.missing)
        return None

    @property
    def summary(self) -> str:
        """One line, the same in every form: `not run: needs `endpoint``, `not evidenced: needs ...`, `3 rows`.
        `0 rows` only when the question ran with its evidence loaded and found nothing."""
        counted = rows_phrase(len(self.rows))
        if self.status == "not-run":
            return f"not run: {self.reason}"
        if self.status == "not-evidenced":
            return f"not evidenced: {self.reason}" + (f"; {counted} from the sources loaded" if self.rows else "")
        return counted

    @property
    def shown(self) -> str:
        """The verdict as people read it: a question that was not run says so, and an evidence-only
        question passes by definition, so it says `evidence` rather than look like a check that was made
        (JSON and SARIF keep `verdict`)."""
        if not self.ran:
            return "not run"
        return "evidence" if not self.gated and self.verdict == "pass" else self.verdict


def rows_phrase(count: int) -> str:
    """'0 rows', '1 row', '22 rows': every count of rows graphgov prints says it this way (reports, tables)."""
    return f"{count} row" if count == 1 else f"{count} rows"


@dataclass(frozen=True)
class ControlResult:
    control: str
    title: str
    verdict: Verdict
    severity: str | None  # of the worst failing question
    questions: tuple[str, ...]


@dataclass(frozen=True)
class Report:
    frameworks: tuple[str, ...]
    sources: Mapping[str, bool]
    questions: Mapping[str, QuestionResult]
    controls: tuple[ControlResult, ...]
    # resource named in a row -> where the graph learnt of it (Store.provenance): sources, window, event ids
    provenance: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def resources_of(row: Mapping[str, Any]) -> list[str]:
    """The ARNs and S3 URIs a row names, in any column (lists included), sorted."""
    found: set[str] = set()
    for value in row.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.startswith(("arn:", "s3://")):
                found.add(item)
    return sorted(found)


def unknown_access(row: Mapping[str, Any]) -> list[str] | None:
    """For a row whose `access` is `unknown`: the policy documents never seen that decide it (the
    `unknown:<kind>-policy:<subject>` entries of its `via`, possibly none when the unknown is an identity
    policy or a time before the evidence); None for any other row.

    Such a row is a finding to look at, never a pass: it counts as a row like any other (a question that
    passes with no rows fails on it), and the report forms say what is missing.
    """
    if row.get("access") != "unknown":
        return None
    via = row.get("via") or []
    return sorted({v[len("unknown:"):] for v in via if isinstance(v, str) and v.startswith("unknown:")})


def verdict_counts(controls: Iterable[ControlResult]) -> dict[str, int]:
    """How many controls fail, are not evidenced, pass (in that order)."""
    controls = list(controls)
    return {v: sum(c.verdict == v for c in controls) for v in ("fail", "not-evidenced", "pass")}


def judge_question(question: Question, rows: list[dict[str, Any]] | None, sources: Mapping[str, bool]) -> \
        QuestionResult:
    """One question's verdict from its rows (None: not run) and which of its sources were loaded.

    A missing source leaves it not-evidenced even with rows: they are shown, not judged, because some
    answers are gaps read from that very absence (`logging-coverage` without a configuration snapshot
    names every Region `no-logging-trail`)."""
    missing = tuple(s for s in question.evidence if not sources.get(s, False))
    gated = not question.informational
    kept = tuple(rows or ())
    if missing:
        verdict: Verdict = "not-evidenced"
    elif not gated:
        verdict = "pass"
    elif question.pass_rule == "no rows":
        verdict = "pass" if not kept else "fail"
    else:  # "any rows": the rows are the evidence required
        verdict = "pass" if kept else "fail"
    return QuestionResult(question, verdict, gated, rows is not None, missing, kept)


def judge_control(control: str, results: Iterable[QuestionResult]) -> ControlResult:
    """Any failing question fails the control; else any not-evidenced one leaves it not-evidenced."""
    results = list(results)
    failing = [r for r in results if r.verdict == "fail"]
    if failing:
        worst = max((r.question.severity for r in failing), key=SEVERITY_RANK.__getitem__)
        verdict: Verdict = "fail"
    else:
        worst = None
        verdict = "not-evidenced" if any(r.verdict == "not-evidenced" for r in results) else "pass"
    return ControlResult(control, control_title(control) or "", verdict, worst,
                         tuple(sorted(r.question.id for r in results)))


def selected_frameworks(framework: str) -> tuple[str, ...]:
    if framework == "all":
        return tuple(FRAMEWORKS)
    if framework not in FRAMEWORKS:
        raise QuestionError(f"unknown framework {framework!r} (known: {', '.join(FRAMEWORKS)}, all)")
    return (framework,)


def build_report(store: Store, framework: str = "all", questions: Mapping[str, Question] | None = None) -> Report:
    """Run every saved question a report can run and judge each control of the chosen framework(s).

    Every question that needs no parameter runs, whether or not its evidence sources were loaded: its
    rows are the ones `graphgov query` gives on the same store, and a missing source makes it
    not-evidenced (judged by `judge_question`), never hidden.

    Controls no saved question names are left out: the report says what the graph evidences, not what it
    does not attempt.
    """
    frameworks = selected_frameworks(framework)
    questions = dict(questions if questions is not None else catalog())
    check_catalogue(questions.values())
    relevant = {qid: q for qid, q in questions.items()
                if any(c.partition(":")[0] in frameworks for c in q.controls)}
    sources = loaded_sources(store, {s for q in relevant.values() for s in q.evidence})
    results: dict[str, QuestionResult] = {}
    for qid, question in sorted(relevant.items()):
        runnable = not any(spec.required for spec in question.params.values())
        rows = None
        if runnable:  # missing evidence too: its rows are still what `graphgov query` answers, shown as such
            params = {name: spec.default for name, spec in question.params.items()}
            rows = normalise_rows(store.ask(question.id, question.cypher, params))
        results[qid] = judge_question(question, rows, sources)
    by_control: dict[str, list[QuestionResult]] = {}
    for result in results.values():
        for control in result.question.controls:
            if control.partition(":")[0] in frameworks:
                by_control.setdefault(control, []).append(result)
    order = {f: i for i, f in enumerate(FRAMEWORKS)}
    controls = tuple(judge_control(c, rs) for c, rs in sorted(
        by_control.items(), key=lambda item: (order[item[0].partition(":")[0]], _control_key(item[0]))))
    named = {arn for result in results.values() for row in result.rows for arn in resources_of(row)}
    return Report(frameworks, sources, results, controls, store.provenance(named))


def _control_key(control: str) -> tuple[Any, ...]:
    """Natural order of control ids: Art.10(5)(c) before Art.12(1), MEASURE 2.4 before MEASURE 2.10."""
    local = control.partition(":")[2]
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.findall(r"\d+|\D+", local))


def exit_failures(report: Report, fail_on: str, strict: bool) -> list[ControlResult]:
    """The controls that make `graphgov report` exit non-zero: failed at `fail_on` or above; with
    `strict`, not-evidenced ones too."""
    threshold = SEVERITY_RANK[fail_on]
    return [c for c in report.controls
            if (c.verdict == "fail" and SEVERITY_RANK[c.severity or "info"] >= threshold)
            or (strict and c.verdict == "not-evidenced")]


def controls_table_markdown(questions: Mapping[str, Question] | None = None) -> str:
    """Framework -> control -> questions, from the question metadata (the README's controls section)."""
    questions = questions if questions is not None else catalog()
    lines = ["| framework | control | title | questions |", "|---|---|---|---|"]
    for framework in FRAMEWORKS.values():
        named: dict[str, list[str]] = {}
        for question in questions.values():
            for control in question.controls:
                if control.partition(":")[0] == framework.id:
                    named.setdefault(control, []).append(question.id)
        for control in sorted(named, key=_control_key):
            ids = ", ".join(f"`{q}`" for q in sorted(named[control]))
            lines.append(f"| {framework.title} | `{control}` | {control_title(control)} | {ids} |")
    return "\n".join(lines)


def questions_table_markdown(questions: Mapping[str, Question] | None = None) -> str:
    """One row per saved question, from its header (the README's saved-questions section): what it asks, its
    severity, the parameters it takes, the evidence sources it needs and its controls per framework."""
    questions = questions if questions is not None else catalog()
    lines = ["| id | question | severity | parameters | evidence | controls |", "|---|---|---|---|---|---|"]
    for qid, question in sorted(questions.items()):
        params = ", ".join(f"`{name}`" + ("" if spec.required else " (optional)")
                           for name, spec in question.params.items())
        by_framework: dict[str, list[str]] = {}
        for control in question.controls:
            framework, _, local = control.partition(":")
            by_framework.setdefault(framework, []).append(local)
        controls = "; ".join(f"{f} {', '.join(sorted(by_framework[f], key=lambda c: _control_key(':' + c)))}"
                             for f in FRAMEWORKS if f in by_framework)
        evidence = ", ".join(f"`{e}`" for e in question.evidence)
        title = question.title.replace("|", "\\|")
        lines.append(f"| `{qid}` | {title} | {question.severity} | {params} | {evidence} | {controls} |")
    return "\n".join(lines)
