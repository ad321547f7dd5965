// GitOps tools apply these manifests and compare the live objects with them. The caBundle of each
// webhook entry is written at runtime (by the webhook with --tls-mode secret, under the field
// manager sidecar-patterns; by cert-manager's CA injector in the overlay), so the manifests must
// leave it out: a value in Git, even an empty placeholder, would be applied over the live one by
// every sync (every call then fails TLS until it is written back) and reported as drift between
// syncs. Left out, Flux's server-side apply keeps a field another manager owns, and Argo CD's
// three-way diff keeps a field its last applied configuration never had (README, "Install").
import t from 'tap'
import { FIELD_MANAGER } from '../../src/tls/kube-api.ts'
import { renderManifests } from '../helpers/apiserver/cluster.ts'

for (const dir of ['manifests', 'manifests/overlays/cert-manager']) {
  t.test(`${dir}: no webhook entry carries a caBundle`, async (t) => {
    const configurations = (await renderManifests(dir)).filter(
      (o) => o.kind === 'MutatingWebhookConfiguration',
    )
    t.ok(configurations.length > 0)
    for (const configuration of configurations) {
      for (const webhook of configuration.webhooks) {
        t.notOk('caBundle' in webhook.clientConfig, webhook.name)
      }
    }
  })
}

t.test("the webhook's field manager is one Flux does not take fields over from", async (t) => {
  // kustomize-controller takes over, and so removes when the manifests lack them, the fields of
  // these managers: kubectl (any name starting so: kubectl-patch, kubectl-edit...),
  // before-first-apply and kustomize-controller (fluxcd/kustomize-controller
  // internal/controller/kustomization_controller.go, the Cleanup field managers).
  const takenOver = [/^kubectl/, /^before-first-apply$/, /^kustomize-controller$/]
  t.notOk(
    takenOver.some((pattern) => pattern.test(FIELD_MANAGER)),
    FIELD_MANAGER,
  )
})
