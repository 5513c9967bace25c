// id: models-without-approved-package
// title: Served models not from an approved model package
// description: Models served by an endpoint's current configuration that come from a model-registry package whose approval status in force is not Approved, or from no package at all. Of the Approved, Rejected and PendingManualApproval settings seen (CreateModelPackage, UpdateModelPackage), the one seen last is in force (on a tie, the stricter). `package_status` is `rejected`, `pending` (also a package whose CreateModelPackage set no status: it starts PendingManualApproval), `none` (the model loads an artifact directly) or `not-evidenced` (the package is only referenced: neither its creation nor a status change was seen). A package belongs to the account in its ARN (`package_account`), whoever references it: a model deployed from another account's package is a cross-account use of that package's group. One row per endpoint, model and package.
// severity: high
// controls: ["iso-42001:A.6.2.5", "soc2:CC8.1", "eu-ai-act:Art.12(2)(a)", "nist-ai-rmf:MANAGE 4.1"]
// params: {}
// evidence: ["cloudtrail-management", "sagemaker-events"]
// remediation: {"text": "Serve only approved model packages: register each model version in a SageMaker Model Registry model package group, have a reviewer set `ModelApprovalStatus` to `Approved` (`UpdateModelPackage`) after evaluation, and deploy endpoints from the approved package (`ModelPackageName` in `CreateModel`), replacing models that load an artifact directly or come from a rejected or pending package.", "links": ["https://docs.aws.amazon.com/sagemaker/latest/dg/model-registry-approve.html", "https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_UpdateModelPackage.html"]}
MATCH (e:Endpoint)-[:USES_CONFIG {current: true}]->(:EndpointConfig)-[:SERVES]->(m:Model)
OPTIONAL MATCH (m)-[:FROM_PACKAGE]->(pkg:ModelPackage)
OPTIONAL MATCH (pkg)<-[s:APPROVED|REJECTED|PENDING_APPROVAL]-()
WITH e, m, pkg, s
ORDER BY s.last_seen DESC, CASE type(s) WHEN 'REJECTED' THEN 0 WHEN 'PENDING_APPROVAL' THEN 1 ELSE 2 END
WITH e, m, pkg, collect(type(s))[0] AS last_status
WITH e, m, pkg,
     CASE WHEN pkg IS NULL THEN 'none'
          WHEN last_status = 'APPROVED' THEN 'approved'
          WHEN last_status = 'REJECTED' THEN 'rejected'
          WHEN last_status = 'PENDING_APPROVAL' THEN 'pending'
          WHEN pkg.defined = true THEN 'pending'
          ELSE 'not-evidenced' END AS package_status
WHERE package_status <> 'approved'
RETURN e.arn AS endpoint, m.arn AS model, m.account_id AS account, pkg.arn AS package,
       pkg.account_id AS package_account, package_status
ORDER BY endpoint, model, package
