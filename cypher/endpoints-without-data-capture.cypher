// id: endpoints-without-data-capture
// title: Endpoints that served without data capture
// description: Every SageMaker endpoint configuration an endpoint served under (CreateEndpoint, UpdateEndpoint, state changes), judged by that configuration's own data capture, so an endpoint that served without capture is a finding for that period even if its current configuration captures: `data_capture` is `off` when its CreateEndpointConfig was seen and named no `DataCaptureConfig` destination, `not-evidenced` when the configuration was never seen defined, so its settings are unknown (a describe pull or the CreateEndpointConfig event settles it). `since` is when the endpoint was last set to the configuration and `until` when the next one was set (empty: still in force).
// severity: medium
// controls: ["eu-ai-act:Art.12(2)(b)", "eu-ai-act:Art.12(2)(c)", "nist-ai-rmf:MEASURE 2.4", "iso-42001:A.6.2.6"]
// params: {}
// evidence: ["cloudtrail-management", "sagemaker-events"]
// remediation: {"text": "Enable data capture on the endpoint configuration: create a new configuration with `DataCaptureConfig` (`EnableCapture` true, a `DestinationS3Uri`, `CaptureOptions` Input and Output, an `InitialSamplingPercentage`, a `KmsKeyId`) and move the endpoint to it with `UpdateEndpoint`. Periods already served without capture stay on record; a `not-evidenced` row needs the configuration's `CreateEndpointConfig` event in the loaded CloudTrail.", "links": ["https://docs.aws.amazon.com/sagemaker/latest/dg/model-monitor-data-capture-endpoint.html", "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_DataCaptureConfig.html"]}
MATCH (e:Endpoint)-[u:USES_CONFIG]->(c:EndpointConfig)
WITH e, u, c,
     CASE WHEN c.defined = true AND c.data_capture_uri IS NULL THEN 'off'
          WHEN c.defined = true THEN 'on'
          ELSE 'not-evidenced' END AS data_capture
WHERE data_capture <> 'on'
RETURN e.arn AS endpoint, e.account_id AS account, e.region AS region, c.arn AS config, data_capture,
       u.since AS since, u.until AS until
ORDER BY endpoint, since, config
