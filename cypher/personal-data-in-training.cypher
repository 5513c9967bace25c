// id: personal-data-in-training
// title: Personal and special-category data read by training
// description: Datasets classified (`graphgov classify`: bucket and object tags, the user's mapping) as personal data (`personal`, `personal:*`) or special-category data (`special-category`, `special-category:*`, GDPR Art. 9) that training, tuning or customization jobs read: the jobs, the classification, and the principals that may read all of the dataset under the policies in force (`readers`: `<principal> (potential)`, `(observed)` when a successful call settled it, `(conditional)` when a condition could not be settled, or `(unknown)` when a bucket or key policy that was never seen decides it; direct grants, role chains are in training-data-readers). Each row is processing that needs the strict controls and records of Art. 10(5) and Art. 30. Datasets loaded or tagged since the last `graphgov classify` are not classified yet.
// severity: high
// controls: ["eu-ai-act:Art.10(5)(c)", "gdpr:Art.30(1)(b)", "nist-ai-rmf:MEASURE 2.10"]
// params: {}
// evidence: ["cloudtrail-management", "sagemaker-events"]
MATCH (d:Dataset)
WHERE any(c IN coalesce(d.classification, []) WHERE c IN ['personal', 'special-category']
          OR c STARTS WITH 'personal:' OR c STARTS WITH 'special-category:')
MATCH (j:TrainingJob|TuningJob|CustomizationJob)-[:READS]->(d)
WITH d, collect(DISTINCT j.arn) AS jobs
RETURN d.uri AS dataset, d.bucket AS bucket, d.classification AS classification, jobs,
       COLLECT { MATCH (p:AWSPrincipal)-[c:CAN_READ]->(d) RETURN DISTINCT p.arn + ' (' + c.access + ')' } AS readers
ORDER BY dataset
