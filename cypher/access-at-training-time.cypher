// id: access-at-training-time
// title: Who could read a job's training data when it ran
// description: For one training or customization job, each principal that could read each of its input datasets at the job's start (`as_of`), under the policies in force then, directly or by assuming roles (up to three steps). `access` is potential, observed (a successful call, e.g. the role's GetObject or kms:Decrypt, settles it when the known policies were the same then), conditional (a condition could not be settled), or unknown when the policies of that time are only known from later evidence (a snapshot, or a change seen after the job) or a bucket, key or trust policy was never seen (`via`: `unknown:<kind>-policy:<subject>`) — never granted by guess, never denied for want of evidence.
// severity: high
// controls: ["eu-ai-act:Art.10(5)(c)", "eu-ai-act:Art.12(2)(a)", "iso-42001:A.7.3", "soc2:CC6.1"]
// params: {"job": {"type": "job", "required": true, "description": "the training or customization job's ARN or name"}}
// evidence: ["cloudtrail-management", "iam-policies"]
// remediation: {"text": "Narrow who can read a job's input data to its execution role and the people who prepare the data: remove the identity-policy, bucket-policy, key-policy or role trust statements that give each listed principal `s3:GetObject` or `kms:Decrypt` on the dataset, and check with IAM Access Analyzer that no other account still reaches it. This protects later jobs; for a job already run, keep the list with its training record. A row with access `unknown` needs the missing policy first (`graphgov pull iam`).", "links": ["https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-best-practices.html", "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-findings.html"]}
MATCH (j)-[e:INPUT_READABLE_BY]->(p:AWSPrincipal)
WHERE (j:TrainingJob OR j:CustomizationJob) AND j.arn = $job
UNWIND range(0, size(e.datasets) - 1) AS i
RETURN j.arn AS job, e.as_of AS as_of, e.datasets[i] AS dataset, p.arn AS principal, p.account_id AS account,
       e.accesses[i] AS access, split(e.vias[i], '\n') AS via
ORDER BY dataset, principal
