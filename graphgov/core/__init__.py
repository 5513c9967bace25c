"""The graph's vocabulary, shared by every part: the schema, node keys, times, deltas, PII types."""
