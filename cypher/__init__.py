"""Saved questions: one `.cypher` file each, with a metadata header (see graphgov.questions.catalog)."""
