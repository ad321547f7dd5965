// `status` as a report: Pods grouped by namespace and owner, counted by state, in text for people
// and JSON for tools, and the exit code CI and alerts act on.
import { INJECTED } from '../injection/annotations.ts'
import type { Outdated, PodState, PodStatus } from './classify.ts'
import type { Owner } from './owners.ts'

export type Counts = Record<PodState, number>

export interface PodEntry extends PodStatus {
  name: string
}

export interface OwnerEntry {
  namespace: string
  owner: Owner
  counts: Counts
  /** Its Pods in scope; those out of scope are only counted. */
  pods: PodEntry[]
}

export interface Report {
  counts: Counts
  /** Owners with at least one Pod in scope, by namespace, then kind and name. */
  owners: OwnerEntry[]
}

/** Exit codes: every Pod in scope current; some outdated (none missing); some missing. */
export const EXIT = { current: 0, outdated: 3, missing: 4 } as const

const zero = (): Counts => ({ current: 0, outdated: 0, missing: 0, 'out-of-scope': 0 })

/** Groups classified Pods by namespace and owner. */
export function buildReport(
  pods: readonly { namespace: string; owner: Owner; pod: PodEntry }[],
): Report {
  const counts = zero()
  const owners = new Map<string, OwnerEntry>()
  for (const { namespace, owner, pod } of pods) {
    counts[pod.state] += 1
    const key = `${namespace}\u0000${owner.kind}\u0000${owner.name}`
    const entry = owners.get(key) ?? { namespace, owner, counts: zero(), pods: [] }
    entry.counts[pod.state] += 1
    if (pod.state !== 'out-of-scope') entry.pods.push(pod)
    owners.set(key, entry)
  }
  const inScope = [...owners.values()].filter((o) => o.pods.length > 0)
  inScope.sort((a, b) => compare(ownerKey(a), ownerKey(b)))
  for (const o of inScope) o.pods.sort((a, b) => compare(a.name, b.name))
  return { counts, owners: inScope }
}

const ownerKey = (o: OwnerEntry) => `${o.namespace}/${o.owner.kind}/${o.owner.name}`
const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** The exit code for `report` (EXIT). */
export function exitCode(report: Report): number {
  if (report.counts.missing > 0) return EXIT.missing
  return report.counts.outdated > 0 ? EXIT.outdated : EXIT.current
}

/** A table of owners, each Pod that is not current under its owner, then the totals. */
export function reportText(report: Report): string {
  const rows = report.owners.map((o) => [
    o.namespace,
    `${o.owner.kind}/${o.owner.name}`,
    String(o.counts.current),
    String(o.counts.outdated),
    String(o.counts.missing),
  ])
  const header = ['NAMESPACE', 'OWNER', 'CURRENT', 'OUTDATED', 'MISSING']
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)))
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  const body = report.owners.flatMap((o, i) => [
    line(rows[i] ?? []),
    ...o.pods.filter((p) => p.state !== 'current').map((p) => `  ${p.name}  ${podLine(p)}`),
  ])
  const { current, outdated, missing } = report.counts
  const inScope = current + outdated + missing
  const totals = `${inScope} Pods in scope: ${current} current, ${outdated} outdated, ${missing} missing; ${report.counts['out-of-scope']} out of scope`
  return [...(body.length ? [line(header), ...body] : []), totals].join('\n')
}

function podLine(pod: PodEntry): string {
  const parts = [
    ...(pod.missing.length ? [`missing ${pod.missing.join(', ')}`] : []),
    ...pod.unheld.map(
      ({ sidecar, why }) =>
        `claims ${sidecar} without holding it (${why}): remove it from the Pod template's ${INJECTED}`,
    ),
    ...(pod.outdated.length ? [`outdated ${pod.outdated.map(outdatedText).join(', ')}`] : []),
    ...(pod.refused ? [`would be refused today: ${pod.refused}`] : []),
  ]
  return parts.join('; ')
}

function outdatedText({ sidecar, recorded, today }: Outdated): string {
  const now = typeof today === 'string' ? `today ${today}` : today.none
  return `${sidecar} (recorded ${recorded ?? 'none'}, ${now})`
}
