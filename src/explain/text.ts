// An explanation as people read it: the Pod, its namespace, each webhook entry, the decision, the
// app port, then one line per sidecar of the catalog.
import { describeProblems } from '../injection/problems.ts'
import type { Outdated } from '../status/drift.ts'
import type { DecisionView, Explanation } from './explain.ts'
import type { NamespaceView } from './namespace-view.ts'
import type { AskedBy, Verdict } from './verdicts.ts'

/** The explanation as lines of text, without a trailing newline. */
export function explanationText(explanation: Explanation): string {
  const { webhooks, sidecars, warnings } = explanation
  const sent = webhooks.calledBy.length > 0
  const width = Math.max(...webhooks.entries.map((e) => e.name.length), 0)
  const nameWidth = Math.max(...sidecars.map((s) => s.name.length), 0)
  return [
    explanation.subject,
    `namespace ${namespaceLine(explanation.namespace)}`,
    `webhook entries (from ${webhooks.from}):`,
    ...webhooks.entries.map(
      (e) =>
        `  ${e.name.padEnd(width)}  ${e.called ? `called (failurePolicy ${e.failurePolicy})` : 'not called'}: ${e.because}`,
    ),
    ...(webhooks.entries.length === 0 ? ['  none'] : []),
    ...(sent
      ? []
      : ['no entry is sent this Pod: the API server creates it as it is, without sidecars']),
    `decision${sent ? '' : ' (were the webhook sent the Pod)'}: ${decisionLine(explanation.decision)}`,
    ...(explanation.appPort
      ? [`app port: ${explanation.appPort.port} (${explanation.appPort.from})`]
      : []),
    ...(sidecars.length ? ['sidecars:'] : []),
    ...sidecars.map(
      (s) => `  ${s.name.padEnd(nameWidth)}  ${verdictLine(s, explanation.outdated)}`,
    ),
    ...(warnings.length ? ['warnings:', ...warnings.map((w) => `  ${w}`)] : []),
  ].join('\n')
}

function namespaceLine({ name, source, facts, labels }: NamespaceView): string {
  const where = {
    cluster: 'from the cluster',
    input: 'from the input',
    assumed: 'not in the input: assumed to have no labels but its name and no annotations',
  }[source]
  if (labels === null) return `${name} (${where}): does not exist`
  const labelList = Object.entries(labels ?? {}).map(([k, v]) => `${k}=${v}`)
  const sidecar = facts?.annotations['patterns/sidecar']
  const parts = [
    `labels ${labelList.join(', ') || 'none'}`,
    ...(sidecar === undefined ? [] : [`patterns/sidecar: ${sidecar}`]),
  ]
  return `${name} (${where}): ${parts.join('; ')}`
}

function decisionLine(decision: DecisionView): string {
  switch (decision.action) {
    case 'inject': {
      const completes = decision.completes?.length
        ? `complete the app mounts: ${decision.completes.join(', ')}`
        : ''
      if (decision.sidecars.length === 0) return completes
      return `inject ${decision.sidecars.join(', ')}${completes && `; ${completes}`}`
    }
    case 'skip':
      return `skip (${decision.reason})`
    case 'deny':
      return `deny: ${describeProblems(decision.problems)}`
    case 'invalid':
      return `deny: not a Pod: ${decision.error}`
  }
}

const VERDICTS: Record<Verdict['verdict'], string> = {
  injected: 'injected',
  'already-injected': 'already injected (patterns/injected lists it)',
  'not-applicable': 'left out: it cannot apply to this Pod (see the warnings)',
  'opted-out': 'not injected: the Pod opts out (patterns/inject: "false")',
  denied: 'not injected: the Pod is denied',
  'not-sent': 'not injected: no webhook entry is sent the Pod',
  'not-asked': 'not asked for',
}

function verdictLine({ name, verdict, askedBy, revision }: Verdict, outdated: readonly Outdated[]) {
  const drift = outdated.find((o) => o.sidecar === name)
  const text = [
    VERDICTS[verdict],
    ...(revision ? [`revision ${revision}`] : []),
    ...(drift ? [`outdated: ${driftText(drift)}`] : []),
  ].join(', ')
  return askedBy.length ? `${text}; asked for by ${askedBy.map(asker).join(', ')}` : text
}

function driftText({ recorded, today }: Outdated): string {
  const now = typeof today === 'string' ? `today's catalog renders ${today}` : today.none
  return `recorded revision ${recorded ?? 'none'}, ${now}`
}

function asker(asked: AskedBy): string {
  switch (asked.by) {
    case 'pod':
      return 'the Pod (patterns/sidecar)'
    case 'namespace':
      return `the default of namespace ${asked.namespace} (its patterns/sidecar)`
    case 'policy':
      return `policy ${asked.policy} (required; notApplicable: ${asked.notApplicable})`
  }
}
