// Differential-test driver: reads authorization requests in pipewarden's JSON form (one per line on
// stdin), runs each through @cloud-copilot/iam-simulate (resolved from NODE_PATH / the working folder)
// and prints one JSON line per request: {"decision": "Allowed|ExplicitDeny|ImplicitDeny"} or {"error": ...}.
import { createRequire } from 'node:module'
import { createInterface } from 'node:readline'
import { join } from 'node:path'

const require = createRequire(join(process.env.ORACLE_HOME || process.cwd(), 'noop.js'))
const { runSimulation } = require('@cloud-copilot/iam-simulate')

const OUTCOMES = { Allowed: 'Allowed', ExplicitlyDenied: 'ExplicitDeny', ImplicitlyDenied: 'ImplicitDeny' }

function named(documents, prefix) {
  return (documents || []).map((policy, index) => ({ name: `${prefix}${index}`, policy }))
}

function levels(value, prefix) {
  if (value === null || value === undefined) return []
  return value.map((level, index) => ({ orgIdentifier: `${prefix}-${index}`, policies: named(level, `${prefix}${index}-`) }))
}

function toSimulation(request) {
  const simulation = {
    request: {
      principal: request.principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resource_account },
      contextVariables: request.context || {}
    },
    identityPolicies: named(request.identity_policies, 'identity'),
    serviceControlPolicies: levels(request.scps, 'scp'),
    resourceControlPolicies: levels(request.rcps, 'rcp')
  }
  if (request.resource_policy) simulation.resourcePolicy = request.resource_policy
  if (request.permissions_boundary) {
    simulation.permissionBoundaryPolicies = [{ name: 'boundary', policy: request.permissions_boundary }]
  }
  if (request.session_policy) simulation.sessionPolicy = request.session_policy
  return simulation
}

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity })
let busy = 0n
let count = 0
const cpuStart = process.cpuUsage()
for await (const line of lines) {
  if (!line.trim()) continue
  let out
  const started = process.hrtime.bigint()
  try {
    const response = await runSimulation(toSimulation(JSON.parse(line)), {})
    if (response.resultType === 'error') {
      out = { error: JSON.stringify(response.errors).slice(0, 500) }
    } else {
      out = { decision: OUTCOMES[response.overallResult] || response.overallResult }
    }
  } catch (exc) {
    out = { error: String(exc && exc.message ? exc.message : exc).slice(0, 500) }
  }
  busy += process.hrtime.bigint() - started
  count += 1
  process.stdout.write(JSON.stringify(out) + '\n')
}
if (process.env.ORACLE_TIMING === '1') {
  // Time spent parsing and simulating requests, excluding start-up and I/O waits.
  const cpu = process.cpuUsage(cpuStart)
  process.stderr.write(
    JSON.stringify({ requests: count, seconds: Number(busy) / 1e9, cpu_seconds: (cpu.user + cpu.system) / 1e6 }) + '\n'
  )
}
