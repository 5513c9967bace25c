// id: training-data-readers
// title: Who can read and who did read the training data
// description: For every dataset a training, tuning or customization job read (or the one dataset asked about): each principal that read its objects (observed, from CloudTrail data events), and each that may read all of it under the policies in force (potential; observed when a successful call settled it, in that call's context; conditional when a condition could not be settled; unknown when a bucket, access point, key or trust policy never seen decides it, named in `via` as `unknown:<kind>-policy:<subject>`: a row to look at, never a pass), directly, through an S3 access point of the bucket (both its policy and the bucket policy must allow; `via` names `access-point:<arn>`) or by assuming roles (up to three steps; who may assume an observed reader gets potential). `via` names the reads seen, the granting statements and the roles assumed. The anyone principal `*` means public.
// severity: high
// group: {"by": ["dataset", "account", "access"], "member": "principal", "merge": ["via"]}
// controls: ["eu-ai-act:Art.10(5)(c)", "iso-42001:A.7.3", "soc2:CC6.1", "nist-ai-rmf:MEASURE 2.10", "gdpr:Art.30(1)(d)"]
// params: {"dataset": {"type": "dataset", "required": false, "description": "only this dataset (its S3 URI as jobs name it); every dataset may be asked about"}}
// evidence: ["ai-resources", "iam-policies", "s3-data-events"]
// pass: evidence
// remediation: {"text": "A listing, not a finding: review who can and who did read each training dataset with its owner. Remove the potential readers that do not need the data (the bucket, access point, key or identity-policy statements named in `via`), investigate observed reads nobody expected, and scope job roles to their own input prefixes. A row with access `unknown` needs the missing policy first (`graphgov pull iam`).", "links": ["https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-best-practices.html", "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings.html"]}
CALL () {  // the dataset asked about by its key (an index seek), else every dataset a training job read
  MATCH (d:Dataset {uri: $dataset}) RETURN d
  UNION
  WITH $dataset AS given WHERE given IS NULL
  MATCH (:TrainingJob|TuningJob|CustomizationJob)-[:READS]->(d:Dataset) RETURN d
}
CALL (d) {
  MATCH (p:AWSPrincipal)-[r:READ]->(:S3Object)-[:IN_DATASET]->(d)
  UNWIND r.operations AS op
  RETURN p, 'observed' AS access, ['cloudtrail:' + op] AS via
  UNION
  MATCH (p:AWSPrincipal)-[c:CAN_READ]->(d)
  RETURN p, c.access AS access, c.via AS via
  UNION
  MATCH path = (p:AWSPrincipal)-[:CAN_ASSUME]->{1,3}(:AWSPrincipal)-[c:CAN_READ]->(d)
  WITH p, c, relationships(path) AS rels, nodes(path) AS hops
  WHERE all(i IN range(0, size(hops) - 2) WHERE NOT hops[i] IN hops[i + 1..])
  RETURN p,
         CASE WHEN any(x IN rels WHERE x.access = 'unknown') THEN 'unknown'
              WHEN all(x IN rels WHERE x.access IN ['potential', 'observed']) THEN 'potential'
              ELSE 'conditional' END AS access,
         [h IN hops[1..-1] | 'assume:' + h.arn] + c.via + reduce(acc = [], r IN rels | acc + coalesce(r.via, [])) AS via
}
WITH d, p, access, collect(via) AS vias
RETURN d.uri AS dataset, p.arn AS principal, p.account_id AS account, access,
       COLLECT { UNWIND vias AS v UNWIND v AS x WITH DISTINCT x ORDER BY x RETURN x } AS via
ORDER BY dataset, principal, access
