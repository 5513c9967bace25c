// id: principal-activity
// title: What a principal did
// description: The observed actions of one principal (role assumptions, S3 object reads, writes, deletes and listings, KMS data-key use, AI resources created or deleted, Bedrock invocations, invocation-logging changes, knowledge-base ingestions), aggregated per target with counts, bytes and time window. Activity of assumed-role sessions is attributed to their role. The principal may be given by ARN, session ARN or name; a name that matches principals in several accounts is refused with the matching ARNs.
// severity: info
// controls: ["nist-ai-rmf:MEASURE 2.8", "soc2:CC7.2", "iso-42001:A.6.2.8"]
// params: {"principal": {"type": "principal", "required": true, "description": "ARN, assumed-role session ARN, or user/role name"}}
// evidence: ["cloudtrail-management"]
// remediation: {"text": "A listing, not a finding: review the activity with the principal's owner. Confirm each action fits its job, remove the permissions it never uses (IAM last accessed information shows which), and investigate actions nobody expected (the event ids find the CloudTrail records).", "links": ["https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_last-accessed.html"]}
MATCH (p:AWSPrincipal {arn: $principal})-[r:ASSUMED_ROLE|READ|WROTE|DELETED|LISTED|USED_KEY|CREATED|INVOKED|ENABLED_LOGGING|DISABLED_LOGGING|STARTED_INGESTION]->(t)
RETURN p.arn AS principal,
       type(r) AS action,
       coalesce(t.arn, t.id) AS target,
       r.count AS count,
       r.bytes AS bytes,
       r.cross_account AS cross_account,
       r.first_seen AS first_seen,
       r.last_seen AS last_seen,
       r.operations AS operations
ORDER BY action, target
