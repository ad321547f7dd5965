// The ValidatingAdmissionPolicy that narrows the webhook's `patch` on its own
// MutatingWebhookConfiguration to the caBundles (manifests/base/admission-policy.yaml), evaluated
// with the model of the API server against UPDATEs of the rendered configuration: the webhook's
// own caBundle patch (src/tls/ca-bundle.ts) passes, and a change to any other field of an entry,
// of the entries or of the metadata is denied, but only when the webhook's ServiceAccount makes it.
import {
  AdmissionregistrationV1WebhookClientConfig,
  V1MutatingWebhook,
} from '@kubernetes/client-node'
import fastJsonPatch from 'fast-json-patch'
import t from 'tap'
import type { Attributes, Json } from '../../src/apiserver/attributes.ts'
import { caBundleOperations } from '../../src/tls/ca-bundle.ts'
import { compilePolicy, type PolicyDecision } from '../helpers/apiserver/admission-policy.ts'
import { renderManifests } from '../helpers/apiserver/cluster.ts'

const objects = await renderManifests('manifests')
const only = (kind: string) => {
  const found = objects.filter((o) => o.kind === kind)
  if (found.length !== 1) throw new Error(`${found.length} ${kind} objects rendered, expected 1`)
  return found[0]
}
const policy = only('ValidatingAdmissionPolicy')
const binding = only('ValidatingAdmissionPolicyBinding')
const serviceAccount = only('ServiceAccount')
const configuration = only('MutatingWebhookConfiguration')
const decide = compilePolicy(policy, binding)

const WEBHOOK = `system:serviceaccount:${serviceAccount.metadata.namespace}:${serviceAccount.metadata.name}`
const OPERATOR = 'kubernetes-admin'

/** The configuration as the API server stores it once applied. */
function stored(): Json {
  const copy = structuredClone(configuration)
  copy.metadata.resourceVersion = '4242'
  copy.metadata.uid = '1e0c3f5a-0000-4000-8000-000000000001'
  return copy
}

/** The UPDATE that a patch by `username` turning `stored()` into `changed` goes through. */
function update(changed: Json, username = WEBHOOK, old = stored()): Attributes {
  return {
    resource: {
      group: 'admissionregistration.k8s.io',
      version: 'v1',
      resource: 'mutatingwebhookconfigurations',
    },
    subResource: '',
    kind: {
      group: 'admissionregistration.k8s.io',
      version: 'v1',
      kind: 'MutatingWebhookConfiguration',
    },
    namespace: '',
    name: old.metadata.name,
    operation: 'UPDATE',
    object: changed,
    oldObject: old,
    dryRun: false,
    userInfo: { username, groups: ['system:authenticated'] },
  }
}

/** `stored()` after `change`. */
function edited(change: (c: Json) => void, from = stored()): Json {
  const copy = structuredClone(from)
  change(copy)
  return copy
}

const pem = (label: string) =>
  `-----BEGIN CERTIFICATE-----\n${Buffer.from(label).toString('base64')}\n-----END CERTIFICATE-----\n`

/** What the webhook's own patch makes of `from`, through the JSON patch it sends. */
function caBundlePatched(from: Json, ca: string): Json {
  const operations = caBundleOperations(from, Buffer.from(ca).toString('base64'))
  return fastJsonPatch.applyPatch(structuredClone(from), operations as never, true).newDocument
}

t.test('the policy is bound, and for the webhook account and configuration only', async (t) => {
  t.same(binding.spec, { policyName: policy.metadata.name, validationActions: ['Deny'] })
  t.equal(policy.spec.failurePolicy, 'Fail', 'an expression that errors denies')
  for (const clusterScoped of [policy, binding])
    t.notOk(clusterScoped.metadata.namespace, `${clusterScoped.kind} has no namespace`)
  const [grant] = only('ClusterRole').rules.filter((r: Json) =>
    r.resources.includes('mutatingwebhookconfigurations'),
  )
  t.same(grant.resourceNames, [configuration.metadata.name], 'RBAC: only its own configuration')
  t.same(
    policy.spec.matchConstraints.resourceRules.map((r: Json) => r.resourceNames),
    [grant.resourceNames],
    'the policy watches the object RBAC lets it patch',
  )
  const rewritten = edited((c) => {
    c.webhooks[0].rules[0].resources = ['pods', 'secrets']
  })
  t.match(decide(update(rewritten)), { decision: 'denied' }, 'the webhook account is held to it')
  t.same(
    decide(update(rewritten, OPERATOR)),
    { decision: 'not-matched', why: 'by-the-webhook' },
    'an operator (kubectl apply) is not',
  )
  t.same(
    decide(update(rewritten, 'system:serviceaccount:cert-manager:cert-manager-cainjector')),
    { decision: 'not-matched', why: 'by-the-webhook' },
    "nor cert-manager's CA injector",
  )
  const other = edited((c) => {
    c.metadata.name = 'someone-else'
  })
  t.same(
    decide(update(other, WEBHOOK, other)),
    { decision: 'not-matched', why: 'matchConstraints' },
    'another configuration is not watched (and RBAC refuses it anyway)',
  )
  t.same(
    decide({ ...update(rewritten), operation: 'DELETE', object: null }),
    { decision: 'not-matched', why: 'matchConstraints' },
    'only UPDATE: RBAC grants the webhook no create, update (PUT) or delete',
  )
})

