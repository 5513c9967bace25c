// id: shadow-ai
// title: Bedrock models used from outside the known estate or off the allow-list
// description: Bedrock models (foundation, custom, provisioned, imported, inference profiles) invoked by principals of accounts outside the known estate (`reason` `account-outside-estate`), and foundation models invoked whose model id starts with none of the allowed ids or prefixes (`model-not-allowed`, only when `allowed_models` is given). The known estate is `known_accounts` when given; otherwise it is every account in which a principal of that same account created an AI resource (a CreateTrainingJob, CreateModel, CreateEndpoint, CreateModelCustomizationJob, CreateModelPackage... seen in its own trail), so an account that only invokes models, or only through another account's resources, is outside it. A principal of no known account (an AWS service) is never outside. A call through an inference profile is judged as the foundation model behind it (a system profile `us.anthropic...` invokes `anthropic...`; an application profile the model or system profile it copies, CreateInferenceProfile `modelSource.copyFrom`): `model` is that model and `profile` the profile called; an application profile whose source was never seen is `profile-model-not-evidenced` when an allow-list is given. One row per principal, model, profile and reason; `invocations` counts the calls CloudTrail saw.
// severity: high
// controls: ["nist-ai-rmf:GOVERN 1.6", "nist-ai-rmf:GOVERN 6.1", "soc2:CC7.2", "iso-42001:A.10.3"]
// params: {"known_accounts": {"type": "string", "required": false, "description": "comma-separated 12-digit account ids of the known estate (default: the accounts that created their own AI resources)"}, "allowed_models": {"type": "string", "required": false, "description": "comma-separated foundation model ids or id prefixes allowed (e.g. anthropic.,amazon.titan-embed); default: no allow-list check"}}
// evidence: ["cloudtrail-management"]
// remediation: {"text": "Find out whose each listed account is: if not yours, remove what lets it invoke (the role it assumed, or a provisioned or custom model shared with it); if yours, name it in `known_accounts`. Stop models off the allow-list with an IAM policy, or a service control policy for the organization, that denies `bedrock:InvokeModel` and `bedrock:InvokeModelWithResponseStream` on the foundation models not allowed.", "links": ["https://docs.aws.amazon.com/bedrock/latest/userguide/security_iam_id-based-policy-examples.html", "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings.html"]}
WITH [a IN split(coalesce($known_accounts, ''), ',') WHERE trim(a) <> '' | trim(a)] AS given,
     [x IN split(coalesce($allowed_models, ''), ',') WHERE trim(x) <> '' | trim(x)] AS allowed
OPTIONAL MATCH (c:AWSPrincipal)-[:CREATED]->(r)
WHERE r.account_id IS NOT NULL AND r.account_id = c.account_id
WITH given, allowed, collect(DISTINCT r.account_id) AS owners
WITH allowed, CASE WHEN size(given) > 0 THEN given ELSE owners END AS estate
MATCH (p:AWSPrincipal)-[i:INVOKED]->(m:BedrockModel)
OPTIONAL MATCH (m)-[:ROUTES_TO*1..2]->(f:BedrockModel {kind: 'foundation-model'})
WITH estate, allowed, p, i, m, collect(f)[0] AS f
WITH estate, allowed, p, i, coalesce(f, m) AS judged,
     CASE WHEN f IS NOT NULL OR m.kind IN ['inference-profile', 'application-inference-profile']
          THEN m.arn END AS profile,
     f IS NULL AND m.kind IN ['inference-profile', 'application-inference-profile'] AS unresolved
WITH p, i, judged, profile, [reason IN [
       CASE WHEN p.account_id IS NOT NULL AND NOT p.account_id IN estate THEN 'account-outside-estate' END,
       CASE WHEN size(allowed) > 0 AND judged.kind = 'foundation-model' AND judged.model_id IS NOT NULL
                 AND none(x IN allowed WHERE judged.model_id STARTS WITH x) THEN 'model-not-allowed' END,
       CASE WHEN size(allowed) > 0 AND unresolved THEN 'profile-model-not-evidenced' END
     ] WHERE reason IS NOT NULL] AS reasons
UNWIND reasons AS reason
RETURN p.account_id AS account, p.arn AS principal, judged.arn AS model, profile, judged.kind AS kind,
       i.count AS invocations, reason
ORDER BY account, principal, model, profile, reason
