// id: dataset-consumers
// title: Which jobs and models used a dataset, down to endpoints
// description: Every job that read the dataset, or a dataset prepared from it by processing jobs (up to five steps; `read_dataset` says which), per input channel, the models made from it (SageMaker models loading the job's artifact, Bedrock custom models the job produced), and the endpoints serving those models now. A job whose model is not known yet appears with an empty model.
// severity: info
// controls: ["eu-ai-act:Art.10(2)(b)", "eu-ai-act:Art.10(5)(e)", "iso-42001:A.7.5", "nist-ai-rmf:MEASURE 2.10", "gdpr:Art.30(1)(b)"]
// params: {"dataset": {"type": "dataset", "required": true, "description": "the dataset's S3 URI as jobs name it (s3:// or https:// form)"}}
// evidence: ["ai-resources"]
MATCH (start:Dataset {uri: $dataset})
MATCH (start) (()<-[:READS]-(:ProcessingJob)-[:WRITES]->(:Dataset)){0,5} (d:Dataset)
WITH DISTINCT start, d
MATCH (d)<-[r:READS]-(j)
OPTIONAL MATCH (j)-[:WRITES]->(:ModelArtifact)<-[:FROM_ARTIFACT]-() (()<-[:FROM_PACKAGE]-()){0,1} (sm:Model)
WITH start, d, r, j, collect(DISTINCT sm) AS made
OPTIONAL MATCH (j)-[:PRODUCED]->(bm:Model)
WITH start, d, r, j, made, collect(DISTINCT bm) AS produced
WITH start, d, r, j, made + produced AS models
UNWIND (CASE WHEN size(models) = 0 THEN [null] ELSE models END) AS m
WITH start, d, r, j, m, COLLECT {
  MATCH (e:Endpoint)-[u:USES_CONFIG]->(c:EndpointConfig)
  WITH e, c ORDER BY u.last_seen DESC, c.arn
  WITH e, collect(c)[0] AS current
  MATCH (current)-[:SERVES]->(m)
  RETURN DISTINCT e.arn
} AS endpoints
UNWIND r.channels AS channel
RETURN start.uri AS dataset, d.uri AS read_dataset, j.arn AS job, labels(j)[0] AS job_type, channel, m.arn AS model,
       endpoints
ORDER BY read_dataset, job, channel, model
