"""The story of the platform, one part per AWS service or concern; each writes records through the trail or
the output (see `graphgov.generate.part` for the conventions the parts share)."""
