// id: personal-data-in-training
// title: Personal and special-category data read by training
// description: Datasets classified (`graphgov classify`: bucket and object tags, the user's mapping) as personal data (`personal`, `personal:*`) or special-category data (`special-category`, `special-category:*`, GDPR Art. 9) that training, tuning or customization jobs read (`jobs`), or read after processing, batch transform or batch inference jobs prepared data from them (`derived_jobs`: `<job> derived from personal data via <job> -> ...`, following outputs that contain or overlap the job's input by S3 key-name prefix, up to five steps, each consumer started after its producer; `possibly derived` when a step is a manifest input whose keys were not read): the classification, and the principals that may read all of the dataset under the policies in force (`readers`: `<principal> (potential)`, `(observed)` when a successful call settled it, `(conditional)` when a condition could not be settled, or `(unknown)` when a bucket or key policy that was never seen decides it; direct grants, role chains are in training-data-readers). Each row is processing that needs the strict controls and records of Art. 10(5) and Art. 30. Datasets loaded or tagged since the last `graphgov classify` are not classified yet.
// severity: high
// controls: ["eu-ai-act:Art.10(5)(c)", "gdpr:Art.30(1)(b)", "nist-ai-rmf:MEASURE 2.10"]
// params: {}
// evidence: ["cloudtrail-management", "sagemaker-events"]
// remediation: {"text": "Keep personal data out of training unless it is needed and lawful: find it with Amazon Macie, remove or pseudonymise it before jobs read it, point the jobs at the cleaned dataset, and retrain the models already trained on it. Where the use is intended, record its legal basis (for special-category data the Art. 9 condition and safeguards) with the model, in its Model Card.", "links": ["https://docs.aws.amazon.com/macie/latest/user/discovery-jobs.html", "https://docs.aws.amazon.com/sagemaker/latest/dg/model-cards.html"]}
MATCH (d:Dataset)
WHERE any(c IN coalesce(d.classification, []) WHERE c IN ['personal', 'special-category']
          OR c STARTS WITH 'personal:' OR c STARTS WITH 'special-category:')
WITH d, COLLECT { MATCH (j:TrainingJob|TuningJob|CustomizationJob)-[:READS]->(d) RETURN DISTINCT j.arn } AS jobs,
     COLLECT {
       MATCH (d)<-[:READS]-() ((p:ProcessingJob|TransformJob|BatchInferenceJob)-[:FEEDS]->(fed:Dataset)<-[:READS]-(q)
                               WHERE q.first_seen > p.first_seen){1,5} (t:TrainingJob|TuningJob|CustomizationJob)
       WITH t, reduce(s = head(p).arn, y IN tail(p) | s + ' -> ' + y.arn) AS via,
            any(y IN fed WHERE coalesce(y.data_type, 'S3Prefix') <> 'S3Prefix') AS unknown
       RETURN DISTINCT t.arn + CASE WHEN unknown THEN ' possibly derived from personal data via ' + via
                                    + ' (a manifest input: its keys were not read)'
                                    ELSE ' derived from personal data via ' + via END
     } AS derived_jobs
WHERE size(jobs) > 0 OR size(derived_jobs) > 0
RETURN d.uri AS dataset, d.bucket AS bucket, d.classification AS classification, jobs, derived_jobs,
       COLLECT { MATCH (p:AWSPrincipal)-[c:CAN_READ]->(d) RETURN DISTINCT p.arn + ' (' + c.access + ')' } AS readers
ORDER BY dataset
