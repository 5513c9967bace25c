"""The control report as one self-contained HTML page, for the people who must act on it.

A summary per framework first (how many controls fail, lack evidence, pass), then each framework's
controls with a drill-down to the questions that judged them, then every question's remediation and rows, then the
provenance of every resource the rows name (sources, time window, event ids), then a lineage picture
of each SageMaker endpoint the rows name. The verdicts are the report's own (graphgov.questions.controls), the
same the JSON and SARIF forms carry; every control row and question block states its verdict in
`data-verdict` so the page can be checked by machine too.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from typing import Any

from graphgov import __version__
from graphgov.questions.catalog import Question
from graphgov.questions.controls import (
    FRAMEWORKS,
    SEVERITY_RANK,
    ControlResult,
    QuestionResult,
    Report,
    resources_of,
    rows_phrase,
    unknown_access,
    verdict_counts,
)
from graphgov.questions.grouping import for_people
from graphgov.questions.lineage import Lineage, as_json, build_lineage
from graphgov.report.html_page import breakable, page, script_json
from graphgov.report.lineage_html import lineage_figure
from graphgov.report.render import PROVENANCE, UNKNOWN_NOTE, grouped_note
from graphgov.stores.base import Store

ROW_LIMIT = 200  # rows shown per question; the JSON report carries them all
LINEAGE_LIMIT = 50  # endpoints drawn; the rest are counted, and named in the rows
ENDPOINT_ARN = re.compile(r"^arn:aws[a-z-]*:sagemaker:[^:]*:\d{12}:endpoint/[^/]+$")

DRAW_ALL = """
(function () {
  var lineages = JSON.parse(document.getElementById("graphgov-lineages").textContent);
  document.querySelectorAll("[data-lineage-index]").forEach(function (element) {
    var data = lineages[Number(element.getAttribute("data-lineage-index"))];
    graphgovLineage.draw(element.querySelector(".graph"), data, {
      legend: element.querySelector(".legend"), details: element.querySelector(".details"), fitHeight: true });
  });
  // A link to a collapsed block (#c-..., #q-...) opens it, so drill-down links always land somewhere visible.
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") { node.open = true; }
    }
    if (target) { target.scrollIntoView(); }
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();
"""


def endpoints_mentioned(report: Report) -> list[str]:
    """SageMaker endpoint ARNs named anywhere in the report's rows, sorted: the lineages to draw."""
    found = {arn for result in report.questions.values() for row in result.rows
             for arn in resources_of(row) if ENDPOINT_ARN.match(arn)}
    return sorted(found)


def report_lineages(store: Store, report: Report, limit: int = LINEAGE_LIMIT) -> tuple[dict[str, Lineage], int]:
    """The lineage of each endpoint the report names, the first `limit` of them; and how many were left out."""
    endpoints = endpoints_mentioned(report)
    return {arn: build_lineage(store, arn) for arn in endpoints[:limit]}, max(0, len(endpoints) - limit)


def render_html(report: Report, lineages: Mapping[str, Lineage] | None = None, omitted: int = 0) -> str:
    """The whole page; `lineages` maps endpoint ARNs to their lineage, `omitted` counts those left out."""
    lineages = dict(sorted((lineages or {}).items()))
    anchors = {arn: f"lineage-{i}" for i, arn in enumerate(lineages)}
    titles = ", ".join(FRAMEWORKS[f].title for f in report.frameworks)
    parts = [_header(report, titles), _summary(report), _sources(report)]
    parts += [_framework(report, framework) for framework in report.frameworks]
    known = {key: f"p-{i}" for i, key in enumerate(sorted(report.provenance))}
    parts.append(_questions(report, anchors, known))
    parts.append(_provenance(report, known, anchors))
    parts.append(_lineages(lineages, omitted))
    data = [as_json(lineage) for lineage in lineages.values()]
    body = "\n".join(parts) + "\n" + script_json("graphgov-lineages", data)
    return page(f"graphgov control report: {titles}", body, scripts=(DRAW_ALL,), draws=True)


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _anchor(prefix: str, name: str) -> str:
    return prefix + re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-")


def _badge(verdict: str) -> str:
    return f'<span class="verdict {_e(verdict)}">{_e(verdict)}</span>'


def _code(text: str) -> str:
    """Escaped text whose backquoted parts (parameter names, commands) show as code."""
    return re.sub(r"`([^`]*)`", r"<code>\1</code>", _e(text))


def _question_badge(result: QuestionResult) -> str:
    if result.status == "not-run":
        return f'<span class="verdict evidence not-run" title="{_e(result.summary.replace("`", ""))}">not run</span>'
    if result.shown == "evidence":
        return '<span class="verdict evidence" title="evidence only: never a finding">evidence</span>'
    return _badge(result.verdict)


def _header(report: Report, titles: str) -> str:
    counts = verdict_counts(report.controls)
    return (f"<header><h1>graphgov control report</h1><p class=\"muted\">{_e(titles)}. Generated by graphgov "
            f"{_e(__version__)} from the graph's saved questions.</p>"
            f'<p class="totals" id="totals" data-fail="{counts["fail"]}" data-not-evidenced="{counts["not-evidenced"]}"'
            f' data-pass="{counts["pass"]}"><b>{counts["fail"]}</b> failing, <b>{counts["not-evidenced"]}</b> not '
            f"evidenced, <b>{counts['pass']}</b> passing of {len(report.controls)} controls.</p></header>")


def _summary(report: Report) -> str:
    rows = []
    for framework in report.frameworks:
        controls = [c for c in report.controls if c.control.partition(":")[0] == framework]
        counts = verdict_counts(controls)
        failing = [c.severity for c in controls if c.verdict == "fail" and c.severity]
        worst = max(failing, key=SEVERITY_RANK.__getitem__) if failing else ""
        rows.append(f'<tr data-framework="{_e(framework)}" data-fail="{counts["fail"]}" '
                    f'data-not-evidenced="{counts["not-evidenced"]}" data-pass="{counts["pass"]}">'
                    f'<td><a href="#{_anchor("f-", framework)}">{_e(FRAMEWORKS[framework].title)}</a></td>'
                    f"<td>{len(controls)}</td><td>{counts['fail']}</td><td>{counts['not-evidenced']}</td>"
                    f"<td>{counts['pass']}</td><td class=\"severity\">{_e(worst)}</td></tr>")
    return ('<section id="summary"><h2>Summary per framework</h2><table><thead><tr><th>framework</th>'
            "<th>controls</th><th>fail</th><th>not evidenced</th><th>pass</th><th>worst failure</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>"
            '<p class="muted">A control fails when a gated question finds rows (or lacks required ones); it is '
            "not evidenced when a question's evidence sources were never loaded, since an empty answer then "
            "proves nothing.</p></section>")


def _sources(report: Report) -> str:
    items = "".join(f'<li data-source="{_e(s)}" data-loaded="{str(ok).lower()}"><code>{_e(s)}</code>: '
                    f"{'loaded' if ok else '<b>never loaded</b>'}</li>" for s, ok in sorted(report.sources.items()))
    return f'<section id="sources"><h2>Evidence sources</h2><ul>{items}</ul></section>'


def _framework(report: Report, framework: str) -> str:
    controls = [c for c in report.controls if c.control.partition(":")[0] == framework]
    rows, drills = [], []
    for c in controls:
        anchor = _anchor("c-", c.control)
        rows.append(f'<tr data-control="{_e(c.control)}" data-verdict="{_e(c.verdict)}" '
                    f'data-severity="{_e(c.severity or "")}"><td><a href="#{anchor}"><code>'
                    f"{_e(c.control.partition(':')[2])}</code></a></td><td>{_e(c.title)}</td>"
                    f'<td>{_badge(c.verdict)}</td><td class="severity">{_e(c.severity or "")}</td></tr>')
        drills.append(_control_drill(report, c, anchor))
    return (f'<section class="framework" id="{_anchor("f-", framework)}" data-framework="{_e(framework)}">'
            f"<h2>{_e(FRAMEWORKS[framework].title)}</h2><table><thead><tr><th>control</th><th>title</th>"
            f"<th>verdict</th><th>severity</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
            f"{''.join(drills)}</section>")


def _control_drill(report: Report, control: ControlResult, anchor: str) -> str:
    items = []
    for qid in control.questions:
        result = report.questions[qid]
        items.append(f'<li>{_question_badge(result)} <a href="#{_anchor("q-", qid)}"><code>{_e(qid)}</code></a>: '
                     f"{_e(result.question.title)} ({_e(result.question.severity)}; {_code(_why(result))})</li>")
    return (f'<details class="control" id="{anchor}" data-control="{_e(control.control)}" '
            f'data-verdict="{_e(control.verdict)}"><summary>{_badge(control.verdict)} <code>{_e(control.control)}'
            f"</code> {_e(control.title)}</summary><ul>{''.join(items)}</ul></details>")


def _why(result: QuestionResult) -> str:
    """One phrase saying why a question got its verdict."""
    if result.status != "ran":
        return result.summary
    if not result.gated:
        return f"evidence only, {rows_phrase(len(result.rows))}"
    if result.question.pass_rule == "any rows":
        return f"passes with rows, {len(result.rows)} found"
    return f"passes with no rows, {len(result.rows)} found"


def _questions(report: Report, anchors: Mapping[str, str], known: Mapping[str, str]) -> str:
    blocks = []
    for qid, result in report.questions.items():
        q = result.question
        controls = ", ".join(f'<a href="#{_anchor("c-", c)}"><code>{_e(c)}</code></a>' for c in q.controls
                             if c.partition(":")[0] in report.frameworks)
        blocks.append(
            f'<details class="question" id="{_anchor("q-", qid)}" data-question="{_e(qid)}" '
            f'data-verdict="{_e(result.verdict)}" data-status="{_e(result.status)}" data-rows="{len(result.rows)}">'
            f"<summary>{_question_badge(result)} <code>{_e(qid)}</code> {_e(q.title)} "
            f'<span class="muted status">({_code(result.summary)})</span></summary>'
            f"<p>{_e(q.description)}</p><p class=\"muted\">Severity {_e(q.severity)}; pass: {_e(q.pass_rule)}; "
            f"{'gated' if result.gated else 'evidence only'}; evidence: {_e(', '.join(q.evidence) or 'none')}; "
            f"controls: {controls}; saved question <code>cypher/{_e(qid)}.cypher</code>.</p>"
            f"<p>{_code(_why(result))}.</p>{_remediation(q)}{_rows_table(result, anchors, known)}</details>")
    return f'<section id="questions"><h2>Questions and their evidence rows</h2>{"".join(blocks)}</section>'


def _remediation(question: Question) -> str:
    """What to change, in the question's drill-down: the text (`names` as code) and AWS's pages, clickable."""
    fix = question.remediation
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", _e(fix.text))
    links = "".join(f'<li><a href="{_e(link)}" rel="noopener noreferrer" target="_blank">{_e(link)}</a></li>'
                    for link in fix.links)
    return (f'<div class="remediation" data-question="{_e(question.id)}"><p><b>Remediation:</b> {text}</p>'
            f'<p class="muted">AWS documentation:</p><ul>{links}</ul></div>')


def _rows_table(result: QuestionResult, anchors: Mapping[str, str], known: Mapping[str, str]) -> str:
    """The question's rows, or its groups when it declares them (graphgov.questions.grouping), first ROW_LIMIT."""
    q, rows = result.question, for_people(result.question, result.rows)
    if not rows:
        return ""
    grouped = (f'<p class="muted grouped">{_code(grouped_note(q.id, q.group, len(result.rows), len(rows)))}</p>'
               if q.group is not None else "")
    columns = list(rows[0])
    provenance = [c for c in PROVENANCE if c in columns]
    head = "".join(f"<th>{_e(c).replace('_', '_<wbr>')}</th>" for c in columns)  # snake_case names wrap
    body = "".join("<tr>" + "".join(f"<td>{_cell(row.get(c), anchors, known)}</td>" for c in columns) + "</tr>"
                   for row in rows[:ROW_LIMIT])
    noun = "groups" if q.group is not None else "rows"
    note = (f'<p class="muted">Showing {ROW_LIMIT} of {len(rows)} {noun}; the JSON report has every row.</p>'
            if len(rows) > ROW_LIMIT else "")
    where = f'<p class="muted">Provenance in {", ".join(provenance)}.</p>' if provenance else ""
    unknown = sum(unknown_access(row) is not None for row in result.rows)
    if unknown:
        note += f'<p class="unknown-access">{_e(UNKNOWN_NOTE.format(count=unknown))}</p>'
    return f"{grouped}{where}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{note}"


def _cell(value: Any, anchors: Mapping[str, str], known: Mapping[str, str]) -> str:
    """A row's value; a resource links to its provenance, an endpoint also to its lineage picture."""
    if value is None:
        return ""
    items = value if isinstance(value, list) else [value]
    shown = []
    for item in items:
        text = breakable(item) if isinstance(item, str) else _e(item)
        if isinstance(item, str) and item in known:
            text = f'<a href="#{known[item]}" title="provenance">{text}</a>'
        if isinstance(item, str) and item in anchors:
            text += f' <a href="#{anchors[item]}" class="lineage-link">(lineage)</a>'
        shown.append(text)
    return "<br>".join(shown)


def _provenance(report: Report, known: Mapping[str, str], anchors: Mapping[str, str]) -> str:
    if not known:
        return ""
    rows = []
    for key, anchor in known.items():
        p = report.provenance[key]
        lineage = f' <a href="#{anchors[key]}" class="lineage-link">(lineage)</a>' if key in anchors else ""
        rows.append(f'<tr id="{anchor}" data-resource="{_e(key)}"><td><code>{breakable(key)}</code>{lineage}</td>'
                    f"<td>{_e(', '.join(p['labels']))}</td><td>{_e(', '.join(p['sources']))}</td>"
                    f"<td>{_e(p['first_seen'] or '')}</td><td>{_e(p['last_seen'] or '')}</td>"
                    f"<td>{'<br>'.join(breakable(e) for e in p['event_ids'])}</td></tr>")
    return ('<section id="provenance"><h2>Provenance of the resources named</h2><p class="muted">Where the graph '
            "learnt of each resource the rows name: the sources, the time window of its evidence, and the smallest "
            "few event ids (CloudTrail eventID, EventBridge id, ...) of its recorded edges.</p><table><thead><tr>"
            "<th>resource</th><th>kind</th><th>sources</th><th>first seen</th><th>last seen</th><th>event ids</th>"
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table></section>")


def _lineages(lineages: Mapping[str, Lineage], omitted: int) -> str:
    if not lineages:
        return ('<section id="lineage"><h2>Lineage of the endpoints in this report</h2>'
                '<p class="muted">No SageMaker endpoint is named in the rows.</p></section>')
    figures = [lineage_figure(lineage, index) for index, lineage in enumerate(lineages.values())]
    more = (f'<p class="muted">{omitted} more endpoints are named; draw them with '
            "<code>graphgov lineage ARN --html FILE</code>.</p>" if omitted else "")
    return (f'<section id="lineage"><h2>Lineage of the endpoints in this report</h2>{more}{"".join(figures)}'
            "</section>")
