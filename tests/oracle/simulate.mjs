// Reads a JSON array of cases on stdin, answers each with @cloud-copilot/iam-simulate in this one
// process, and writes a JSON array of overall results ('Allowed', 'ExplicitlyDenied',
// 'ImplicitlyDenied', or 'error: ...') on stdout.
//
// Two case forms:
// - {policy, action, resource, principal, account, resourcePolicy?}: one identity policy
//   (tests/test_policy_oracle.py);
// - {simulation: <iam-simulate Simulation>}: passed as is, except that the principal "*" stands for
//   an anonymous (unsigned) request (tests/test_effective_oracle.py).
import { readFileSync } from 'node:fs'
import { anonymousPrincipal, runSimulation } from '@cloud-copilot/iam-simulate'

function simulationOf(c) {
  if (c.simulation) {
    const s = c.simulation
    const principal = s.request.principal === '*' ? anonymousPrincipal : s.request.principal
    return { ...s, request: { ...s.request, principal } }
  }
  return {
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
}

const cases = JSON.parse(readFileSync(0, 'utf8'))
const results = []
for (const c of cases) {
  const response = await runSimulation(simulationOf(c), {})
  results.push(response.resultType === 'error'
    ? 'error: ' + JSON.stringify(response.errors).slice(0, 300)
    : response.overallResult)
}
process.stdout.write(JSON.stringify(results))
