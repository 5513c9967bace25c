// id: model-lineage
// title: Which data trained a model
// description: The training job whose artifact a SageMaker model loads, directly or through its model-registry package (matched by S3 path, across accounts), or the customization job that produced a Bedrock custom model or an Amazon Comprehend classifier or recognizer version (for a provisioned throughput or a custom model deployment, which applications invoke, those of the model it serves; for a Comprehend model copied by ImportModel, those of its source version), each of its input channels and datasets, and the principals seen writing objects into each dataset (CloudTrail data events, and S3 notifications whose principal id resolves to a role or user; an id no evidence resolves is listed as `unresolved:<id>`, never dropped; an EventBridge requester known only by account, `unresolved:account:<id>`, unless a CloudTrail writer of that account is known for the object). A model with no known training job appears once with empty job and dataset: its lineage is not evidenced. Each dataset is followed upstream through the jobs that prepared it (processing, batch transform, batch inference; up to five steps): a job whose output contains or overlaps the dataset by S3 key-name prefix (an output `a/b/` feeds `a/b/c/` and `a/`, never `a/bc/`) and that started before the job reading it; those rows name those jobs in `via` (`a -> b`, nearest first) with `link` `derived`, or `unknown` when a step is a manifest input (it reads only the keys its manifest lists, not read). A job's own inputs have `link` `direct`.
// severity: high
// controls: ["eu-ai-act:Art.10(2)(b)", "eu-ai-act:Art.13(3)(b)(vi)", "iso-42001:A.7.5", "iso-42001:A.7.2", "nist-ai-rmf:MAP 2.3"]
// params: {"model": {"type": "model", "required": true, "description": "model ARN or name (names are matched lower-cased, as in SageMaker ARNs)"}}
// evidence: ["ai-resources"]
// remediation: {"text": "Review the data behind the model with its owner: every channel should name a dataset you can account for, and every writer of it should be expected. Make each model from a job graphgov can see: a SageMaker training job whose model is registered in the Model Registry, or a Bedrock customization job, so the model links to the job and its data; and let only the pipelines that prepare training data write to it.", "links": ["https://docs.aws.amazon.com/sagemaker/latest/dg/lineage-tracking.html", "https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry.html"]}
MATCH (m:Model {arn: $model})
OPTIONAL MATCH (m) (()-[:PROVISIONS|IMPORTED_FROM]->(:Model)){0,1} ()
               (()-[:FROM_PACKAGE]->(:ModelPackage)){0,1} ()-[:FROM_ARTIFACT]->(:ModelArtifact)<-[:WRITES]-(tj:TrainingJob|TuningJob)
WITH m, collect(DISTINCT tj) AS trained
OPTIONAL MATCH (m) (()-[:PROVISIONS|IMPORTED_FROM]->(:Model)){0,1} ()<-[:PRODUCED]-(cj:CustomizationJob)
WITH m, trained, collect(DISTINCT cj) AS customized
UNWIND (CASE WHEN size(trained + customized) = 0 THEN [null] ELSE trained + customized END) AS j
OPTIONAL MATCH (j) ((c)-[rc:READS]->(x:Dataset)<-[:FEEDS]-(p:ProcessingJob|TransformJob|BatchInferenceJob) WHERE c.first_seen > p.first_seen){0,5}
               ()-[r:READS]->(d:Dataset)
WITH DISTINCT m, j, d, CASE WHEN size(rc) > 0 THEN head(rc).channels ELSE r.channels END AS channels,
     CASE WHEN size(p) > 0 THEN reduce(s = head(p).arn, y IN tail(p) | s + ' -> ' + y.arn) END AS via,
     CASE WHEN d IS NULL THEN null WHEN size(x) = 0 THEN 'direct'
          WHEN any(y IN x WHERE coalesce(y.data_type, 'S3Prefix') <> 'S3Prefix') THEN 'unknown'
          ELSE 'derived' END AS link
WITH m, j, d, channels, via, link, COLLECT {
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
UNWIND coalesce(channels, [null]) AS channel
RETURN m.arn AS model,
       j.arn AS training_job,
       channel,
       d.uri AS dataset,
       writers AS dataset_writers,
       via,
       link
ORDER BY training_job, channel, dataset, via
