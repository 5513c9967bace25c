// id: endpoints-without-data-capture
// title: Endpoints whose current configuration captures no data
// description: SageMaker endpoints whose current configuration (the one set last) has no data capture: its CreateEndpointConfig was seen and named no `DataCaptureConfig` destination (`data_capture` `off`), or the configuration was never seen defined, so its settings are unknown (`not-evidenced`; a describe pull or the CreateEndpointConfig event settles it).
// severity: medium
// controls: ["eu-ai-act:Art.12(2)(b)", "eu-ai-act:Art.12(2)(c)", "nist-ai-rmf:MEASURE 2.4", "iso-42001:A.6.2.6"]
// params: {}
// evidence: ["cloudtrail-management", "sagemaker-events"]
MATCH (e:Endpoint)-[:USES_CONFIG {current: true}]->(c:EndpointConfig)
WITH e, c,
     CASE WHEN c.defined = true AND c.data_capture_uri IS NULL THEN 'off'
          WHEN c.defined = true THEN 'on'
          ELSE 'not-evidenced' END AS data_capture
WHERE data_capture <> 'on'
RETURN e.arn AS endpoint, e.account_id AS account, e.region AS region, c.arn AS config, data_capture
ORDER BY endpoint
