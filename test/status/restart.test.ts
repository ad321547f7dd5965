// Restarts are paced: one owner at a time, the interval between two of them, never before the
// first; each is the PATCH kubectl rollout restart sends.
import t from 'tap'
import { restClient } from '../../src/kube/rest.ts'
import type { Report } from '../../src/status/report.ts'
import { RESTARTED_AT, restartOwners, restartPatch, restartPlan } from '../../src/status/restart.ts'
import { fakeApiServerFor } from '../helpers/fake-apiserver.ts'

const counts = (outdated: number) => ({ current: 0, outdated, missing: 0, 'out-of-scope': 0 })

function report(owners: [string, string, number][]): Report {
  return {
    counts: counts(owners.length),
    owners: owners.map(([kind, name, outdated]) => ({
      namespace: 'shop',
      owner: { kind, name },
      counts: counts(outdated),
      pods: [],
    })),
  }
}

t.test('the plan: owners with something to renew; those without a rollout said so', async (t) => {
  const plan = restartPlan(
    report([
      ['Deployment', 'web', 1],
      ['Deployment', 'fine', 0],
      ['Job', 'once', 1],
      ['DaemonSet', 'agent', 2],
    ]),
  )
  t.same(plan, [
    { namespace: 'shop', owner: { kind: 'Deployment', name: 'web' } },
    {
      namespace: 'shop',
      owner: { kind: 'Job', name: 'once' },
      cannot: 'a Job has no rollout; delete its Pods to renew them',
    },
    { namespace: 'shop', owner: { kind: 'DaemonSet', name: 'agent' } },
  ])
})

t.test('an owner whose Pods only lack what their template claims is not restarted', async (t) => {
  const unheld = { sidecar: 'metrics', why: 'container patterns-metrics is missing' }
  const pod = {
    name: 'web-1',
    state: 'missing' as const,
    injected: ['metrics'],
    outdated: [],
    missing: [],
    unheld: [unheld],
  }
  const owner = { namespace: 'shop', owner: { kind: 'Deployment', name: 'web' } }
  const plan = restartPlan({
    counts: { current: 0, outdated: 0, missing: 1, 'out-of-scope': 0 },
    owners: [
      { ...owner, counts: { current: 0, outdated: 0, missing: 1, 'out-of-scope': 0 }, pods: [pod] },
    ],
  })
  t.same(plan, [
    {
      ...owner,
      cannot:
        'its Pods lack sidecars their template claims (patterns/injected): remove the claim there',
    },
  ])
})

t.test('the body: restartedAt in RFC 3339, as time.RFC3339 formats it', async (t) => {
  t.same(restartPatch(new Date('2026-12-07T09:40:05.123Z')), {
    spec: { template: { metadata: { annotations: { [RESTARTED_AT]: '2026-12-07T09:40:05Z' } } } },
  })
})

t.test('one at a time, the interval between two restarts', async (t) => {
  const api = await fakeApiServerFor(t)
  for (const name of ['a', 'b', 'c']) api.create('deployments', 'shop', name, { spec: {} })
  const rest = restClient(api.kubeConfig(), AbortSignal.timeout(60_000))
  const plan = restartPlan(
    report([
      ['Deployment', 'a', 1],
      ['Deployment', 'b', 1],
      ['Deployment', 'c', 1],
    ]),
  )
  const patchesBeforeEachWait: number[] = []
  const waits: number[] = []
  const done: string[] = []
  const restarted = await restartOwners(rest, plan, {
    intervalMs: 30_000,
    signal: AbortSignal.timeout(60_000),
    now: () => new Date('2026-12-07T10:00:00Z'),
    wait: async (ms) => {
      waits.push(ms)
      patchesBeforeEachWait.push(api.requests().filter((r) => r.method === 'PATCH').length)
    },
    onDone: (r, result) => done.push(`${r.owner.name}:${result.ok}`),
  })
  t.equal(restarted, 3)
  t.same(waits, [30_000, 30_000], 'between restarts, not before the first')
  t.same(patchesBeforeEachWait, [1, 2], 'each wait after one PATCH and before the next')
  t.same(done, ['a:true', 'b:true', 'c:true'])
  t.match(api.get('deployments', 'shop', 'b')?.spec, {
    template: { metadata: { annotations: { [RESTARTED_AT]: '2026-12-07T10:00:00Z' } } },
  })
})

t.test('a missing owner is reported and the others go on', async (t) => {
  const api = await fakeApiServerFor(t)
  api.create('deployments', 'shop', 'b', { spec: {} })
  const rest = restClient(api.kubeConfig(), AbortSignal.timeout(60_000))
  const plan = restartPlan(
    report([
      ['Deployment', 'a', 1],
      ['Deployment', 'b', 1],
    ]),
  )
  const done: string[] = []
  const restarted = await restartOwners(rest, plan, {
    intervalMs: 0,
    signal: AbortSignal.timeout(60_000),
    onDone: (r, result) => done.push(`${r.owner.name}:${result.ok ? 'ok' : result.error}`),
  })
  t.equal(restarted, 1)
  t.same(done, ['a:not found', 'b:ok'])
})
