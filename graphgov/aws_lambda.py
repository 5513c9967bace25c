"""The push path's Lambda entry point, `graphgov.aws_lambda.handler`: the name deployed functions are configured
with, kept stable while the code lives in graphgov.aws.push_handler."""

from graphgov.aws.push_handler import handler

__all__ = ["handler"]
