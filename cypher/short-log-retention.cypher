// id: short-log-retention
// title: AI event logs kept less than six months
// description: CloudWatch Logs log groups that receive CloudTrail or Bedrock model-invocation logs (a trail or the invocation logging delivers there, or the group is named `/aws/bedrock/...`) with a retention under 180 days, and S3 buckets receiving trail or invocation logs whose enabled lifecycle rules expire objects in under 180 days (the shortest rule counts, whatever its prefix). A log group that never expires passes; one whose retention was not pulled is not judged. `retention_days` is the retention or the expiration; `delivered_by` lists the trails and logging configurations writing there.
// severity: medium
// controls: ["eu-ai-act:Art.19", "eu-ai-act:Art.26(6)", "iso-42001:A.6.2.8"]
// params: {}
// evidence: ["config-snapshot"]
// remediation: {"text": "Keep AI event logs at least 180 days: set each listed log group's retention to 180 days or more (`PutRetentionPolicy`, or never expire), and change each listed log bucket's lifecycle rules so nothing expires before 180 days (move older logs to a colder storage class instead). Then `graphgov pull config` reads the new settings.", "links": ["https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html", "https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-lifecycle-mgmt.html"]}
CALL () {
  MATCH (g:LogGroup)
  WHERE g.never_expires = false AND g.retention_days < 180
    AND (EXISTS { (g)<-[:DELIVERS_TO]-() } OR g.name STARTS WITH '/aws/bedrock/')
  OPTIONAL MATCH (g)<-[:DELIVERS_TO]-(src)
  RETURN g.arn AS resource, 'log-group' AS resource_type, g.account_id AS account, g.retention_days AS retention_days,
         collect(DISTINCT coalesce(src.arn, src.id)) AS delivered_by
  UNION
  MATCH (b:S3Bucket)<-[:DELIVERS_TO]-(src)
  WHERE b.lifecycle_expires = true AND b.lifecycle_expiration_days < 180
  RETURN b.arn AS resource, 'bucket' AS resource_type, b.account_id AS account,
         b.lifecycle_expiration_days AS retention_days, collect(DISTINCT coalesce(src.arn, src.id)) AS delivered_by
}
RETURN resource, resource_type, account, retention_days, delivered_by
ORDER BY resource
