"""Every saved question's parity cases, declared here once: one line per case, at least one per question.

A case is a question, its parameters and the number of rows the embedded store answers on the full fixture
graph (tests/fixtures, no `graphgov classify`). tests/test_questions.py asks both stores each case and
requires identical answers and that row count; tests/test_question_recipe.py requires a case for every
question in `cypher/` and none for a question that is not there.

Notes on the counts: the guide's example endpoint has a config but no CreateEndpointConfig (no model, no
rows); the governance fixtures add served models without lineage, unencrypted configurations and unlogged
invocations; no configuration snapshot is among the files, so short-log-retention has nothing to judge.
Issue 11: Fraud-Endpoint's and FraudModel's training data are followed upstream through the processing
job that prepared fraud/train and fraud/validation/ from raw/transactions/ (3 -> 5, 2 -> 4); the lineage
fixtures processing-chains.json and bedrock-custom-model-deployment.json add an invoked imported model
without lineage (7 -> 8), jobs without a customer key (12 -> 20) and inventory (38 -> 42). After all of
issue 11 the shipper, time-of-act, S3-movement, access-point, access-evidence and org fixtures add rows,
and readers, writers and assumers that a never-seen bucket, key or trust policy decides are `unknown` rows
(training-data-readers 214, iam-changes-on-ai-roles 56 on the doc samples, which carry no such policies).
Issue 16: the Comprehend fixtures add a served copy whose origin no log shows (9 -> 10), two classifiers without
a model key and an analysis job with neither output nor volume key (33 -> 37), eleven versions, endpoints and
built-in use in two accounts (51 -> 63), two (account, Region) places
(31 -> 33), an observed call on an endpoint and an observed import of a version from other accounts, plus six
`unknown` key rows where the Comprehend keys share account 222222222222 with the access fixtures' DataAccess
role (23 -> 31), and twenty `unknown` readers of each of the twelve training datasets (a flywheel's data lake
and dataset included) whose bucket policies were never seen (214 -> 454).
"""

from __future__ import annotations

from typing import Any, NamedTuple


class ParityCase(NamedTuple):
    question: str
    params: dict[str, Any]
    rows: int  # the embedded store's answer on the fixture graph has exactly this many rows


PARITY_CASES = [
    ParityCase("cross-account-assumptions", {}, rows=2),
    ParityCase("principal-activity", {"principal": "arn:aws:iam::111122223333:user/Alice"}, rows=3),
    ParityCase("principal-activity", {"principal": "JohnDoe"}, rows=1),
    ParityCase("principal-activity", {"principal": "arn:aws:sts::111122223333:assumed-role/Admins/example-user"},
               rows=1),
    ParityCase("principal-activity", {"principal": "workmail.eu-west-1.amazonaws.com"}, rows=1),
    ParityCase("object-readers", {"bucket": "ransomware-test-victim-1764604156"}, rows=1),
    ParityCase("object-readers", {"bucket": "victim-data-bucket", "prefix": "important"}, rows=1),
    ParityCase("object-readers", {"bucket": "victim-data-bucket", "prefix": "nothing-here/"}, rows=0),
    ParityCase("endpoint-lineage", {"endpoint": "Fraud-Endpoint"}, rows=5),
    ParityCase("endpoint-lineage", {"endpoint": "arn:aws:sagemaker:us-west-2:123456789012:endpoint/exampleendpoint"},
               rows=0),
    ParityCase("model-lineage", {"model": "FraudModel"}, rows=4),
    ParityCase("model-lineage", {"model": "fraudmodel-v2"}, rows=1),
    ParityCase("model-lineage", {"model": "arn:aws:bedrock:us-east-1:222222222222:custom-model/"
                                          "amazon.titan-text-express-v1:0:8k/abcdefghijkl"}, rows=2),
    ParityCase("models-without-lineage", {}, rows=10),
    ParityCase("unencrypted-ai-artifacts", {}, rows=37),
    ParityCase("bedrock-invocations-without-logging", {}, rows=11),
    ParityCase("dataset-consumers", {"dataset": "https://acme-data-a.s3.eu-west-1.amazonaws.com/fraud/validation/"},
               rows=2),
    ParityCase("dataset-consumers", {"dataset": "s3://acme-data-a/chat/train.jsonl"}, rows=1),
    ParityCase("dataset-consumers", {"dataset": "s3://acme-data-a/raw/transactions/"}, rows=6),
    ParityCase("training-data-readers", {}, rows=454),
    ParityCase("training-data-readers", {"dataset": "s3://acme-training-data/shared/"}, rows=5),
    ParityCase("cross-account-exposure", {}, rows=31),
    ParityCase("public-ai-data", {}, rows=4),
    ParityCase("iam-changes-on-ai-roles", {}, rows=56),
    ParityCase("access-at-training-time", {"job": "fraud-train"}, rows=5),
    ParityCase("access-at-training-time", {"job": "arn:aws:sagemaker:eu-west-1:111111111111:training-job/Fraud-Train"},
               rows=5),
    ParityCase("ai-inventory", {}, rows=63),
    ParityCase("shadow-ai", {}, rows=4),
    ParityCase("shadow-ai", {"known_accounts": "222222222222,555555555555", "allowed_models": "amazon.titan"},
               rows=29),
    ParityCase("models-without-approved-package", {}, rows=7),
    ParityCase("endpoints-without-data-capture", {}, rows=6),
    ParityCase("logging-coverage", {}, rows=33),
    ParityCase("short-log-retention", {}, rows=0),
    ParityCase("personal-data-in-training", {}, rows=0),  # classified data: tests/test_classification.py
    # issue 11 lineage: processing chains by S3 containment, what applications invoke
    ParityCase("dataset-consumers", {"dataset": "s3://acme-pii-raw/customers/"}, rows=6),
    ParityCase("model-lineage", {"model": "Deep-Model"}, rows=3),
    ParityCase("model-lineage", {"model": "arn:aws:bedrock:us-east-1:222222222222:custom-model-deployment/"
                                          "dep0chat0001"}, rows=2),
    # Comprehend: an endpoint moved to a model of unknown origin, an imported copy, a dataset down to the copy
    ParityCase("endpoint-lineage", {"endpoint": "arn:aws:comprehend:eu-west-1:333333333333:"
                                                "document-classifier-endpoint/ticket-router-prod"}, rows=1),
    ParityCase("model-lineage", {"model": "arn:aws:comprehend:eu-west-1:333333333333:"
                                          "document-classifier/ticket-router/version/imported-v1"}, rows=2),
    ParityCase("dataset-consumers", {"dataset": "s3://acme-nlp-corpus/tickets/train.csv"}, rows=2),
]
