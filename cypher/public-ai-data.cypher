// id: public-ai-data
// title: AI data and model artifacts open to anyone
// description: Datasets that jobs read, model artifacts, and objects in them that anyone may read or write, judged as AWS judges "public": a bucket policy statement with Principal `*` that no condition limits (a condition such as aws:PrincipalOrgID or aws:SourceAccount makes it not public), or a bucket or object ACL granting AllUsers or AuthenticatedUsers; unless Block Public Access (bucket or account: RestrictPublicBuckets, IgnorePublicAcls) or Object Ownership "bucket owner enforced" (ACLs disabled) neutralises it. `via` names the statements or ACL grants.
// severity: critical
// controls: ["eu-ai-act:Art.10(5)(d)", "eu-ai-act:Art.15", "soc2:CC6.6", "iso-42001:A.7.3", "nist-ai-rmf:MEASURE 2.7"]
// params: {}
// evidence: ["iam-policies", "ai-resources"]
// remediation: {"text": "Turn on S3 Block Public Access for the account and the bucket (`BlockPublicAcls`, `IgnorePublicAcls`, `BlockPublicPolicy`, `RestrictPublicBuckets`), remove the bucket policy statements with Principal `*` named in `via` or limit them with a condition (`aws:PrincipalOrgID`), and set Object Ownership to bucket owner enforced so ACLs grant nothing.", "links": ["https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html", "https://docs.aws.amazon.com/AmazonS3/latest/userguide/configuring-block-public-access-bucket.html", "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-ownership-existing-bucket.html"]}
MATCH (:AWSPrincipal {arn: '*'})-[c:CAN_READ|CAN_WRITE]->(x)
WHERE c.access = 'potential'
  AND ((x:Dataset AND EXISTS { (x)<-[:READS]-() })
       OR x:ModelArtifact
       OR (x:S3Object AND (EXISTS { (x)-[:IN_DATASET]->(:Dataset)<-[:READS]-() }
                           OR EXISTS { MATCH (a:ModelArtifact) WHERE a.bucket = x.bucket AND a.key = x.key })))
RETURN coalesce(x.uri, x.arn) AS resource,
       [l IN labels(x) WHERE l IN ['Dataset', 'ModelArtifact', 'S3Object']][0] AS resource_type,
       x.bucket AS bucket,
       CASE type(c) WHEN 'CAN_READ' THEN 'read' ELSE 'write' END AS access,
       c.via AS via
ORDER BY resource, access