t.test("the webhook's own caBundle patch is admitted: first set, then a new CA", async (t) => {
  const first = caBundlePatched(stored(), pem('first CA'))
  t.ok(
    first.webhooks.every((w: Json) => w.clientConfig.caBundle),
    'the patch sets every caBundle',
  )
  t.same(decide(update(first)), { decision: 'admitted' }, 'from none to the first CA')
  const rotated = caBundlePatched(first, pem('first CA') + pem('next CA'))
  t.same(decide(update(rotated, WEBHOOK, first)), { decision: 'admitted' }, 'from one CA to two')
  const reset = edited((c) => {
    for (const w of c.webhooks) delete w.clientConfig.caBundle
  }, first)
  t.same(decide(update(reset, WEBHOOK, first)), { decision: 'admitted' }, 'and removed')
})

t.test('a change to the rules is denied, with the reason', async (t) => {
  const widened = edited((c) => {
    c.webhooks[0].rules[0].operations = ['CREATE', 'UPDATE']
    c.webhooks[0].rules.push({
      apiGroups: [''],
      apiVersions: ['v1'],
      operations: ['CREATE', 'UPDATE'],
      resources: ['secrets'],
    })
  })
  t.same(decide(update(widened)), {
    decision: 'denied',
    messages: ['the webhook may not change which requests it is sent or how they are sent'],
  })
  const alongCaBundle = caBundlePatched(widened, pem('a CA'))
  t.match(
    decide(update(alongCaBundle)),
    { decision: 'denied' },
    'also when the same patch sets the caBundle',
  )
})

// A different value of the same kind: enough for equality to see it, whatever the field.
function changedValue(value: unknown): unknown {
  if (value === undefined) return 'added'
  if (typeof value === 'string') return `${value}-changed`
  if (typeof value === 'number') return value + 1
  if (Array.isArray(value)) return value.length ? value.slice(1) : ['added']
  if (value && typeof value === 'object') return { ...value, added: 'yes' }
  return 'changed'
}

const attributes = (model: { getAttributeTypeMap(): { baseName: string }[] }) =>
  model.getAttributeTypeMap().map((a) => a.baseName)

t.test(
  'every field of every entry but the caBundle is held, as the client model lists them',
  async (t) => {
    const entryFields = attributes(V1MutatingWebhook).filter((f) => f !== 'clientConfig')
    const clientConfigFields = attributes(AdmissionregistrationV1WebhookClientConfig).filter(
      (f) => f !== 'caBundle',
    )
    t.ok(entryFields.includes('matchConditions') && clientConfigFields.includes('url'))
    for (const [index, entry] of configuration.webhooks.entries()) {
      for (const field of entryFields) {
        const changed = edited((c) => {
          c.webhooks[index][field] = changedValue(entry[field])
        })
        t.match(decide(update(changed)), { decision: 'denied' }, `${entry.name}: ${field}`)
        if (entry[field] === undefined) continue
        const removed = edited((c) => {
          delete c.webhooks[index][field]
        })
        t.match(decide(update(removed)), { decision: 'denied' }, `${entry.name}: no ${field}`)
      }
      for (const field of clientConfigFields) {
        const changed = edited((c) => {
          c.webhooks[index].clientConfig[field] = changedValue(entry.clientConfig[field])
        })
        t.match(
          decide(update(changed)),
          { decision: 'denied' },
          `${entry.name}: clientConfig.${field}`,
        )
      }
    }
  },
)

t.test('entries and metadata are held too', async (t) => {
  const changes: Record<string, (c: Json) => void> = {
    'an entry added': (c) =>
      c.webhooks.push({ ...structuredClone(c.webhooks[0]), name: 'x.example.com' }),
    'an entry removed': (c) => c.webhooks.pop(),
    'entries reordered': (c) => c.webhooks.reverse(),
    'no entries': (c) => delete c.webhooks,
    'a label': (c) => {
      c.metadata.labels = { ...c.metadata.labels, team: 'x' }
    },
    'an annotation': (c) => {
      c.metadata.annotations = { 'cert-manager.io/inject-ca-from-secret': 'x/y' }
    },
    'a finalizer': (c) => {
      c.metadata.finalizers = ['example.com/keep']
    },
    'an owner': (c) => {
      c.metadata.ownerReferences = [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'u' }]
    },
  }
  for (const [what, change] of Object.entries(changes)) {
    const decision: PolicyDecision = decide(update(edited(change)))
    t.match(decision, { decision: 'denied' }, what)
  }
  t.same(
    decide(
      update(
        edited((c) => delete c.webhooks),
        WEBHOOK,
        edited((c) => delete c.webhooks),
      ),
    ),
    { decision: 'admitted' },
    'no entries before and after: nothing changed',
  )
})
