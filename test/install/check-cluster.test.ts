// The version checks, row by row: what a server reports in /version (managed clusters write
// minors such as "29+"), against the install's 1.30 and native sidecars' 1.29 (beta, on by
// default) and 1.33 (GA), with the catalog's mode.
import type { VersionInfo } from '@kubernetes/client-node'
import t from 'tap'
import { checkCluster, minorVersion } from '../../src/install/check-cluster.ts'
import type { InstallFacts } from '../../src/install/facts.ts'

// As GET /version answers (k8s.io/apimachinery pkg/version/types.go Info).
const at = (major: string, minor: string): VersionInfo => ({
  major,
  minor,
  gitVersion: `v${major}.${minor}.0`,
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z',
  goVersion: 'go1.23.8',
  compiler: 'gc',
  platform: 'linux/amd64',
})

t.test('the minor version, as servers write it', async (t) => {
  t.equal(minorVersion(at('1', '32')), 32)
  t.equal(minorVersion(at('1', '29+')), 29, 'GKE and EKS')
  t.equal(minorVersion(at('1', '')), undefined)
  t.equal(minorVersion(at('2', '0')), undefined, 'not a Kubernetes 1.x this code knows')
})

const unread = { error: 'not read in this test' }
const facts = (minor: string): InstallFacts => ({
  server: 'https://example',
  version: { found: at('1', minor) },
  webhookConfiguration: unread,
  service: unread,
  endpointSlices: unread,
  deployment: unread,
  secret: unread,
  catalog: unread,
  admissionPolicy: unread,
  admissionPolicyBinding: unread,
})

t.test('one row per version and mode', async (t) => {
  const rows: [string, 'native' | 'classic', boolean, boolean][] = [
    // minor, catalog mode, kubernetes-version ok, native-sidecars ok
    ['27', 'native', false, false],
    ['28', 'native', false, false],
    ['28', 'classic', false, true],
    ['29', 'native', false, true],
    ['30', 'native', true, true],
    ['33', 'native', true, true],
    ['33', 'classic', true, true],
  ]
  for (const [minor, mode, install, native] of rows) {
    const results = checkCluster(facts(minor), mode)
    t.same(
      results.map((r) => [r.check, r.ok]),
      [
        ['api', true],
        ['kubernetes-version', install],
        ['native-sidecars', native],
      ],
      `1.${minor}, ${mode}`,
    )
  }
  t.match(checkCluster(facts('33'), 'native')[2], { message: /GA since 1\.33/ })
  t.match(checkCluster(facts('31'), 'native')[2], { message: /beta, on by default since 1\.29/ })
})

t.test('an API that does not answer is one failure, with what to check', async (t) => {
  const results = checkCluster(
    { ...facts('32'), version: { error: 'connect ECONNREFUSED' } },
    'native',
  )
  t.match(results, [{ check: 'api', ok: false, message: /does not answer: connect ECONNREFUSED/ }])
  t.equal(results.length, 1)
})
