// id: dataset-consumers
// title: Which jobs and models used a dataset, down to endpoints
// description: Every job that read the dataset, or data prepared from it by jobs that write datasets (processing, batch transform, batch inference; up to five steps): a job counts when its input lies inside or overlaps such a job's output by S3 key-name prefix (an output `a/b/` feeds `a/b/c/` and `a/`, never `a/bc/`) and it started after that job (whose start is the earliest its output can exist). `read_dataset` is what it read, `via` the jobs in between (`a -> b`, in order; empty when direct), `link` `direct` (it read the dataset itself), `derived` (through processing) or `unknown` (a step is a manifest input, which reads only the keys its manifest lists: not read, so neither claimed nor dropped). Per input channel, the models made from it (SageMaker models loading the job's artifact, Bedrock custom models and Comprehend classifier or recognizer versions the job produced, and the copies other accounts imported of those versions), and the endpoints serving those models now. A job whose model is not known yet appears with an empty model.
// severity: info
// controls: ["eu-ai-act:Art.10(2)(b)", "eu-ai-act:Art.10(5)(e)", "iso-42001:A.7.5", "nist-ai-rmf:MEASURE 2.10", "gdpr:Art.30(1)(b)"]
// params: {"dataset": {"type": "dataset", "required": true, "description": "the dataset's S3 URI as jobs name it (s3:// or https:// form)"}}
// evidence: ["ai-resources"]
// remediation: {"text": "A listing, not a finding: review it with the dataset's owner. Confirm each job, model and endpoint is an intended use of the data (its licence, consent and purpose), retrain or retire what is not, and keep the lineage with the model (SageMaker ML Lineage Tracking and Model Cards).", "links": ["https://docs.aws.amazon.com/sagemaker/latest/dg/lineage-tracking.html", "https://docs.aws.amazon.com/sagemaker/latest/dg/model-cards.html"]}
MATCH (start:Dataset {uri: $dataset})
MATCH (start)<-[r0:READS]-() ((p:ProcessingJob|TransformJob|BatchInferenceJob)-[:FEEDS]->(fed:Dataset)<-[reads:READS]-(q)
                                  WHERE q.first_seen > p.first_seen){0,5} (j)
WITH DISTINCT start, j, CASE WHEN size(reads) = 0 THEN r0 ELSE last(reads) END AS r,
     CASE WHEN size(fed) = 0 THEN start ELSE last(fed) END AS d, CASE WHEN size(p) = 0 THEN null
          ELSE reduce(s = head(p).arn, x IN tail(p) | s + ' -> ' + x.arn) END AS via,
     CASE WHEN size(fed) = 0 THEN 'direct'
          WHEN any(x IN fed WHERE coalesce(x.data_type, 'S3Prefix') <> 'S3Prefix') THEN 'unknown'
          ELSE 'derived' END AS link
OPTIONAL MATCH (j)-[:WRITES]->(:ModelArtifact)<-[:FROM_ARTIFACT]-() (()<-[:FROM_PACKAGE]-()){0,1} (sm:Model)
WITH start, d, r, j, via, link, collect(DISTINCT sm) AS made
// what the job produced, and the copies other accounts imported of it (Comprehend ImportModel)
OPTIONAL MATCH (j)-[:PRODUCED]->(:Model) (()<-[:IMPORTED_FROM]-(:Model)){0,1} (bm:Model)
WITH start, d, r, j, via, link, made, collect(DISTINCT bm) AS produced
WITH start, d, r, j, via, link, made + produced AS models
UNWIND (CASE WHEN size(models) = 0 THEN [null] ELSE models END) AS m
WITH start, d, r, j, via, link, m, COLLECT {  // endpoints that serve the model now
  CALL (m) {
    // SageMaker: the endpoint's current configuration serves it
    MATCH (m)<-[:SERVES]-(:EndpointConfig)<-[:USES_CONFIG]-(e:Endpoint)
    WITH DISTINCT e
    MATCH (e)-[u:USES_CONFIG]->(c:EndpointConfig)
    WITH e, c ORDER BY u.last_seen DESC, c.arn
    WITH e, collect(c)[0] AS current
    MATCH (current)-[:SERVES]->(m)
    RETURN e
    UNION
    // Comprehend: the model the endpoint was created or last updated with
    MATCH (m)<-[:SERVES]-(e:Endpoint)
    MATCH (e)-[s:SERVES]->(x:Model)
    WITH e, x ORDER BY s.last_seen DESC, x.arn
    WITH e, collect(x)[0] AS current
    WHERE current = m
    RETURN e
  }
  RETURN DISTINCT e.arn
} AS endpoints
UNWIND r.channels AS channel
RETURN start.uri AS dataset, d.uri AS read_dataset, j.arn AS job,
       // the job's kind (a Comprehend training is a CustomizationJob also labelled ComprehendTraining)
       [l IN labels(j) WHERE l IN ['TrainingJob', 'TuningJob', 'CustomizationJob', 'ProcessingJob', 'TransformJob',
                                   'BatchInferenceJob', 'KnowledgeBase']][0] AS job_type,
       channel, m.arn AS model, endpoints, via, link
ORDER BY read_dataset, job, channel, model, via
