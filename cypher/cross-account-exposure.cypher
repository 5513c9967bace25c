// id: cross-account-exposure
// title: AI assets exposed to other accounts
// description: Datasets that feed models, model artifacts, invocable Bedrock models, Amazon Comprehend model versions (which other accounts copy with ImportModel, as the version's model policy allows: an unseen model policy of a version whose creation was not seen is `unknown:model-policy:<arn>`), endpoints, registry groups and KMS keys, with every principal of another account (or anyone, `*`) that read or used them (observed, from CloudTrail, including through a role it assumed) or may do so under the policies in force (potential; observed when a successful call settled it; conditional; unknown when a bucket, access point, key or trust policy never seen decides it, named in `via` as `unknown:<kind>-policy:<subject>`), directly, through an S3 access point of the bucket (another account's access point, or one whose policy grants another account, exposes the data to that account as far as the bucket policy lets it; `via` names `access-point:<arn>`) or by assuming roles (up to three steps; who may assume an observed principal gets potential), or that receives a copy of the data by S3 replication to a bucket of its own (potential, via `replication:<rule>:<destination bucket>`; unknown for a manifest dataset, whose members are not known until the manifest is read, when objects of its bucket are replicated, with `unknown:manifest-members:<dataset>` in `via`). An account root (`arn:aws:iam::<acct>:root`) stands for whoever that account lets in. AWS service principals, and principals whose account is not known (a SAML user before it assumes a role), are left out.
// severity: high
// group: {"by": ["resource", "principal_account", "access"], "member": "principal", "merge": ["via"]}
// controls: ["eu-ai-act:Art.10(5)(d)", "soc2:CC6.6", "soc2:CC6.7", "iso-42001:A.10.3", "gdpr:Art.30(1)(e)", "nist-ai-rmf:MAP 4.1"]
// params: {}
// evidence: ["iam-policies", "s3-data-events"]
// remediation: {"text": "Remove the grants to other accounts you do not intend: the bucket policy, S3 access point policy, KMS key policy, role trust policy or model package group policy statement named in `via`, or the replication rule that copies the data to another account's bucket. Where the sharing is intended, narrow it to named principals and conditions (`aws:PrincipalOrgID`). IAM Access Analyzer reports the same external access per resource; a row with access `unknown` needs the missing policy first (`graphgov pull iam`).", "links": ["https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings.html", "https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-best-practices.html"]}
// what replication copied out of each bucket that holds a manifest dataset, once per bucket, not once per
// manifest (a manifest's members are unknown until it is read: any replicated object of its bucket may be one)
CALL () {
  MATCH (m:Dataset)-[:IN_BUCKET]->(b:S3Bucket) WHERE coalesce(m.data_type, 'S3Prefix') <> 'S3Prefix'
  WITH DISTINCT b
  MATCH (b)-[:CONTAINS]->(:S3Object)<-[r:REPLICA_OF]-(:S3Object)
  WITH DISTINCT b, r.destination_principal AS destination, r.destination_bucket AS bucket, r.rules AS rules
  RETURN collect({b: b, destination: destination, bucket: bucket, rules: rules}) AS replicated
}
CALL () {
  MATCH (x:Dataset) WHERE EXISTS { (x)<-[:READS]-(:TrainingJob|TuningJob|CustomizationJob) }
  MATCH (x)-[:IN_BUCKET]->(b:S3Bucket)
  RETURN x, b.account_id AS account
  UNION
  MATCH (x:ModelArtifact)-[:IN_BUCKET]->(b:S3Bucket)
  RETURN x, b.account_id AS account
  UNION
  MATCH (x) WHERE x:KMSKey OR x:Endpoint OR x:ModelPackageGroup
    OR (x:Model AND x.kind IN ['custom-model', 'provisioned-model', 'imported-model', 'custom-model-deployment',
                               'document-classifier', 'entity-recognizer'])
  RETURN x, x.account_id AS account
}
// one resource at a time, in resource order: each resource's rows are aggregated inside the subquery and the
// final sort is a partial one (by principal within a resource), so the server holds one resource's rows, not
// the whole answer (15.7M rows at 10M generated records)
WITH x, account, replicated, coalesce(x.uri, x.arn) AS resource WHERE account IS NOT NULL
ORDER BY resource
CALL (x, account, replicated) {
  CALL (x, account, replicated) {
    MATCH (p:AWSPrincipal)-[c:CAN_READ|CAN_WRITE|CAN_DECRYPT|CAN_INVOKE]->(x)
    RETURN p, c.access AS access, c.via AS via
    UNION
    MATCH path = (p:AWSPrincipal)-[:CAN_ASSUME]->{1,3}(:AWSPrincipal)-[c:CAN_READ|CAN_WRITE|CAN_DECRYPT|CAN_INVOKE]->(x)
    WITH p, c, relationships(path) AS rels, nodes(path) AS hops
    WHERE all(i IN range(0, size(hops) - 2) WHERE NOT hops[i] IN hops[i + 1..])
    RETURN p,
           CASE WHEN any(r IN rels WHERE r.access = 'unknown') THEN 'unknown'
                WHEN all(r IN rels WHERE r.access IN ['potential', 'observed']) THEN 'potential'
                ELSE 'conditional' END AS access,
           [h IN hops[1..-1] | 'assume:' + h.arn] + c.via + reduce(acc = [], r IN rels | acc + coalesce(r.via, [])) AS via
    UNION
    // who read or wrote the dataset's objects, each (reader, operation) once, and who assumed such a reader
    MATCH (x)<-[:IN_DATASET]-(:S3Object)<-[r:READ|WROTE]-(reader:AWSPrincipal)
    UNWIND r.operations AS op
    WITH DISTINCT reader, op
    CALL (reader, op) {
      RETURN reader AS p, ['cloudtrail:' + op] AS via
      UNION
      MATCH (p:AWSPrincipal)-[:ASSUMED_ROLE]->(reader)
      RETURN p, ['assume:' + reader.arn, 'cloudtrail:' + op] AS via
    }
    RETURN p, 'observed' AS access, via
    UNION
    MATCH (p:AWSPrincipal)-[r:READ|WROTE]->(o:S3Object) WHERE x:ModelArtifact AND o.bucket = x.bucket AND o.key = x.key
    UNWIND r.operations AS op
    RETURN p, 'observed' AS access, ['cloudtrail:' + op] AS via
    UNION
    MATCH (p:AWSPrincipal)-[r:USED_KEY|INVOKED]->(x)
    UNWIND r.operations AS op
    RETURN p, 'observed' AS access, ['cloudtrail:' + op] AS via
    UNION
    // who copied the model version into their account (Comprehend ImportModel)
    MATCH (x)<-[:IMPORTED_FROM]-(:Model)<-[r:CREATED]-(p:AWSPrincipal) WHERE 'ImportModel' IN r.operations
    RETURN p, 'observed' AS access, ['cloudtrail:ImportModel'] AS via
    UNION
    // replication: the destination account receives a copy of the objects (graphgov.replication)
    MATCH (x)<-[:IN_DATASET]-(:S3Object)<-[r:REPLICA_OF]-(:S3Object)
    WITH DISTINCT r.destination_principal AS destination, r.destination_bucket AS bucket, r.rules AS rules
    MATCH (p:AWSPrincipal {arn: destination})
    UNWIND coalesce(rules, ['']) AS rule
    RETURN p, 'potential' AS access, ['replication:' + rule + ':' + bucket] AS via
    UNION
    // a manifest dataset's members are unknown until the manifest is read: objects of its bucket replicated to
    // another account may be among them
    MATCH (x)-[:IN_BUCKET]->(b:S3Bucket)
    WHERE x:Dataset AND coalesce(x.data_type, 'S3Prefix') <> 'S3Prefix'
    UNWIND [t IN replicated WHERE t.b = b] AS t
    WITH DISTINCT x, t.destination AS destination, t.bucket AS bucket, t.rules AS rules
    MATCH (p:AWSPrincipal {arn: destination})
    UNWIND coalesce(rules, ['']) AS rule
    RETURN p, 'unknown' AS access, ['replication:' + rule + ':' + bucket, 'unknown:manifest-members:' + x.uri] AS via
    UNION
    MATCH (o:S3Object)<-[r:REPLICA_OF]-(:S3Object) WHERE x:ModelArtifact AND o.bucket = x.bucket AND o.key = x.key
    MATCH (p:AWSPrincipal {arn: r.destination_principal})
    UNWIND coalesce(r.rules, ['']) AS rule
    RETURN p, 'potential' AS access, ['replication:' + rule + ':' + r.destination_bucket] AS via
  }
  WITH p, access, via
  WHERE NOT p:AWSServicePrincipal AND (p.arn = '*' OR (p.account_id IS NOT NULL AND p.account_id <> account))
  WITH p, access, collect(via) AS vias
  RETURN p.arn AS principal, p.account_id AS principal_account, access,
         COLLECT { UNWIND vias AS v UNWIND v AS y WITH DISTINCT y ORDER BY y RETURN y } AS via
}
RETURN resource, account AS resource_account, principal, principal_account, access, via
ORDER BY resource, principal, access
