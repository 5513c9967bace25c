// Reads a JSON array of cases on stdin, answers each with @cloud-copilot/iam-simulate in this one
// process, and writes a JSON array of overall results ('Allowed', 'ExplicitlyDenied',
// 'ImplicitlyDenied', or 'error: ...') on stdout. Used by tests/test_policy_oracle.py.
import { readFileSync } from 'node:fs'
import { runSimulation } from '@cloud-copilot/iam-simulate'

const cases = JSON.parse(readFileSync(0, 'utf8'))
const results = []
for (const c of cases) {
  const simulation = {
    identityPolicies: [{ name: 'policy', policy: c.policy }],
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(c.resourcePolicy ? { resourcePolicy: c.resourcePolicy } : {}),
    request: {
      action: c.action,
      principal: c.principal,
      resource: { resource: c.resource, accountId: c.account },
      contextVariables: {}
    }
  }
  const response = await runSimulation(simulation, {})
  results.push(response.resultType === 'error'
    ? 'error: ' + JSON.stringify(response.errors).slice(0, 300)
    : response.overallResult)
}
process.stdout.write(JSON.stringify(results))
