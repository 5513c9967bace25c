"""Render a control report (graphgov.questions.controls.Report) as Markdown, JSON or SARIF 2.1.0.

All three carry the same verdicts and each question's remediation; Markdown is for people, JSON for pipelines,
SARIF for code-scanning dashboards (one result per failing row, or per group of rows for a question that groups
them, graphgov.questions.grouping; at most MAX_SARIF_RESULTS, the last saying what was left out; located at the
saved question that found it; the remediation is its rule's `help`, with `helpUri` the first AWS documentation
link). Each says, per question,
whether its rows are the answer: `status` `ran`, `not-run` (needs parameters) or `not-evidenced` (needs sources
never loaded), with the reason (QuestionResult.summary).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from graphgov import __version__
from graphgov.questions.catalog import Grouping, Question
from graphgov.questions.controls import FRAMEWORKS, Report, resources_of, unknown_access, verdict_counts
from graphgov.questions.grouping import SAMPLE_COLUMN, SAMPLE_SIZE, count_column, for_people, group_phrase

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_BASE = "PROJECTROOT"  # uriBaseId of `cypher/<id>.cypher`: the graphgov source tree
SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
PROVENANCE = ("event_ids", "first_seen", "last_seen")


def render(report: Report, output_format: str) -> str:
    """The report in `md`, `json` or `sarif`, ending with a newline."""
    if output_format == "md":
        return render_markdown(report)
    if output_format == "json":
        return json.dumps(report_dict(report), indent=2) + "\n"
    if output_format == "sarif":
        return json.dumps(sarif_log(report), indent=2) + "\n"
    raise ValueError(f"unknown report format {output_format!r}")


def report_dict(report: Report) -> dict[str, Any]:
    """The JSON form: controls with their verdicts, then each question's verdict and rows."""
    return {
        "frameworks": list(report.frameworks),
        "evidence_sources": dict(sorted(report.sources.items())),
        "controls": [{
            "control": c.control, "framework": c.control.partition(":")[0], "title": c.title,
            "verdict": c.verdict, "severity": c.severity, "questions": list(c.questions),
        } for c in report.controls],
        "questions": [{
            "id": r.question.id, "title": r.question.title, "severity": r.question.severity,
            "pass": r.question.pass_rule, "gated": r.gated, "ran": r.ran, "verdict": r.verdict,
            "status": r.status, "reason": r.reason, "needs_params": list(r.needs) if not r.ran else [],
            "missing_evidence": list(r.missing), "rows": list(r.rows), "remediation": r.question.remediation.as_dict(),
        } for r in report.questions.values()],
        "provenance": dict(sorted(report.provenance.items())),
    }


def render_markdown(report: Report) -> str:
    titles = ", ".join(FRAMEWORKS[f].title for f in report.frameworks)
    counts = verdict_counts(report.controls)
    lines = [f"# graphgov control report: {titles}", "",
             f"{counts['fail']} failing, {counts['not-evidenced']} not evidenced, {counts['pass']} passing "
             f"of {len(report.controls)} controls.", "",
             "Evidence sources loaded: " + (", ".join(f"`{s}`" for s, ok in sorted(report.sources.items()) if ok)
                                            or "none") + ".",
             "Evidence sources never loaded: " + (", ".join(f"`{s}`" for s, ok in sorted(report.sources.items())
                                                            if not ok) or "none") + ".", "",
             "## Controls", "", "| control | title | verdict | severity | questions |", "|---|---|---|---|---|"]
    for c in report.controls:
        questions = ", ".join(f"`{q}`" for q in c.questions)
        lines.append(f"| `{c.control}` | {c.title} | {c.verdict} | {c.severity or ''} | {questions} |")
    lines += ["", "## Questions"]
    for r in report.questions.values():
        q = r.question
        kind = "gated" if r.gated else "evidence only"
        lines += ["", f"### `{q.id}`: {r.shown}", "", f"{q.title} (severity {q.severity}, {kind}, "
                  f"pass: {q.pass_rule}; controls: {', '.join(q.controls)})."]
        said = r.summary[0].upper() + r.summary[1:]
        if r.status == "not-run":
            example = " ".join(f"--param {name}=..." for name in r.needs)
            lines.append(f"{said} (`graphgov query {q.id} {example}`).")
        else:
            lines += _markdown_rows(said, r.rows, q)
        lines += ["", remediation_markdown(q)]
    if report.provenance:
        lines += ["", "## Provenance", "", "Where the graph learnt of each resource the rows name: its sources, the "
                  "time window of its evidence, and the smallest few event ids of its recorded edges.", "",
                  "| resource | sources | first seen | last seen | event ids |", "|---|---|---|---|---|"]
        lines += [f"| {_cell(key)} | {_cell(p['sources'])} | {_cell(p['first_seen'])} | {_cell(p['last_seen'])} | "
                  f"{_cell(p['event_ids'])} |" for key, p in sorted(report.provenance.items())]
    return "\n".join(lines) + "\n"


