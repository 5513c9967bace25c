// id: bedrock-invocations-without-logging
// title: Bedrock models invoked while invocation logging was not known to be on
// description: Per calling account, Region, model and inference profile, the Bedrock calls CloudTrail saw in hours when no model-invocation logging configuration delivering that model's modality was in force, judged at the time of the call, not by today's configuration. Calls are judged by UTC hour (`invoked_hours`): an hour in which an invocation log record of that principal and model was loaded is logged (the record is itself evidence); otherwise the configuration in force is the last PutModelInvocationLoggingConfiguration or DeleteModelInvocationLoggingConfiguration of that account and Region before the hour, and an hour in which the configuration changed counts as logged only if it was on before and every change in it kept the modality delivered. A model invoked through an inference profile is judged as the foundation model behind the profile (`model`), and the profile is shown (`profile`); a foundation model's `modality` (text, image, embedding, video, audio) names the delivery flag it needs, other models are judged on text. `logging` is the state in the last such hour: `off` (deleted), `no-<modality>-delivery` (on, without that modality's data), `changed-in-hour`, or `not-evidenced` (no configuration event before it: a configuration set before the loaded log window is invisible to logs); `logging_off_at` is when it was last turned off before then. `unlogged_hours`, `first_unlogged` and `last_unlogged` count and bound those hours. `invocations` counts the calls CloudTrail saw in them: exact (`invocations_exact`) when every hour of each principal-model pair concerned was unlogged; otherwise calls are kept per pair, not per hour, so a pair with logged hours too adds one call per unlogged hour and the number is a lower bound.
// severity: high
// controls: ["eu-ai-act:Art.12(1)", "eu-ai-act:Art.19", "iso-42001:A.6.2.8", "nist-ai-rmf:MEASURE 2.4"]
// params: {}
// evidence: ["cloudtrail-management"]
// remediation: {"text": "Turn on Bedrock model invocation logging in every account and Region where models are invoked (Bedrock console, Settings, Model invocation logging; or `PutModelInvocationLoggingConfiguration`) with an S3 or CloudWatch Logs destination and the data delivery of each modality invoked (`textDataDeliveryEnabled`, `imageDataDeliveryEnabled`, `embeddingDataDeliveryEnabled`, `videoDataDeliveryEnabled`), and alarm on `DeleteModelInvocationLoggingConfiguration`. Calls already made without logging stay on record; a `not-evidenced` row needs CloudTrail from before the calls, when the configuration was set.", "links": ["https://docs.aws.amazon.com/bedrock/latest/userguide/model-invocation-logging.html", "https://docs.aws.amazon.com/bedrock/latest/APIReference/API_PutModelInvocationLoggingConfiguration.html"]}
MATCH (p:AWSPrincipal)-[i:INVOKED]->(m:BedrockModel)
OPTIONAL MATCH (m)-[:ROUTES_TO*1..2]->(f:BedrockModel {kind: 'foundation-model'})
WITH p, i, m, collect(f)[0] AS f
WITH p.account_id AS account, m.region AS region, coalesce(f, m) AS judged,
     CASE WHEN f IS NOT NULL OR m.kind IN ['inference-profile', 'application-inference-profile']
          THEN m.arn END AS profile, i
WITH account, region, judged.arn AS model, profile, coalesce(judged.modality, 'text') AS modality, i
WITH account, region, model, profile, modality, i,
     COLLECT { MATCH (:BedrockLoggingConfig {id: account + '/' + region})<-[e:ENABLED_LOGGING]-()
               UNWIND coalesce(e.put_at, []) AS t RETURN t } AS puts,
     COLLECT { MATCH (:BedrockLoggingConfig {id: account + '/' + region})<-[e:ENABLED_LOGGING]-()
               UNWIND coalesce(e[modality + '_at'], []) AS t RETURN t } AS delivering,
     COLLECT { MATCH (:BedrockLoggingConfig {id: account + '/' + region})<-[d:DISABLED_LOGGING]-()
               UNWIND coalesce(d.deleted_at, []) AS t RETURN t } AS deletes
UNWIND [h IN coalesce(i.invoked_hours, []) WHERE NOT h IN coalesce(i.logged_hours, [])] AS hour
WITH account, region, model, profile, modality, i, hour, deletes, delivering,
     [t IN puts + deletes WHERE t STARTS WITH hour] AS within,
     reduce(last = null, t IN puts + deletes |
            CASE WHEN t < hour AND (last IS NULL OR t > last) THEN t ELSE last END) AS last
WITH account, region, model, profile, i, hour,
     CASE WHEN last IS NOT NULL AND NOT last IN deletes AND last IN delivering
               AND all(t IN within WHERE t IN delivering AND NOT t IN deletes) THEN 'on'
          WHEN size(within) > 0 THEN 'changed-in-hour'
          WHEN last IS NULL THEN 'not-evidenced'
          WHEN last IN deletes THEN 'off'
          ELSE 'no-' + modality + '-delivery' END AS logging,
     reduce(off = null, t IN deletes |
            CASE WHEN (t < hour OR t STARTS WITH hour) AND (off IS NULL OR t > off) THEN t ELSE off END) AS off_at
WHERE logging <> 'on'
WITH account, region, model, profile, i, collect([hour, logging, off_at]) AS pair_hours
WITH account, region, model, profile, pair_hours,
     size(pair_hours) = size(coalesce(i.invoked_hours, [])) AS whole,
     CASE WHEN size(pair_hours) = size(coalesce(i.invoked_hours, [])) THEN coalesce(i.count, 0)
          ELSE size(pair_hours) END AS calls
WITH account, region, model, profile, sum(calls) AS invocations, min(CASE WHEN whole THEN 1 ELSE 0 END) = 1 AS exact,
     reduce(acc = [], l IN collect(pair_hours) | acc + l) AS all_hours
UNWIND all_hours AS h
WITH DISTINCT account, region, model, profile, invocations, exact, h
ORDER BY h[0]
WITH account, region, model, profile, invocations, exact, collect(h) AS hours
RETURN account, region, model, profile, invocations, exact AS invocations_exact,
       size(hours) AS unlogged_hours, hours[0][0] AS first_unlogged, hours[-1][0] AS last_unlogged,
       hours[-1][1] AS logging, hours[-1][2] AS logging_off_at
ORDER BY account, region, model, profile
