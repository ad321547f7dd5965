// The catalog is reloaded without a restart (README, "The catalog"): an edit to it must reach the
// running Pods as a change to the same ConfigMap, not as a new ConfigMap and a new Pod template
// (a rollout), which kustomize's hashed generator names would make of it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import t from 'tap'
import { renderManifests } from '../helpers/apiserver/cluster.ts'
import { ROOT } from '../helpers/cli.ts'

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are walked as plain JSON
type Obj = any

const one = (objects: Obj[], kind: string): Obj => {
  const found = objects.filter((o) => o.kind === kind)
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`)
  return found[0]
}

// An operator's overlay that replaces the catalog, as README "The catalog" invites.
async function overlayWithCatalog(base: string, catalog: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-overlay-'))
  await writeFile(join(dir, 'catalog.yaml'), catalog)
  await writeFile(
    join(dir, 'kustomization.yaml'),
    [
      'apiVersion: kustomize.config.k8s.io/v1beta1',
      'kind: Kustomization',
      'resources:',
      `  - ${relative(dir, join(ROOT, base))}`,
      'configMapGenerator:',
      '  - name: sidecar-patterns-catalog',
      '    namespace: sidecar-patterns',
      '    behavior: replace',
      '    files: [catalog.yaml]',
      '',
    ].join('\n'),
  )
  return dir
}

for (const base of ['manifests', 'manifests/overlays/cert-manager']) {
  t.test(`${base}: editing the catalog changes the ConfigMap's data, nothing else`, async (t) => {
    const shipped = await renderManifests(base)
    const catalog = one(shipped, 'ConfigMap')
    t.equal(catalog.metadata.name, 'sidecar-patterns-catalog', 'no hash suffix')
    const deployment = one(shipped, 'Deployment')
    const volume = deployment.spec.template.spec.volumes.find((v: Obj) => v.configMap)
    t.equal(volume.configMap.name, catalog.metadata.name, 'the Deployment mounts it')
    const mount = deployment.spec.template.spec.containers[0].volumeMounts.find(
      (m: Obj) => m.name === volume.name,
    )
    t.notOk(mount.subPath, 'a folder mount, which the kubelet updates in place (subPath is never)')

    const edited = 'mode: classic\nsidecars: []\npolicies: []\n'
    const dir = await overlayWithCatalog(base, edited)
    t.teardown(() => rm(dir, { recursive: true, force: true }))
    const after = await renderManifests(dir)
    t.equal(one(after, 'ConfigMap').metadata.name, catalog.metadata.name, 'the same ConfigMap')
    t.same(one(after, 'ConfigMap').data, { 'catalog.yaml': edited }, 'with the new catalog')
    t.same(one(after, 'Deployment'), deployment, 'the Pod template is unchanged: no rollout')
  })
}
