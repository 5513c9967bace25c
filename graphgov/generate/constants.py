"""The fixed facts of the synthetic run: its clock, sizes and record kinds, the organization's accounts and
Regions, the trail, the record mix, and the user agents and TLS details callers present."""

from __future__ import annotations

import calendar

START = calendar.timegm((2026, 1, 5, 0, 0, 0))  # 2026-01-05T00:00:00Z; record i happens at START + i s
SIZES = {"small": 2_000, "medium": 100_000, "large": 1_000_000}
MIN_RECORDS = 1_000
KINDS = ("cloudtrail", "eventbridge", "s3_notification", "bedrock_invocation_log")
MALFORMED = {"cloudtrail_without_event_id": 1, "truncated_eventbridge_line": 1, "truncated_invocation_log_line": 1}

ORG = "o-exampleorg1"
DATA, TRAIN, SERVE, SHADOW = "111111111111", "222222222222", "333333333333", "444444444444"
VENDOR = "555555555555"  # a labelling vendor outside the organization
PARTNER = "666666666666"  # an analytics partner outside the organization (receives a replica: an issue 11 plant)
VENDOR_EXTERNAL_ID = "acme-labeling-7f3a9c2e"
SSO_PROVIDER = f"arn:aws:iam::{DATA}:saml-provider/AWSSSO_5e2b7c1d9a8f4e36_DO_NOT_DELETE"
GITHUB_OIDC = "token.actions.githubusercontent.com"
EU, US = "eu-west-1", "us-east-1"
TRAIL, TRAIL_BUCKET = "org-trail", "acme-org-cloudtrail"
CT_FILE_MAX, CT_WINDOW = 500, 300  # records per CloudTrail file; seconds a file collects records
MIX = (("s3", 0.55), ("bedrock", 0.15), ("noise", 0.10), ("notif", 0.10), ("sts", 0.05), ("control", 0.05))
ACCESS = "iam"  # the access history (IAM, bucket and key policies): story steps only, outside MIX
PLANT = "plant"  # the situations issue 11's rules judge (see the package docstring): story steps only, outside MIX
MGMT = "999999999999"  # the organization's management account (Organizations events only)
SCP_ID = "p-7k2m9q4x"  # the service control policy attached mid-window (an issue 11 plant)

UA_BOTO = ("Boto3/1.35.99 md/Botocore#1.35.99 ua/2.0 os/linux#6.1.119-129.201.amzn2023.x86_64 md/arch#x86_64 "
           "lang/python#3.12.8 md/pyimpl#CPython cfg/retry-mode#standard Botocore/1.35.99")
UA_CLI = ("aws-cli/2.22.26 md/awscrt#0.23.4 ua/2.0 os/macos#24.2.0 md/arch#arm64 lang/python#3.12.6 "
          "md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off")
UA_JAVA = ("aws-sdk-java/2.29.43 Linux/5.10.230-223.885.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.13+11-LTS "
           "Java/17.0.13 vendor/Amazon.com_Inc. io/sync http/Apache cfg/retry-mode/standard")
UA_SM_SDK = UA_BOTO + " sagemaker-python-sdk/2.237.1"
UA_CONSOLE = ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
              "Version/18.2 Safari/605.1.15")
UA_TERRAFORM = ("APN/1.0 HashiCorp/1.0 Terraform/1.10.3 (+https://www.terraform.io) terraform-provider-aws/5.82.2 "
                "(+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.32.7 ua/2.1 os/linux "
                "lang/go#1.23.4 md/GOOS#linux md/GOARCH#amd64")
TLS = ("TLSv1.3", "TLS_AES_128_GCM_SHA256")
S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
