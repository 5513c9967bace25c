// id: unencrypted-ai-artifacts
// title: AI artifacts without a customer KMS key
// description: Training, tuning, processing and transform outputs, endpoint storage volumes, data-capture destinations and Bedrock custom models whose defining call named no customer-managed KMS key, so they rely on AWS-managed or S3 default encryption. Only resources whose defining call was seen are judged; a key given as an alias counts as a customer key.
// severity: medium
// controls: ["eu-ai-act:Art.15", "nist-ai-rmf:MEASURE 2.7", "soc2:CC6.1", "iso-42001:A.6.2.8"]
// params: {}
// evidence: ["ai-resources"]
CALL () {
  MATCH (j:TrainingJob {defined: true}) WHERE j.output_kms_key_ref IS NULL
  RETURN j.arn AS resource, 'TrainingJob' AS resource_type, j.account_id AS account, 'training output without a customer KMS key' AS issue
  UNION
  MATCH (j:TuningJob {defined: true}) WHERE j.output_kms_key_ref IS NULL
  RETURN j.arn AS resource, 'TuningJob' AS resource_type, j.account_id AS account, 'training output without a customer KMS key' AS issue
  UNION
  MATCH (j:ProcessingJob {defined: true}) WHERE j.output_kms_key_ref IS NULL
  RETURN j.arn AS resource, 'ProcessingJob' AS resource_type, j.account_id AS account, 'processing output without a customer KMS key' AS issue
  UNION
  MATCH (j:TransformJob {defined: true}) WHERE j.output_kms_key_ref IS NULL
  RETURN j.arn AS resource, 'TransformJob' AS resource_type, j.account_id AS account, 'transform output without a customer KMS key' AS issue
  UNION
  MATCH (c:EndpointConfig {defined: true}) WHERE c.kms_key_ref IS NULL
  RETURN c.arn AS resource, 'EndpointConfig' AS resource_type, c.account_id AS account, 'endpoint storage volume without a customer KMS key' AS issue
  UNION
  MATCH (c:EndpointConfig {defined: true}) WHERE c.data_capture_uri IS NOT NULL AND c.data_capture_kms_key_ref IS NULL
  RETURN c.arn AS resource, 'EndpointConfig' AS resource_type, c.account_id AS account, 'data capture without a customer KMS key' AS issue
  UNION
  MATCH (j:CustomizationJob {defined: true}) WHERE j.kms_key_ref IS NULL
  RETURN j.arn AS resource, 'CustomizationJob' AS resource_type, j.account_id AS account, 'custom model without a customer KMS key' AS issue
}
RETURN resource, resource_type, account, issue
ORDER BY resource, issue
