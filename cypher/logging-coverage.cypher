// id: logging-coverage
// title: Accounts and Regions without full CloudTrail coverage
// description: Per account and Region seen in the graph (resources' and trails' Regions, and the Regions of the models principals invoked), the gaps in CloudTrail coverage: `no-logging-trail` when no logging trail recording management events covers it (a trail covers its own account, an organization trail every account seen, since the graph holds no organization membership; a multi-Region trail every Region, another its home Region), else `no-s3-data-events` when no covering trail records S3 object data events and `no-ai-data-events` when none records SageMaker or Bedrock data events (AWS::SageMaker::*, AWS::Bedrock::*), and `no-ai-read-events` when every covering trail records write management events only (`WriteOnly`): Comprehend and Rekognition analysis calls are read-only management events, so they go unrecorded (a trail whose setting was not pulled is not judged). Also every trail pulled while not logging (`trail-not-logging`) and every trail change seen in CloudTrail that can stop or narrow logging (`trail-changed:<operation>`: StopLogging, DeleteTrail, PutEventSelectors, PutInsightSelectors, UpdateTrail). `trails` lists the trails concerned. Only gaps are rows; the trails come from a configuration snapshot (`graphgov pull config`).
// severity: high
// controls: ["eu-ai-act:Art.12(1)", "iso-42001:A.6.2.8", "nist-ai-rmf:MEASURE 2.4", "soc2:CC7.2"]
// params: {}
// evidence: ["config-snapshot", "cloudtrail-management"]
// remediation: {"text": "Cover every account and Region with a multi-Region trail that logs management events (one organization trail from the management account covers every member), start logging on trails that are off (`StartLogging`), and add advanced event selectors for data events: `AWS::S3::Object` for the buckets holding training data and artifacts, and the SageMaker and Bedrock data event types (`AWS::SageMaker::*`, `AWS::Bedrock::*`) for AI calls. Review each `trail-changed` row with whoever changed the trail. Then `graphgov pull config` reads the new settings.", "links": ["https://docs.aws.amazon.com/awscloudtrail/latest/userguide/creating-trail-organization.html", "https://docs.aws.amazon.com/awscloudtrail/latest/userguide/logging-data-events-with-cloudtrail.html"]}
CALL () {
  // the node types whose schema declares an account and a region (tests/test_question_plans.py keeps the list
  // current): a scan of these labels, not of every node (S3 objects and seen events grow with the logs)
  MATCH (n:BatchInferenceJob|BedrockLoggingConfig|CloudTrailTrail|CustomizationJob|Endpoint|EndpointConfig|KMSKey|
          KnowledgeBase|LogGroup|Model|ModelImportJob|ModelPackage|ModelPackageGroup|ProcessingJob|S3AccessPoint|
          TrainingJob|TransformJob|TuningJob)
  WHERE n.account_id IS NOT NULL AND coalesce(n.home_region, n.region) IS NOT NULL
  RETURN n.account_id AS account, coalesce(n.home_region, n.region) AS region
  UNION
  MATCH (p:AWSPrincipal)-[:INVOKED]->(m)
  WHERE p.account_id IS NOT NULL AND m.region IS NOT NULL
  RETURN p.account_id AS account, m.region AS region
}
OPTIONAL MATCH (t:CloudTrailTrail)
WHERE t.is_logging = true AND t.management_events = true AND (t.account_id = account OR t.organization = true)
  AND (t.multi_region = true OR t.home_region = region)
WITH account, region, collect(t) AS covering
WITH account, region, [t IN covering | t.arn] AS trails,
     reduce(acc = [], t IN covering | acc + coalesce(t.data_event_types, [])) AS types,
     all(t IN covering WHERE t.management_read_write = 'WriteOnly') AS write_only
UNWIND CASE WHEN size(trails) = 0 THEN ['no-logging-trail']
            ELSE CASE WHEN 'AWS::S3::Object' IN types THEN [] ELSE ['no-s3-data-events'] END
               + CASE WHEN any(x IN types WHERE x STARTS WITH 'AWS::SageMaker::' OR x STARTS WITH 'AWS::Bedrock::')
                      THEN [] ELSE ['no-ai-data-events'] END
               + CASE WHEN write_only THEN ['no-ai-read-events'] ELSE [] END
       END AS gap
RETURN account, region, gap, trails
UNION
MATCH (t:CloudTrailTrail {is_logging: false})
RETURN t.account_id AS account, t.home_region AS region, 'trail-not-logging' AS gap, [t.arn] AS trails
UNION
MATCH (:AWSPrincipal)-[c:CHANGED_TRAIL]->(t:CloudTrailTrail)
UNWIND c.operations AS operation
RETURN t.account_id AS account, t.home_region AS region, 'trail-changed:' + operation AS gap, [t.arn] AS trails
