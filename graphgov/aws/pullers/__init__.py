"""Pullers that read logs AWS already delivered somewhere (S3 folders), one module per layout."""
