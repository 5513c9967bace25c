// id: object-readers
// title: Who read objects in a bucket
// description: Principals observed reading objects (GetObject, or as the source of a copy) in one bucket, optionally under a key prefix, from CloudTrail S3 data events. The prefix matches as S3 does, by plain string prefix (so "train" also covers "train-old/"). Needs S3 data events to be logged by the trail.
// severity: medium
// controls: ["eu-ai-act:Art.10(5)(c)", "nist-ai-rmf:MEASURE 2.10", "soc2:CC6.1", "gdpr:Art.30(1)(d)"]
// params: {"bucket": {"type": "bucket", "required": true, "description": "bucket name, arn:aws:s3:::name or s3://name"}, "prefix": {"type": "prefix", "required": false, "default": "", "description": "key prefix, matched as a plain string prefix"}}
// evidence: ["s3-data-events"]
// remediation: {"text": "Review the readers with the bucket's owner: remove the bucket policy, access point or identity-policy statements that let principals who should not read the objects do so, scope the rest to the prefixes they need, and keep S3 Block Public Access on.", "links": ["https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-best-practices.html", "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings.html"]}
MATCH (b:S3Bucket {id: $bucket})-[:CONTAINS]->(o:S3Object)<-[r:READ]-(p:AWSPrincipal)
WHERE o.key STARTS WITH $prefix
RETURN b.id AS bucket,
       o.key AS key,
       p.arn AS principal,
       p.account_id AS principal_account,
       r.count AS count,
       r.bytes AS bytes,
       r.cross_account AS cross_account,
       r.first_seen AS first_seen,
       r.last_seen AS last_seen
ORDER BY key, principal
