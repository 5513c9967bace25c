// id: unencrypted-ai-artifacts
// title: AI artifacts without a customer KMS key
// description: Training, tuning, processing and transform outputs, endpoint storage volumes, data-capture destinations, Bedrock custom models, and Amazon Comprehend models (`modelKmsKeyId`), training and analysis-job outputs (`OutputDataConfig.KmsKeyId`) and storage volumes (`VolumeKmsKeyId`) whose defining call named no customer-managed KMS key (the key absent or empty), so they rely on AWS-managed or S3 default encryption: with no `OutputDataConfig.KmsKeyId` SageMaker encrypts job output with the account's default KMS key for Amazon S3 (`aws/s3`), not a customer-managed key. A job output is not a finding when everything it writes was encrypted with a customer-managed key: `output_encryption` shows, per output, the encryption S3 applied (`customer-key`, `aws-managed-key`, `sse-s3`, or `unknown`) as of the job's time: for a model artifact whose write was logged, what its data event says (`<bucket>/<key>=...`: a KMS key the writer named, SSE-KMS without one is the AWS managed key, AES256 is SSE-S3); otherwise the output bucket's default encryption when the job was created (`<bucket>=...`): the PutBucketEncryption / DeleteBucketEncryption state in force then (since January 2023 a bucket without a configuration, and every new object, is encrypted with SSE-S3), else, when no such change was seen, the configuration snapshot (`graphgov pull config`). Only resources whose defining call was seen are judged; a key given as an alias counts as a customer key.
// severity: medium
// controls: ["eu-ai-act:Art.15", "nist-ai-rmf:MEASURE 2.7", "soc2:CC6.1", "iso-42001:A.6.2.8"]
// params: {}
// evidence: ["ai-resources"]
// remediation: {"text": "Name a customer managed KMS key in each defining call: `OutputDataConfig.KmsKeyId` and `ResourceConfig.VolumeKmsKeyId` for training and tuning jobs, `ProcessingOutputConfig.KmsKeyId` for processing, `TransformOutput.KmsKeyId` for batch transform, `KmsKeyId` on the endpoint configuration and on its `DataCaptureConfig`, `customModelKmsKeyId` for Bedrock customization jobs; `ModelKmsKeyId`, `VolumeKmsKeyId` and `OutputDataConfig.KmsKeyId` for Comprehend models and jobs; or give the output bucket default encryption (SSE-KMS) with that key. Outputs already written keep their encryption until rewritten.", "links": ["https://docs.aws.amazon.com/sagemaker/latest/dg/encryption-at-rest.html", "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_OutputDataConfig.html", "https://docs.aws.amazon.com/bedrock/latest/userguide/encryption-custom-job.html", "https://docs.aws.amazon.com/comprehend/latest/APIReference/API_DataSecurityConfig.html"]}
CALL () {
  MATCH (j)
  WHERE (j:TrainingJob OR j:TuningJob OR j:ProcessingJob OR j:TransformJob OR j:ComprehendAnalysisJob
         OR (j:ComprehendTraining AND j.output_path IS NOT NULL)) AND j.defined = true
    AND coalesce(j.output_kms_key_ref, '') = ''
  WITH j, CASE WHEN j:TrainingJob THEN 'TrainingJob' WHEN j:TuningJob THEN 'TuningJob'
               WHEN j:ProcessingJob THEN 'ProcessingJob' WHEN j:ComprehendAnalysisJob THEN 'BatchInferenceJob'
               WHEN j:ComprehendTraining THEN 'CustomizationJob' ELSE 'TransformJob' END AS resource_type
  OPTIONAL MATCH (j)-[:WRITES]->(a:ModelArtifact)
  OPTIONAL MATCH (:S3Bucket {id: a.bucket})-[:CONTAINS]->(o:S3Object) WHERE o.key = a.key AND o.encryption IS NOT NULL
  WITH j, resource_type, collect(DISTINCT o.bucket + '/' + o.key + '=' + o.encryption) AS objects,
       collect(DISTINCT o.bucket) AS settled
  OPTIONAL MATCH (j)-[:WRITES]->()-[:IN_BUCKET]->(w:S3Bucket)
  WITH j, resource_type, objects, settled, collect(DISTINCT w.id) + CASE WHEN j.output_path STARTS WITH 's3://'
       THEN [split(substring(j.output_path, 5), '/')[0]] ELSE [] END AS names
  UNWIND CASE WHEN size(names) = 0 THEN [null] ELSE names END AS name
  WITH DISTINCT j, resource_type, objects, CASE WHEN name IN settled THEN null ELSE name END AS name
  OPTIONAL MATCH (b:S3Bucket {id: name})
  WITH j, resource_type, objects, name, CASE WHEN b IS NULL THEN 'unknown' ELSE coalesce(
         head([(b)-[:HAS_POLICY]->(ps:PolicyState {slot: 'encryption'})
               WHERE ps.valid_from IS NOT NULL AND ps.valid_from <= j.first_seen
                 AND (ps.valid_to IS NULL OR ps.valid_to > j.first_seen) |
               CASE WHEN ps.deleted = true THEN 'sse-s3'
                    WHEN ps.document CONTAINS '"SSEAlgorithm":"aws:kms' AND ps.document CONTAINS '"KMSMasterKeyID":'
                         AND NOT ps.document CONTAINS 'alias/aws/s3' THEN 'customer-key'
                    WHEN ps.document CONTAINS '"SSEAlgorithm":"aws:kms' THEN 'aws-managed-key'
                    ELSE 'sse-s3' END]),
         CASE WHEN EXISTS { (b)-[:HAS_POLICY]->(:PolicyState {slot: 'encryption'}) } THEN 'unknown'
              WHEN b.default_encryption STARTS WITH 'aws:kms' AND coalesce(b.encryption_kms_key_ref, '') <> ''
                   AND NOT b.encryption_kms_key_ref ENDS WITH 'alias/aws/s3' THEN 'customer-key'
              WHEN b.default_encryption STARTS WITH 'aws:kms' THEN 'aws-managed-key'
              WHEN b.default_encryption = 'AES256' THEN 'sse-s3'
              ELSE 'unknown' END) END AS state
  WITH j, resource_type, objects, collect(name + '=' + state) AS bucket_states
  WITH j, resource_type, objects + bucket_states AS states
  WHERE size(states) = 0 OR any(s IN states WHERE NOT s ENDS WITH '=customer-key')
  RETURN j.arn AS resource, resource_type, j.account_id AS account,
         CASE resource_type WHEN 'ProcessingJob' THEN 'processing output without a customer KMS key'
                            WHEN 'TransformJob' THEN 'transform output without a customer KMS key'
                            WHEN 'BatchInferenceJob' THEN 'analysis output without a customer KMS key'
                            ELSE 'training output without a customer KMS key' END AS issue,
         COLLECT { UNWIND states AS s WITH s ORDER BY s RETURN s } AS output_encryption
  UNION
  MATCH (c:EndpointConfig {defined: true}) WHERE coalesce(c.kms_key_ref, '') = ''
  RETURN c.arn AS resource, 'EndpointConfig' AS resource_type, c.account_id AS account, 'endpoint storage volume without a customer KMS key' AS issue, [] AS output_encryption
  UNION
  MATCH (c:EndpointConfig {defined: true}) WHERE c.data_capture_uri IS NOT NULL AND coalesce(c.data_capture_kms_key_ref, '') = ''
  RETURN c.arn AS resource, 'EndpointConfig' AS resource_type, c.account_id AS account, 'data capture without a customer KMS key' AS issue, [] AS output_encryption
  UNION
  MATCH (j:CustomizationJob {defined: true}) WHERE coalesce(j.kms_key_ref, '') = ''
  RETURN j.arn AS resource, 'CustomizationJob' AS resource_type, j.account_id AS account, 'custom model without a customer KMS key' AS issue, [] AS output_encryption
  UNION
  // Comprehend trainings, flywheel iterations and analysis jobs run on storage volumes of their own (`volumeKmsKeyId`)
  MATCH (j) WHERE (j:ComprehendTraining OR j:ComprehendFlywheel OR j:ComprehendAnalysisJob) AND j.defined = true
    AND coalesce(j.volume_kms_key_ref, '') = ''
  RETURN j.arn AS resource, CASE WHEN j:CustomizationJob THEN 'CustomizationJob' ELSE 'BatchInferenceJob' END AS resource_type, j.account_id AS account, 'storage volume without a customer KMS key' AS issue, [] AS output_encryption
}
RETURN resource, resource_type, account, issue, output_encryption
ORDER BY resource, issue
