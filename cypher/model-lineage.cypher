// id: model-lineage
// title: Which data trained a model
// description: The training job whose artifact a SageMaker model loads, directly or through its model-registry package (matched by S3 path, across accounts), or the customization job that produced a Bedrock custom model, each of its input channels and datasets, and the principals seen writing objects into each dataset (CloudTrail data events, and S3 notifications whose principal id resolves to a role or user; an id no evidence resolves is listed as `unresolved:<id>`, never dropped; an EventBridge requester known only by account, `unresolved:account:<id>`, unless a CloudTrail writer of that account is known for the object). A model with no known training job appears once with empty job and dataset: its lineage is not evidenced.
// severity: high
// controls: ["eu-ai-act:Art.10(2)(b)", "eu-ai-act:Art.13(3)(b)(vi)", "iso-42001:A.7.5", "iso-42001:A.7.2", "nist-ai-rmf:MAP 2.3"]
// params: {"model": {"type": "model", "required": true, "description": "model ARN or name (names are matched lower-cased, as in SageMaker ARNs)"}}
// evidence: ["ai-resources"]
MATCH (m:Model {arn: $model})
OPTIONAL MATCH (m) (()-[:FROM_PACKAGE]->(:ModelPackage)){0,1} ()-[:FROM_ARTIFACT]->(:ModelArtifact)<-[:WRITES]-(tj:TrainingJob|TuningJob)
WITH m, collect(DISTINCT tj) AS trained
OPTIONAL MATCH (m)<-[:PRODUCED]-(cj:CustomizationJob)
WITH m, trained, collect(DISTINCT cj) AS customized
UNWIND (CASE WHEN size(trained + customized) = 0 THEN [null] ELSE trained + customized END) AS j
OPTIONAL MATCH (j)-[r:READS]->(d:Dataset)
WITH m, j, r, d, COLLECT {
  CALL (d) {
    MATCH (d)<-[:IN_DATASET]-(o:S3Object) RETURN o
    UNION
    MATCH (o:S3Object {bucket: d.bucket, key: d.prefix}) WHERE d.data_type <> 'S3Prefix' RETURN o
  }
  CALL (o) {
    MATCH (o)<-[:WROTE]-(p:AWSPrincipal) RETURN p.arn AS writer
    UNION
    MATCH (o)<-[c:CONTAINS]-(:S3Bucket) UNWIND coalesce(c.writer_ids, []) AS wid
    OPTIONAL MATCH (p:AWSPrincipal {principal_id: split(wid, ':')[0]})
    WITH o, wid, p
    WHERE p IS NOT NULL OR NOT (wid STARTS WITH 'account:'
      AND EXISTS { (o)<-[:WROTE]-(:AWSPrincipal {account_id: substring(wid, 8)}) })
    RETURN coalesce(p.arn, 'unresolved:' + wid) AS writer
  }
  WITH DISTINCT writer ORDER BY writer RETURN writer
} AS writers
UNWIND coalesce(r.channels, [null]) AS channel
RETURN m.arn AS model,
       j.arn AS training_job,
       channel,
       d.uri AS dataset,
       writers AS dataset_writers
ORDER BY training_job, channel, dataset
