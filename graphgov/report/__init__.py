"""Reports: Markdown, JSON, SARIF and HTML control reports, lineage pages, Neo4j Browser assets."""
