"""The saved questions answered on the embedded (networkx) store: one Python twin per `cypher/<id>.cypher`.

No embedded engine runs the Neo4j 5 Cypher the questions use, so each question is written twice. To add one:

1. `cypher/<id>.cypher`: the header (id, title, description, severity, controls, params, evidence, pass,
   remediation: what to change in AWS, with AWS documentation links, and, for an answer of one row per
   principal, group: how people are shown it, graphgov.questions.grouping; graphgov.questions.catalog) and the
   read-only query.
2. One function `def <id_in_snake_case>(graph, params) -> Rows`, decorated `@answers("<id>", GraphReads(...))`
   (graphgov.questions.embedded.registry) with what of the graph it walks (edge types, labels it scans, or a
   seed node and hops: graphgov.stores.embedded_graph; tests/test_embedded_reads.py checks the declaration),
   in its family module: `activity` (what principals did), `lineage`
   (data -> jobs -> models -> endpoints), `access` (who could read or use AI assets), `governance` (inventory,
   approval, capture, logging, retention), `time_of_act` (judged by the state in force then), `classification`
   (personal data). Shared steps: `walk`, `chains`, `profiles`. A new family module goes into `core.FAMILIES`.
3. One line `ParityCase("<id>", {<params>}, rows=<n>)` in tests/parity_cases.py: both stores must then give
   the same answer, of n rows on the fixture graph (tests/test_questions.py).

tests/test_question_recipe.py fails, naming the missing part, until a question has all three.
"""
