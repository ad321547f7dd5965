// Which configuration loadKubeConfig() picks: an explicit file, else the Pod's service account,
// else $KUBECONFIG (or ~/.kube/config).
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { loadKubeConfig } from '../../src/kube/namespaces.ts'

const kubeconfigYaml = (server: string) => `apiVersion: v1
kind: Config
clusters: [{ name: c, cluster: { server: '${server}' } }]
users: [{ name: u, user: { token: t } }]
contexts: [{ name: x, context: { cluster: c, user: u } }]
current-context: x
`

async function kubeconfigFile(t: Test, server: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-kubeconfig-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'config')
  await writeFile(file, kubeconfigYaml(server))
  return file
}

// This file runs in its own process; each test puts the environment back as it found it.
function setEnv(t: Test, values: Record<string, string | undefined>): void {
  const saved = Object.fromEntries(Object.keys(values).map((key) => [key, process.env[key]]))
  const apply = (entries: Record<string, string | undefined>) => {
    for (const [key, value] of Object.entries(entries)) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
  }
  apply(values)
  t.teardown(() => apply(saved))
}

const inPod = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }
const server = (options: { kubeconfig?: string }) =>
  loadKubeConfig(options).getCurrentCluster()?.server

t.test('an explicit kubeconfig file', async (t) => {
  setEnv(t, { KUBERNETES_SERVICE_HOST: undefined })
  t.equal(
    server({ kubeconfig: await kubeconfigFile(t, 'https://a.example:6443') }),
    'https://a.example:6443',
  )
})

t.test("in a Pod, the service account's in-cluster configuration", async (t) => {
  setEnv(t, inPod)
  const kubeConfig = loadKubeConfig({})
  t.equal(kubeConfig.getCurrentCluster()?.server, 'https://10.96.0.1:443')
  t.equal(
    kubeConfig.getCurrentCluster()?.caFile,
    '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
  )
})

t.test('in a Pod, an explicit kubeconfig file still wins', async (t) => {
  setEnv(t, inPod)
  t.equal(server({ kubeconfig: await kubeconfigFile(t, 'https://b.example') }), 'https://b.example')
})

t.test('outside a Pod and without a flag, $KUBECONFIG', async (t) => {
  const file = await kubeconfigFile(t, 'https://c.example')
  setEnv(t, { KUBERNETES_SERVICE_HOST: undefined, KUBECONFIG: file })
  t.equal(server({}), 'https://c.example')
})
