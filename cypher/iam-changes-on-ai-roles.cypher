// id: iam-changes-on-ai-roles
// title: IAM changes to roles that run AI jobs, serve models or read training data
// description: Every recorded change (from CloudTrail: creation, trust policy, inline and attached policies, permissions boundary, deletion) to a role that runs jobs, serves models, may read training data or was seen reading it, and every new version of a managed policy attached to such a role or used as its boundary, with the actor and the time. `reasons` says why the role matters; `changed` is the role or the managed policy changed.
// severity: medium
// controls: ["eu-ai-act:Art.12(2)(a)", "soc2:CC6.3", "soc2:CC8.1", "nist-ai-rmf:GOVERN 6.1", "iso-42001:A.6.2.8"]
// params: {}
// evidence: ["cloudtrail-management", "ai-resources"]
// pass: evidence
// remediation: {"text": "A listing, not a finding: review each change with the role's owner against your change records, revert what nobody approved (restore the previous policy version or trust policy), and let AI roles change only through your deployment pipeline. Alarm on IAM policy changes (a CloudWatch Logs metric filter on the trail, or an EventBridge rule) so the next change is seen when it happens.", "links": ["https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudwatch-alarms-for-cloudtrail.html"]}
MATCH (role:AWSRole)
CALL (role) {
  MATCH (role)<-[:EXECUTES_AS]-(j) WHERE NOT j:Model
  RETURN 'runs-jobs' AS reason
  UNION
  MATCH (role)<-[:EXECUTES_AS]-(:Model)
  RETURN 'serves-models' AS reason
  UNION
  // a reason holds once one path shows it: EXISTS stops at the first, where a MATCH would walk every read
  WITH role WHERE EXISTS { (role)-[:CAN_READ]->(:Dataset)<-[:READS]-(:TrainingJob|TuningJob|CustomizationJob) }
  RETURN 'can-read-training-data' AS reason
  UNION
  WITH role WHERE EXISTS { (role)-[:READ]->(:S3Object)-[:IN_DATASET]->(d:Dataset)
                           WHERE EXISTS { (d)<-[:READS]-(:TrainingJob|TuningJob|CustomizationJob) } }
  RETURN 'read-training-data' AS reason
}
WITH role, collect(reason) AS reasons
CALL (role) {
  MATCH (role)-[:HAS_POLICY]->(s:PolicyState {evidence: 'event'})
  RETURN s, role.arn AS changed
  UNION
  MATCH (role)-[:HAS_POLICY]->(a:PolicyState) WHERE a.kind IN ['attachment', 'boundary'] AND a.target IS NOT NULL
  MATCH (:AWSPolicy {id: a.target})-[:HAS_POLICY]->(s:PolicyState {evidence: 'event'})
  RETURN s, a.target AS changed
}
RETURN role.arn AS role, reasons, changed, s.operation AS operation, s.slot AS slot, s.actor AS actor,
       s.valid_from AS time, s.event_id AS event_id
ORDER BY role, time, event_id
