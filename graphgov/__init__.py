"""graphgov: evidence for AI governance on AWS, as a graph."""

__version__ = "0.1.0"
