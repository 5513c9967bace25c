// id: cross-account-assumptions
// title: Cross-account role assumptions
// description: Every principal that assumed a role in another account (sts:AssumeRole, AssumeRoleWithSAML, AssumeRoleWithWebIdentity), seen in CloudTrail, with how often and when. The two trail copies of one call (same sharedEventID) count once. A principal shown as arn:...:root with principal type AWSAccount is known only by its account (the role owner's copy of the call).
// severity: medium
// controls: ["eu-ai-act:Art.10(5)(d)", "soc2:CC6.6", "iso-42001:A.10.3", "nist-ai-rmf:MEASURE 2.8"]
// params: {}
// evidence: ["cloudtrail-management"]
// pass: evidence
// remediation: {"text": "A listing, not a finding: review each cross-account assumption with the role's owner. Keep the trusts you expect; for the others remove the account from the role's trust policy or narrow it to named roles, and require an `sts:ExternalId` condition for third parties. IAM Access Analyzer lists every role another account can assume.", "links": ["https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html", "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings.html"]}
MATCH (p:AWSPrincipal)-[r:ASSUMED_ROLE]->(role:AWSRole)
WHERE r.cross_account = true
RETURN p.arn AS principal,
       p.principal_type AS principal_type,
       p.account_id AS principal_account,
       role.arn AS role,
       role.account_id AS role_account,
       r.count AS count,
       r.first_seen AS first_seen,
       r.last_seen AS last_seen,
       r.operations AS operations,
       r.event_ids AS event_ids
ORDER BY principal, role
