"""Bundled sample AWS logs for `graphgov demo` (see NOTICE.md)."""
