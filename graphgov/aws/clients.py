"""Every boto3 client graphgov makes, built in one place with one retry rule.

Retries are botocore's own (https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html):
`standard` mode for every client (throttling codes, 5xx answers and broken connections retried with
jittered exponential backoff, under a retry quota), `adaptive` for the calls whose service limits
requests per second and throttles beyond them, where a client-side token bucket slows every later
call once AWS throttles one (CloudTrail LookupEvents, 2 per second per account and Region; CloudWatch
Logs FilterLogEvents, under a per-account, per-Region requests-per-second quota; the IAM and
Organizations list calls of `pull iam` and account fan-out, whose quotas are account-wide).
Attempts are MAX_ATTEMPTS unless the caller or the user's AWS configuration (AWS_MAX_ATTEMPTS, a
profile's `max_attempts`) says otherwise.
A call that still fails after them raises as it would have without retries, and `retries(answer)`
tells how many requests botocore repeated.

What botocore cannot retry is a response body that breaks after the call answered: that one is
graphgov.aws.pullers.s3_objects.resuming_body's job.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from botocore.exceptions import BotoCoreError

from graphgov.aws.session import PullError, unprefix_local_endpoint

USER_AGENT = "graphgov-pull"  # in the userAgent of the CloudTrail records of graphgov's own calls
MAX_ATTEMPTS = 6  # requests per call in all, the first included (botocore's own default is 3)


def configured_attempts(session: boto3.Session) -> int:
    """The user's AWS_MAX_ATTEMPTS (or profile `max_attempts`) when set, else MAX_ATTEMPTS."""
    value = session._session.get_config_variable("max_attempts")  # boto3 keeps its botocore session there
    return int(value) if value else MAX_ATTEMPTS


def client_config(*, rate_limited: bool = False, max_attempts: int = MAX_ATTEMPTS,
                  user_agent: str = USER_AGENT) -> Config:
    """The botocore configuration of every client: retry mode, attempts, user agent."""
    return Config(user_agent_extra=user_agent,
                  retries={"mode": "adaptive" if rate_limited else "standard", "total_max_attempts": max_attempts})


def client(session: boto3.Session, service: str, region: str | None = None, *, rate_limited: bool = False,
           max_attempts: int | None = None, user_agent: str = USER_AGENT) -> BaseClient:
    """A client of `service` in `region` (else the session's), retrying the botocore way (see the module doc).

    A configuration botocore refuses (an unknown Region name...) raises its BotoCoreError: each caller
    says what failed in its own words (`pull_client` for the pullers).
    """
    made = session.client(service, region_name=region,
                          config=client_config(rate_limited=rate_limited,
                                               max_attempts=max_attempts or configured_attempts(session),
                                               user_agent=user_agent))
    if service == "s3control":  # a local emulator's endpoint cannot take the account-id host prefix
        made.meta.events.register("before-sign.s3-control", unprefix_local_endpoint)
    return made


def pull_client(session: boto3.Session, service: str, region: str | None = None, *, rate_limited: bool = False,
                max_attempts: int | None = None) -> BaseClient:
    """`client` for a puller: a client botocore cannot make is a PullError, one line for the user."""
    try:
        return client(session, service, region, rate_limited=rate_limited, max_attempts=max_attempts)
    except BotoCoreError as exc:
        raise PullError(f"cannot create the AWS {service} client: {exc}") from None


def retries(answer: Any) -> int:
    """How many times botocore repeated the request before this answer (a response or a ClientError's)."""
    metadata = (answer or {}).get("ResponseMetadata") or {}
    return int(metadata.get("RetryAttempts") or 0)


def count_retries(objects: Counter, key: str, answer: Any) -> None:
    """Add an answer's repeated requests to a pull summary's `objects[key]`; none add no key."""
    if repeated := retries(answer):
        objects[key] += repeated
