// id: dataset-consumers
// title: Which jobs and models used a dataset, down to endpoints
// description: Every training or customization job that read the dataset (per input channel), the models made from it (SageMaker models loading the job's artifact, Bedrock custom models the job produced), and the endpoints serving those models now. A job whose model is not known yet appears with an empty model.
// severity: info
// controls: ["eu-ai-act:Art.10(2)(b)", "eu-ai-act:Art.10(5)(e)", "iso-42001:A.7.5", "nist-ai-rmf:MEASURE 2.10", "gdpr:Art.30(1)(b)"]
// params: {"dataset": {"type": "dataset", "required": true, "description": "the dataset's S3 URI as jobs name it (s3:// or https:// form)"}}
MATCH (d:Dataset {uri: $dataset})<-[r:READS]-(j)
OPTIONAL MATCH (j)-[:WRITES]->(:ModelArtifact)<-[:FROM_ARTIFACT]-(sm:Model)
WITH d, r, j, collect(DISTINCT sm) AS made
OPTIONAL MATCH (j)-[:PRODUCED]->(bm:Model)
WITH d, r, j, made, collect(DISTINCT bm) AS produced
WITH d, r, j, made + produced AS models
UNWIND (CASE WHEN size(models) = 0 THEN [null] ELSE models END) AS m
WITH d, r, j, m, COLLECT {
  MATCH (e:Endpoint)-[u:USES_CONFIG]->(c:EndpointConfig)
  WITH e, c ORDER BY u.last_seen DESC, c.arn
  WITH e, collect(c)[0] AS current
  MATCH (current)-[:SERVES]->(m)
  RETURN DISTINCT e.arn
} AS endpoints
UNWIND r.channels AS channel
RETURN d.uri AS dataset, j.arn AS job, labels(j)[0] AS job_type, channel, m.arn AS model, endpoints
ORDER BY job, channel, model
