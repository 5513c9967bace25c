"""graphgov.access.policy against an independent evaluator: @cloud-copilot/iam-simulate, in one Node process.

10,000 generated identity-policy cases (actions and resources of the AI data plane; Allow and Deny;
Action/NotAction, Resource/NotResource, wildcards, mixed-case actions). Any disagreement not listed in
KNOWN_DIFFERENCES fails the test. Conditions are out of scope here: graphgov reports them as
`conditional` by design, where a simulator needs a request context.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from graphgov.access.policy import evaluate, parse_policy

ORACLE = Path(__file__).parent / "oracle"
CASES = 10_000
ACCOUNT = "111111111111"
PRINCIPAL = f"arn:aws:iam::{ACCOUNT}:role/Trainer"
KEY = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/0b1c2d3e-1111-2222-3333-444455556666"
REQUESTS = [
    ("s3:GetObject", "arn:aws:s3:::acme-data/train/f.csv"),
    ("s3:GetObject", "arn:aws:s3:::acme-data/raw/f.csv"),
    ("s3:PutObject", "arn:aws:s3:::acme-data/train/f.csv"),
    ("s3:DeleteObject", "arn:aws:s3:::acme-data/val/f.csv"),
    ("s3:ListBucket", "arn:aws:s3:::acme-data"),
    ("kms:Decrypt", KEY),
    ("kms:GenerateDataKey", KEY),
    ("sagemaker:CreateTrainingJob", f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:training-job/fraud-xgb"),
    ("bedrock:InvokeModel", "arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"),
    ("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT}:role/DataAccess"),
]
ACTION_PATTERNS = [
    "s3:GetObject", "s3:PutObject", "s3:ListBucket", "kms:Decrypt", "sts:AssumeRole", "bedrock:InvokeModel",
    "sagemaker:CreateTrainingJob", "s3:*", "s3:Get*", "s3:*Object", "s3:?etObject", "*", "kms:*", "kms:Generate*",
    "sagemaker:Create*", "bedrock:Invoke*", "sts:Assume*", "S3:GETOBJECT", "Kms:decrypt", "iam:*", "ec2:*",
]
RESOURCE_PATTERNS = [
    "*", "arn:aws:s3:::acme-data/train/*", "arn:aws:s3:::acme-data/*", "arn:aws:s3:::acme-*",
    "arn:aws:s3:::acme-data", "arn:aws:s3:::acme-data/tr?in/*", "arn:aws:s3:::other/*", KEY,
    f"arn:aws:kms:*:{ACCOUNT}:key/*", f"arn:aws:sagemaker:eu-west-1:{ACCOUNT}:*",
    "arn:aws:bedrock:*::foundation-model/*", f"arn:aws:iam::{ACCOUNT}:role/Data*", "arn:aws:s3:::ACME-DATA/*",
]
# KMS keys and roles answer to their key / trust policy first: the cases give the simulator the
# default key policy and a trust policy that delegate to the account, so the identity policy decides,
# which is what graphgov.access.policy.evaluate judges on its own. (Combining policy kinds is the effective-
# access layer's job, checked separately.)
DELEGATE_TO_ACCOUNT = {
    "kms": {"Version": "2012-10-17", "Statement": [{"Sid": "Enable IAM User Permissions", "Effect": "Allow",
                                                     "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                     "Action": "kms:*", "Resource": "*"}]},
    "sts": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
                                                     "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                                                     "Action": "sts:AssumeRole"}]},
}
# (statement summary, request) pairs where the two evaluators are known to differ, with the reason.
KNOWN_DIFFERENCES: dict[str, str] = {}


def _statement(rng: random.Random) -> dict:
    statement: dict = {"Effect": rng.choice(["Allow", "Allow", "Deny"])}
    actions = rng.sample(ACTION_PATTERNS, rng.randint(1, 3))
    statement["NotAction" if rng.random() < 0.15 else "Action"] = actions if len(actions) > 1 else actions[0]
    resources = rng.sample(RESOURCE_PATTERNS, rng.randint(1, 2))
    statement["NotResource" if rng.random() < 0.15 else "Resource"] = resources
    return statement


def generate_cases(count: int, seed: int = 42) -> list[dict]:
    rng = random.Random(seed)
    cases = []
    for _ in range(count):
        action, resource = rng.choice(REQUESTS)
        policy = {"Version": "2012-10-17", "Statement": [_statement(rng) for _ in range(rng.randint(1, 3))]}
        case = {"policy": policy, "action": action, "resource": resource, "principal": PRINCIPAL, "account": ACCOUNT}
        service = action.split(":", 1)[0]
        if service in DELEGATE_TO_ACCOUNT:
            case["resourcePolicy"] = DELEGATE_TO_ACCOUNT[service]
        cases.append(case)
    return cases


OURS_TO_THEIRS = {"allow": "Allowed", "deny": "ExplicitlyDenied", "implicit-deny": "ImplicitlyDenied"}


def test_agreement_with_iam_simulate():
    if not (ORACLE / "node_modules" / "@cloud-copilot" / "iam-simulate").exists() or not shutil.which("node"):
        pytest.fail("the policy oracle is not installed: run `npm ci --prefix tests/oracle` (scripts/test does)")
    cases = generate_cases(CASES)
    completed = subprocess.run(["node", str(ORACLE / "simulate.mjs")], input=json.dumps(cases), text=True,
                               capture_output=True, timeout=600, check=True)
    theirs = json.loads(completed.stdout)
    assert len(theirs) == CASES
    errors = [t for t in theirs if t.startswith("error")]
    assert errors == [], errors[:3]  # every generated request is valid for the simulator
    disagreements = []
    for case, their in zip(cases, theirs, strict=True):
        ours = OURS_TO_THEIRS[evaluate([parse_policy(case["policy"])], case["action"], case["resource"]).outcome]
        if ours != their:
            key = json.dumps([case["policy"]["Statement"], case["action"], case["resource"]], sort_keys=True)
            if key not in KNOWN_DIFFERENCES:
                disagreements.append((case, ours, their))
    agreement = 1 - len(disagreements) / CASES
    print(f"policy oracle agreement: {agreement:.4%} over {CASES} cases")
    assert disagreements == [], f"{len(disagreements)} disagreements, first: {disagreements[:2]}"
