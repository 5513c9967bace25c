// id: ai-inventory
// title: Inventory of AI systems and models seen
// description: Every SageMaker model, endpoint and model package, every Bedrock custom, imported and provisioned model (provisioned throughput) and knowledge base, every Amazon Comprehend classifier and entity recognizer version (trained, imported, or named by a call) and endpoint seen in the evidence, the account's built-in Comprehend models where they were called, every application inference profile, and every foundation model or system inference profile in use (invoked, provisioned, embedded with by a knowledge base, run by a batch job, customised, or invoked through an inference profile). For an inference profile, `foundation_model` is the foundation model it invokes (a system profile's id names it; an application profile copies a model or system profile). `kind` says which (`sagemaker-model`, `sagemaker-endpoint`, `sagemaker-model-package`, `bedrock-knowledge-base`, `bedrock-<Bedrock kind>`, `comprehend-document-classifier`, `comprehend-entity-recognizer`, `comprehend-built-in`, `comprehend-endpoint`); `account` is empty for foundation models, which no account owns; `first_seen` / `last_seen` bound the evidence that named the resource. A listing for the auditor, never a finding.
// severity: info
// controls: ["nist-ai-rmf:GOVERN 1.6", "nist-ai-rmf:GOVERN 6.1", "nist-ai-rmf:MANAGE 3.2", "iso-42001:A.10.3"]
// params: {}
// evidence: ["cloudtrail-management"]
// pass: evidence
// remediation: {"text": "A listing, not a finding: review it with each system's owner. Confirm every model, endpoint, knowledge base and foundation model in use is known and approved, record its owner and intended use (a SageMaker Model Card, or an owner tag), register SageMaker models in the Model Registry, and delete what nobody owns.", "links": ["https://docs.aws.amazon.com/sagemaker/latest/dg/model-cards.html", "https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry.html"]}
CALL () {
  MATCH (n:SageMakerModel) RETURN n, 'sagemaker-model' AS kind
  UNION
  MATCH (n:Endpoint) RETURN n, CASE WHEN n:ComprehendEndpoint THEN 'comprehend-endpoint' ELSE 'sagemaker-endpoint' END AS kind
  UNION
  MATCH (n:ModelPackage) RETURN n, 'sagemaker-model-package' AS kind
  UNION
  MATCH (n:KnowledgeBase) RETURN n, 'bedrock-knowledge-base' AS kind
  UNION
  MATCH (n:ComprehendModel) RETURN n, 'comprehend-' + coalesce(n.kind, 'unknown') AS kind
  UNION
  MATCH (n:BedrockModel)
  WHERE NOT coalesce(n.kind, 'unknown') IN ['foundation-model', 'inference-profile']
     OR EXISTS { (n)<-[:INVOKED|USES_MODEL|RUNS_MODEL|PROVISIONS|BASED_ON|ROUTES_TO]-() }
  RETURN n, 'bedrock-' + coalesce(n.kind, 'unknown') AS kind
}
RETURN n.arn AS resource, kind, n.account_id AS account, n.region AS region, n.first_seen AS first_seen,
       n.last_seen AS last_seen,
       COLLECT { MATCH (n)-[:ROUTES_TO*1..2]->(f:BedrockModel {kind: 'foundation-model'}) RETURN f.arn }[0]
         AS foundation_model
ORDER BY resource
