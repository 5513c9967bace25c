// id: bedrock-invocations-without-logging
// title: Bedrock models invoked where invocation logging is not known to be on
// description: Per calling account, Region and model, Bedrock invocations seen in CloudTrail where no model-invocation logging configuration is known to be in force and no invocation log record of that account, Region and model was loaded (a loaded log record is itself evidence that logging is on). `logging` is `off` when the last configuration event seen deleted it, `not-evidenced` when no configuration event was seen: a configuration set before the loaded log window is invisible to logs (a configuration snapshot will settle those).
// severity: high
// controls: ["eu-ai-act:Art.12(1)", "eu-ai-act:Art.19", "iso-42001:A.6.2.8", "nist-ai-rmf:MEASURE 2.4"]
// params: {}
// evidence: ["cloudtrail-management"]
MATCH (p:AWSPrincipal)-[i:INVOKED]->(m:BedrockModel)
WITH p.account_id AS account, m.region AS region, m.arn AS model, sum(i.count) AS invocations,
     sum(coalesce(i.logged_count, 0)) AS logged
WHERE logged = 0
OPTIONAL MATCH (cfg:BedrockLoggingConfig {id: account + '/' + region})
OPTIONAL MATCH (cfg)<-[en:ENABLED_LOGGING]-()
WITH account, region, model, invocations, cfg, max(en.last_seen) AS enabled_at
OPTIONAL MATCH (cfg)<-[dis:DISABLED_LOGGING]-()
WITH account, region, model, invocations, enabled_at, max(dis.last_seen) AS disabled_at
WITH account, region, model, invocations,
     CASE WHEN enabled_at IS NOT NULL AND (disabled_at IS NULL OR enabled_at > disabled_at) THEN 'on'
          WHEN disabled_at IS NOT NULL THEN 'off'
          ELSE 'not-evidenced' END AS logging
WHERE logging <> 'on'
RETURN account, region, model, invocations, logging
ORDER BY account, region, model
