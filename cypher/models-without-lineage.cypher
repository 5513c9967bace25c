// id: models-without-lineage
// title: Models in use with no known training data
// description: Models in use (served by an endpoint's current configuration or, for an Amazon Comprehend endpoint, the model version it was created or last updated with, or Bedrock custom and imported models invoked directly or through provisioned throughput or a custom model deployment, which are judged by the model behind them) that have no path to a dataset: no training job that wrote the artifact they load and read a dataset, no customization job (a Bedrock customization, a Comprehend classifier or recognizer training) that produced them, or the Comprehend version they were imported from, from a dataset. Foundation models and inference profiles, which nobody in the organisation trains, are not reported. `endpoints` lists the endpoints serving the model now.
// severity: high
// controls: ["eu-ai-act:Art.10(2)(b)", "eu-ai-act:Art.13(3)(b)(vi)", "iso-42001:A.7.5", "iso-42001:A.7.2", "nist-ai-rmf:MAP 2.3", "nist-ai-rmf:GOVERN 1.6"]
// params: {}
// evidence: ["ai-resources"]
// remediation: {"text": "Give every model in use a known training source: train it with a SageMaker training job or a Bedrock customization job whose input is a dataset in S3, and register it through the Model Registry so its artifact links to that job; for a model trained or imported from elsewhere, record its training data in a Model Card and load the CloudTrail of the account that trained it. Retire models nobody can account for.", "links": ["https://docs.aws.amazon.com/sagemaker/latest/dg/lineage-tracking.html", "https://docs.aws.amazon.com/sagemaker/latest/dg/model-cards.html"]}
CALL () {
  MATCH (e:Endpoint)-[u:USES_CONFIG]->(c:EndpointConfig)
  WITH e, c ORDER BY u.last_seen DESC, c.arn
  WITH e, collect(c)[0] AS current
  MATCH (current)-[:SERVES]->(m:Model)
  RETURN m, e.arn AS endpoint
  UNION
  // a Comprehend endpoint serves the model it was created or last updated with
  MATCH (e:Endpoint)-[s:SERVES]->(x:Model)
  WITH e, x ORDER BY s.last_seen DESC, x.arn
  WITH e, collect(x)[0] AS m
  RETURN m, e.arn AS endpoint
  UNION
  MATCH (:AWSPrincipal)-[:INVOKED]->(m:BedrockModel)
  RETURN m, null AS endpoint
  UNION
  MATCH (:AWSPrincipal)-[:INVOKED]->(served:BedrockModel)-[:PROVISIONS]->(m:Model)
  WHERE served.kind IN ['provisioned-model', 'custom-model-deployment']
  RETURN m, null AS endpoint
}
WITH m, collect(endpoint) AS endpoints
WHERE NOT (m:BedrockModel AND m.kind IN ['foundation-model', 'inference-profile', 'application-inference-profile', 'provisioned-model',
                                        'custom-model-deployment'])
  AND NOT EXISTS { (m) (()-[:FROM_PACKAGE]->(:ModelPackage)){0,1} ()-[:FROM_ARTIFACT]->(:ModelArtifact)<-[:WRITES]-(:TrainingJob|TuningJob)-[:READS]->(:Dataset) }
  AND NOT EXISTS { (m) (()-[:IMPORTED_FROM]->(:Model)){0,1} ()<-[:PRODUCED]-(:CustomizationJob)-[:READS]->(:Dataset) }
RETURN m.arn AS model, endpoints
ORDER BY model
