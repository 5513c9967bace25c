"""Ingest: read records out of files, parse them with loaders/, account for each, write the graph."""
