// Uninstalling (README, "Install in a cluster"): the webhook configuration goes first, so that no
// Pod creation waits on, or is refused for want of, a webhook that is going away; then the rest:
//   kubectl delete mutatingwebhookconfiguration -l app.kubernetes.io/part-of=sidecar-patterns
//   kubectl delete -k manifests/ --ignore-not-found
// `kubectl delete -k` alone is not enough: it deletes one object after the other in the order
// kustomize renders them (k8s.io/kubectl pkg/cmd/delete/delete.go, DeleteResult visits them in
// turn), which puts webhook configurations last (so that `apply` registers the webhook after what
// serves it), and so deletes the Namespace, the Deployment and the Service first.
import t from 'tap'
import { renderManifests } from '../helpers/apiserver/cluster.ts'

// biome-ignore lint/suspicious/noExplicitAny: rendered manifests are walked as plain JSON
type Obj = any

const SELECTOR = ['app.kubernetes.io/part-of', 'sidecar-patterns'] as const
const selected = (o: Obj) => o.metadata.labels?.[SELECTOR[0]] === SELECTOR[1]

for (const dir of ['manifests', 'manifests/overlays/cert-manager']) {
  t.test(
    `${dir}: the first command selects every webhook configuration, the second the rest`,
    async (t) => {
      const objects = await renderManifests(dir)
      const configurations = objects.filter((o) => o.kind === 'MutatingWebhookConfiguration')
      t.ok(configurations.length > 0)
      t.ok(configurations.every(selected), 'each carries the label the first command selects by')
      t.same(
        objects.filter((o) => !selected(o)).map((o) => `${o.kind}/${o.metadata.name}`),
        [],
        'every object carries it, so a label query finds what an overlay renamed',
      )
      const order = objects.map((o) => o.kind)
      t.ok(
        order.indexOf('Namespace') < order.indexOf('MutatingWebhookConfiguration') &&
          order.indexOf('Deployment') < order.indexOf('MutatingWebhookConfiguration'),
        'kubectl delete -k alone would remove the webhook before its configuration',
      )
    },
  )
}
