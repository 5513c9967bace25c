// id: endpoint-lineage
// title: Which data trained the model behind an endpoint
// description: For the endpoint's current configuration (the one set last by CreateEndpoint or UpdateEndpoint), every model it serves (for an Amazon Comprehend endpoint, the model version it was created or last updated with; for a model copied by ImportModel, the lineage of its source), the training job whose artifact the model loads, directly or through its model-registry package (matched by S3 path, across accounts), each input channel and its dataset, and the principals seen writing objects into that dataset (CloudTrail data events, and S3 notifications whose principal id resolves to a role or user; an id no evidence resolves is listed as `unresolved:<id>`, never dropped; an EventBridge requester known only by account, `unresolved:account:<id>`, unless a CloudTrail writer of that account is known for the object). A model with no known training job appears with empty job and dataset: its lineage is not evidenced. Manifest datasets list the writers of the manifest object only (their members are unknown until the manifest is read). Each dataset is followed upstream through the jobs that prepared it (processing, batch transform, batch inference; up to five steps): a job whose output contains or overlaps the dataset by S3 key-name prefix (an output `a/b/` feeds `a/b/c/` and `a/`, never `a/bc/`) and that started before the job reading it; those rows name those jobs in `via` (`a -> b`, nearest first) with `link` `derived`, or `unknown` when a step is a manifest input (it reads only the keys its manifest lists, not read). A job's own inputs have `link` `direct`.
// severity: high
// controls: ["eu-ai-act:Art.10(2)(b)", "eu-ai-act:Art.13(3)(b)(vi)", "iso-42001:A.7.5", "iso-42001:A.7.2", "nist-ai-rmf:MAP 2.3", "nist-ai-rmf:GOVERN 1.6"]
// params: {"endpoint": {"type": "endpoint", "required": true, "description": "endpoint ARN or name (names are matched lower-cased, as in SageMaker ARNs)"}}
// evidence: ["sagemaker-events"]
// remediation: {"text": "Review the data behind the endpoint with the model's owner: every channel should name a dataset you can account for, and every writer of it should be expected. Register models through the Model Registry from their training job, so the artifact an endpoint serves links to the job and its data, and let only the pipelines that prepare training data write to it.", "links": ["https://docs.aws.amazon.com/sagemaker/latest/dg/lineage-tracking.html", "https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry.html"]}
MATCH (e:Endpoint {arn: $endpoint})
CALL (e) {
  // a SageMaker endpoint: the models its current configuration serves
  MATCH (e)-[u:USES_CONFIG]->(c:EndpointConfig)
  WITH c ORDER BY u.last_seen DESC, c.arn
  WITH collect(c)[0] AS current
  MATCH (current)-[:SERVES]->(m:Model)
  RETURN m
  UNION
  // a Comprehend endpoint: the model it was created or last updated with
  MATCH (e)-[s:SERVES]->(m:Model)
  WITH m ORDER BY s.last_seen DESC, m.arn
  LIMIT 1
  RETURN m
}
OPTIONAL MATCH (m) (()-[:PROVISIONS|IMPORTED_FROM]->(:Model)){0,1}
               (()-[:FROM_PACKAGE]->(:ModelPackage)){0,1} ()-[:FROM_ARTIFACT]->(:ModelArtifact)<-[:WRITES]-(tj:TrainingJob|TuningJob)
WITH e, m, collect(DISTINCT tj) AS trained
OPTIONAL MATCH (m) (()-[:PROVISIONS|IMPORTED_FROM]->(:Model)){0,1} ()<-[:PRODUCED]-(cj:CustomizationJob)
WITH e, m, trained, collect(DISTINCT cj) AS customized
UNWIND (CASE WHEN size(trained + customized) = 0 THEN [null] ELSE trained + customized END) AS j
OPTIONAL MATCH (j) ((c)-[rc:READS]->(x:Dataset)<-[:FEEDS]-(p:ProcessingJob|TransformJob|BatchInferenceJob) WHERE c.first_seen > p.first_seen){0,5}
               ()-[r:READS]->(d:Dataset)
WITH DISTINCT e, m, j, d, CASE WHEN size(rc) > 0 THEN head(rc).channels ELSE r.channels END AS channels,
     CASE WHEN size(p) > 0 THEN reduce(s = head(p).arn, y IN tail(p) | s + ' -> ' + y.arn) END AS via,
     CASE WHEN d IS NULL THEN null WHEN size(x) = 0 THEN 'direct'
          WHEN any(y IN x WHERE coalesce(y.data_type, 'S3Prefix') <> 'S3Prefix') THEN 'unknown'
          ELSE 'derived' END AS link
WITH e, m, j, d, channels, via, link, COLLECT {
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
RETURN e.arn AS endpoint,
       m.arn AS model,
       j.arn AS training_job,
       channel,
       d.uri AS dataset,
       writers AS dataset_writers,
       via,
       link
ORDER BY model, training_job, channel, dataset, via
