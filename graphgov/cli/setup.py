"""`graphgov setup`: the IAM policy the pullers need, and the wiring of the push path (print or apply)."""

from __future__ import annotations

import json
from collections.abc import Callable

import click

from graphgov.cli.common import friendly_errors


@click.group("setup")
def command() -> None:
    """Print the pullers' IAM policy; print or make the push path's EventBridge and subscription wiring."""


@command.command("policy")
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="json: the policy document alone, ready for `aws iam create-policy --policy-document`.")
@friendly_errors
def policy_command(output_format: str) -> None:
    """The least-privilege IAM policy for every `graphgov pull` command (sqs:DeleteMessage is its only write)."""
    from graphgov.aws.setup_policy import PolicyError, is_read, puller_policy

    try:
        policy, sources = puller_policy()
    except PolicyError as exc:
        raise click.ClickException(str(exc)) from None
    if output_format == "json":
        click.echo(json.dumps(policy, indent=2))
        return
    width = max(len(action) for action in sources)
    for action, calls in sources.items():
        click.echo(f"{action:<{width}}  {'read ' if is_read(action) else 'WRITE'}  {', '.join(calls)}")
    click.echo("")
    click.echo(json.dumps(policy, indent=2))


def _plan_options(func: Callable) -> Callable:
    func = click.option("--profile", default=None, help="AWS profile [default: the standard boto3 configuration].")(
        func)
    func = click.option("--apply", is_flag=True, help="Make the calls.")(func)
    func = click.option("--dry-run", is_flag=True,
                        help="Print the calls, with their parameters, as JSON; change nothing.")(func)
    return func


def _run(dry_run: bool, apply: bool, profile: str | None, plan: Callable) -> None:
    from graphgov.aws.session import PullError, aws_session
    from graphgov.aws.setup_push import SetupError, apply_plan

    if dry_run == apply:
        raise click.UsageError("choose one of --dry-run (print the calls) or --apply (make them)")
    try:
        session = aws_session(profile)
        calls = plan(session)
        if dry_run:
            click.echo(json.dumps([call.as_dict() for call in calls], indent=2))
            return
        for done in apply_plan(session, calls):
            click.echo(f"{done['outcome']}: {done['service']}:{done['operation']} in {done['region']}")
    except (PullError, SetupError) as exc:
        raise click.ClickException(str(exc)) from None


def _split(values: tuple[str, ...]) -> list[str]:
    return [item for value in values for item in value.split(",") if item]


@command.command("eventbridge")
@click.option("--queue-url", required=True, help="The SQS queue `graphgov pull sqs` reads.")
@click.option("--region", "regions", multiple=True,
              help="Region whose events are sent (repeatable) [default: the queue's Region].")
@click.option("--buckets", "buckets", multiple=True,
              help="Buckets whose object events are sent (repeatable or comma-separated); switches on their "
                   "EventBridge delivery.")
@click.option("--forward-role-arn", default=None,
              help="Role EventBridge assumes to forward events of other Regions to the queue's Region.")
@_plan_options
@friendly_errors
def eventbridge_command(queue_url: str, regions: tuple[str, ...], buckets: tuple[str, ...],
                        forward_role_arn: str | None, dry_run: bool, apply: bool, profile: str | None) -> None:
    """EventBridge rules, queue policy and S3 EventBridge delivery that send AI-service, S3 object and
    CloudTrail API-call events to the queue."""
    from graphgov.aws.setup_push import eventbridge_plan

    _run(dry_run, apply, profile, lambda session: eventbridge_plan(session, queue_url, _split(regions), _split(buckets),
                                                          forward_role_arn))


@command.command("subscription")
@click.option("--log-group", "log_groups", multiple=True, required=True,
              help="CloudTrail or Bedrock invocation log group (repeatable).")
@click.option("--destination-arn", required=True,
              help="Lambda function, Kinesis data stream, Firehose stream or CloudWatch Logs destination.")
@click.option("--region", default=None, help="The log groups' Region [default: the destination's].")
@click.option("--role-arn", default=None, help="Role CloudWatch Logs assumes to write to Kinesis or Firehose.")
@_plan_options
@friendly_errors
def subscription_command(log_groups: tuple[str, ...], destination_arn: str, region: str | None,
                         role_arn: str | None, dry_run: bool, apply: bool, profile: str | None) -> None:
    """Subscription filters that deliver the log groups' events to a destination that loads them."""
    from graphgov.aws.setup_push import subscription_plan

    _run(dry_run, apply, profile,
         lambda session: subscription_plan(session, log_groups, destination_arn, region, role_arn))
