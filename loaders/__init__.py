"""Loaders: one module per log source, each a pure `parse(record) -> GraphDelta`.

This package file stays empty on purpose: the parsers import each other (`from loaders import fields`), and a
package that imported its parsers here would be half-initialised whenever a parser is imported first. The
registry that maps the record kind the readers detect to its parser is `loaders.registry`. Adding a source is
one module, one line in the registry, one fixture and one test (docs/architecture.md).
"""
