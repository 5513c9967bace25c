"""Render a control report (graphgov.questions.controls.Report) as Markdown, JSON or SARIF 2.1.0.

All three carry the same verdicts and each question's remediation; Markdown is for people, JSON for pipelines,
SARIF for code-scanning dashboards (one result per failing row, located at the saved question that found it; the
remediation is its rule's `help`, with `helpUri` the first AWS documentation link). Each says, per question,
whether its rows are the answer: `status` `ran`, `not-run` (needs parameters) or `not-evidenced` (needs sources
never loaded), with the reason (QuestionResult.summary).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from graphgov import __version__
from graphgov.questions.catalog import Question
from graphgov.questions.controls import FRAMEWORKS, Report, resources_of, unknown_access, verdict_counts

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
            lines += _markdown_rows(said, r.rows)
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


def _markdown_rows(said: str, rows: tuple[dict[str, Any], ...]) -> list[str]:
    """The question's one-line status (its row count) and its rows as a table."""
    if not rows:
        return [f"{said}."]
    columns = list(rows[0])
    provenance = [c for c in PROVENANCE if c in columns]
    out = ["", said + (f"; provenance in {', '.join(provenance)}." if provenance else "."), "",
           "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(_cell(row.get(c)) for c in columns) + " |" for row in rows]
    unknown = sum(unknown_access(row) is not None for row in rows)
    if unknown:
        out += ["", UNKNOWN_NOTE.format(count=unknown)]
    return out


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


def sarif_log(report: Report) -> dict[str, Any]:
    """One run of tool graphgov: rules are the questions, results the rows of failing ones."""
    results = list(report.questions.values())
    index = {r.question.id: i for i, r in enumerate(results)}
    sarif_results = []
    for r in results:
        if r.verdict != "fail":
            continue
        rows = r.failing_rows or ({},)  # "any rows" fails with no row: one result for the absence
        for row in rows:
            message = (f"{r.question.title}: " + ", ".join(resources_of(row)) if row
                       else f"{r.question.title}: no rows, evidence required")
            missing = unknown_access(row)
            if missing is not None:
                message += (" (access unknown: never seen: " + (", ".join(missing) or "an identity policy or the "
                            "state before the evidence") + "; a finding to look at, not a pass)")
            sarif_results.append({
                "ruleId": r.question.id, "ruleIndex": index[r.question.id],
                "partialFingerprints": {FINGERPRINT: fingerprint(r.question.id, row)},
                "level": SARIF_LEVEL[r.question.severity], "message": {"text": message},
                "locations": [{"physicalLocation": {"artifactLocation": {
                    "uri": f"cypher/{r.question.id}.cypher", "uriBaseId": SARIF_BASE}}}],
                "properties": {"resources": resources_of(row), "controls": list(r.question.controls), "row": row,
                               **({"unknown": missing} if missing is not None else {}),
                               "provenance": {k: report.provenance[k] for k in resources_of(row)
                                              if k in report.provenance}},
            })
    return {
        "$schema": SARIF_SCHEMA, "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "graphgov", "version": __version__,
                                "rules": [_rule(r.question) for r in results]}},
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