def remediation_markdown(question: Question) -> str:
    """What to change, then AWS's pages on it, as one Markdown paragraph (also SARIF's `help.markdown`)."""
    links = ", ".join(f"<{link}>" for link in question.remediation.links)
    return f"**Remediation:** {question.remediation.text} AWS documentation: {links}."


def _markdown_rows(said: str, rows: tuple[dict[str, Any], ...], question: Question) -> list[str]:
    """The question's one-line status (its row count) and its rows as a table (its groups when it has them)."""
    if not rows:
        return [f"{said}."]
    shown = for_people(question, rows)
    columns = list(shown[0])
    provenance = [c for c in PROVENANCE if c in columns]
    out = ["", said + (f"; provenance in {', '.join(provenance)}." if provenance else "."), "",
           *([grouped_note(question.id, question.group, len(rows), len(shown)), ""] if question.group else []),
           "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(_cell(row.get(c)) for c in columns) + " |" for row in shown]
    unknown = sum(unknown_access(row) is not None for row in rows)
    if unknown:
        out += ["", UNKNOWN_NOTE.format(count=unknown)]
    return out


def grouped_note(question_id: str, grouping: Grouping, rows: int, groups: int) -> str:
    """What a report says above a grouped table: how it groups, and where every row is."""
    return (f"Shown as {group_phrase(grouping, rows, groups)}, naming the first {SAMPLE_SIZE} of each group; "
            f"`graphgov query {question_id} --format json` and the JSON report list every {grouping.member}.")


# How every report form shows an `access: unknown` row (README, "Access and exposure").
UNKNOWN_NOTE = ("{count} rows have access `unknown`: a policy that was never seen decides them (named in `via` as "
                "`unknown:<kind>-policy:<subject>`). Each is a finding to look at, not a pass; `graphgov pull iam` "
                "reads the missing policies.")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(str(v) for v in value)
    return str(value).replace("|", "\\|").replace("\n", " ")


FINGERPRINT = "graphgovFinding/v1"
VOLATILE = frozenset({"first_seen", "last_seen", "as_of", "count", "bytes", "event_ids", "via", "operations"})


def fingerprint(question_id: str, row: dict[str, Any]) -> str:
    """What a finding is, stable across runs: the rule, the resources and principals the row names and its
    other plain values (not the statements, counts or times that explain it), so code scanning tracks one
    alert per finding instead of folding every result at the same `cypher/<id>.cypher` into one."""
    named = [r for r in resources_of(row) if "#" not in r]  # `<subject>#<slot>#<Sid>` explains, not names
    named += sorted(f"{k}={v}" for k, v in row.items()  # and what kind of finding (access read/write, gap, ...)
                    if k not in VOLATILE and isinstance(v, (str, int, bool)) and v not in named)
    return hashlib.sha256("\n".join([question_id, *named]).encode("utf-8")).hexdigest()


def _rule(question: Question) -> dict[str, Any]:
    return {
        "id": question.id, "name": question.id,
        "shortDescription": {"text": question.title}, "fullDescription": {"text": question.description},
        "help": {"text": f"{question.remediation.text} AWS documentation: {', '.join(question.remediation.links)}",
                 "markdown": remediation_markdown(question)},
        "helpUri": question.remediation.links[0],
        "defaultConfiguration": {"level": SARIF_LEVEL[question.severity]},
        "properties": {"severity": question.severity, "controls": list(question.controls),
                       "evidence": list(question.evidence), "pass": question.pass_rule,
                       "tags": list(question.controls)},
    }


MAX_SARIF_RESULTS = 5000  # code-scanning dashboards refuse or truncate more (GitHub: 5,000 per upload shown)
CAPPED_RULE = "graphgov-results-left-out"


def _group_message(question: Question, grouping: Grouping, row: dict[str, Any]) -> str:
    """'<title>: resource s3://..., principal_account 2222, access potential: 26 principals (e.g. a, b, c)'."""
    named = ", ".join(f"{c} {row.get(c)}" for c in grouping.by)
    count = row.get(count_column(grouping))
    return (f"{question.title}: {named}: {count} {grouping.member}{'' if count == 1 else 's'} "
            f"(e.g. {', '.join(str(m) for m in row.get(SAMPLE_COLUMN) or [])})")


def _sarif_result(report: Report, r: Any, rule_index: int, row: dict[str, Any]) -> dict[str, Any]:
    """One failing row (or group of rows) as a SARIF result, located at its saved question."""
    q = r.question
    if not row:
        message = f"{q.title}: no rows, evidence required"
    elif q.group is not None:
        message = _group_message(q, q.group, row)
    else:
        message = f"{q.title}: " + ", ".join(resources_of(row))
    missing = unknown_access(row)
    if missing is not None:
        message += (" (access unknown: never seen: " + (", ".join(missing) or "an identity policy or the "
                    "state before the evidence") + "; a finding to look at, not a pass)")
    identity = row if q.group is None else {k: v for k, v in row.items() if k not in (
        count_column(q.group), SAMPLE_COLUMN, *q.group.merge)}  # the group, whoever its members are today
    return {
        "ruleId": q.id, "ruleIndex": rule_index,
        "partialFingerprints": {FINGERPRINT: fingerprint(q.id, identity)},
        "level": SARIF_LEVEL[q.severity], "message": {"text": message},
        "locations": [_location(q.id)],
        "properties": {"resources": resources_of(row), "controls": list(q.controls), "row": row,
                       **({"unknown": missing} if missing is not None else {}),
                       "provenance": {k: report.provenance[k] for k in resources_of(row) if k in report.provenance}},
    }


def _location(question_id: str) -> dict[str, Any]:
    return {"physicalLocation": {"artifactLocation": {"uri": f"cypher/{question_id}.cypher", "uriBaseId": SARIF_BASE}}}


def cap_results(results: list[dict[str, Any]], rule_index: int, limit: int = MAX_SARIF_RESULTS) -> list[dict[str, Any]]:
    """At most `limit` results: past it, the most severe first (in their order) and a last result saying how
    many were left out, of which questions, and where to see them all. Never a silent drop."""
    if len(results) <= limit:
        return results
    rank = {"error": 0, "warning": 1, "note": 2}
    order = sorted(range(len(results)), key=lambda i: (rank.get(results[i]["level"], 3), i))
    kept = sorted(order[:limit - 1])
    left: dict[str, int] = {}
    for i in sorted(order[limit - 1:]):
        left[results[i]["ruleId"]] = left.get(results[i]["ruleId"], 0) + 1
    per_question = ", ".join(f"{qid}: {n}" for qid, n in left.items())
    note = {
        "ruleId": CAPPED_RULE, "ruleIndex": rule_index, "level": "warning",
        "message": {"text": f"{sum(left.values())} of {len(results)} results left out to stay within {limit} "
                            f"({per_question}); the least severe go first. `graphgov report --format json` lists "
                            f"every row, `graphgov query <question> --format json` every row of one question."},
        "locations": [_location(next(iter(left)))],
        "partialFingerprints": {FINGERPRINT: hashlib.sha256(CAPPED_RULE.encode("utf-8")).hexdigest()},
        "properties": {"left_out": left},
    }
    return [results[i] for i in kept] + [note]


def _capped_rule() -> dict[str, Any]:
    return {"id": CAPPED_RULE, "name": CAPPED_RULE,
            "shortDescription": {"text": "Results left out of this SARIF file"},
            "fullDescription": {"text": f"A SARIF file holds at most {MAX_SARIF_RESULTS} results; this one says how "
                                        "many more graphgov found and where to read them."},
            "defaultConfiguration": {"level": "warning"}}


def sarif_log(report: Report, limit: int = MAX_SARIF_RESULTS) -> dict[str, Any]:
    """One run of tool graphgov: rules are the questions, results the rows of failing ones (one result per group
    for a question that groups its rows), at most `limit` of them (cap_results)."""
    results = list(report.questions.values())
    index = {r.question.id: i for i, r in enumerate(results)}
    sarif_results = []
    for r in results:
        if r.verdict != "fail":
            continue
        rows = for_people(r.question, r.failing_rows) or [{}]  # "any rows" fails with no row: one result
        sarif_results += [_sarif_result(report, r, index[r.question.id], row) for row in rows]
    sarif_results = cap_results(sarif_results, len(results), limit)
    rules = [_rule(r.question) for r in results]
    if any(result["ruleId"] == CAPPED_RULE for result in sarif_results):
        rules.append(_capped_rule())
    return {
        "$schema": SARIF_SCHEMA, "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "graphgov", "version": __version__, "rules": rules}},
            "originalUriBaseIds": {SARIF_BASE: {"description": {"text": "The graphgov source tree (saved questions "
                                                                        "in cypher/)."}}},
            "results": sarif_results,
            # questions whose rows are not the answer: not run (parameters) or not evidenced (sources)
            "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": [
                {"level": "note", "message": {"text": f"{r.question.id}: {r.summary}"},
                 "associatedRule": {"id": r.question.id, "index": index[r.question.id]}}
                for r in results if r.status != "ran"]}],
            "properties": {"frameworks": list(report.frameworks),
                           "questions": [{"id": r.question.id, "status": r.status, "reason": r.reason,
                                          "rows": len(r.rows)} for r in results],
                           "controls": [{"control": c.control, "verdict": c.verdict, "severity": c.severity}
                                        for c in report.controls]},
        }],
    }
