// The webhook through its real HTTPS server on 127.0.0.1, as the API server calls it: TLS 1.2+,
// HTTP/1.1 keep-alive, admission.k8s.io/v1 reviews in and out.
import { connect } from 'node:tls'
import { applyPatch } from 'rfc6902'
import t from 'tap'
import { fixtureJson } from './helpers/fixtures.ts'
import { startWebhook } from './helpers/https.ts'
import { podViolations } from './helpers/pod-invariants.ts'
import { decodePatch } from './helpers/reviews.ts'

interface Review {
  apiVersion: string
  kind: string
  request: {
    uid: string
    operation: string
    object: { metadata: Record<string, unknown>; spec: unknown }
    oldObject?: unknown
  }
}
interface ReviewResponse {
  apiVersion: string
  kind: string
  response: {
    uid: string
    allowed: boolean
    patch?: string
    patchType?: string
    status?: { code: number; message: string }
  }
}

const fixture = (name: string) => fixtureJson<Review>('reviews', `${name}.json`)

t.test('health and readiness answer on the webhook port', async (t) => {
  const webhook = await startWebhook(t)
  t.same(await webhook.get('/healthz'), { status: 200, json: { status: 'ok' } })
  t.same(await webhook.get('/readyz'), { status: 200, json: { status: 'ready' } })
})

t.test('injects, and a second review of the patched Pod changes nothing', async (t) => {
  const webhook = await startWebhook(t)
  const review = fixture('git-sync-and-metrics')
  const first = await webhook.post('/mutate', JSON.stringify(review))
  t.equal(first.status, 200)
  const { apiVersion, kind, response } = first.json as ReviewResponse
  t.same(
    [apiVersion, kind, response.uid],
    ['admission.k8s.io/v1', 'AdmissionReview', review.request.uid],
  )
  t.same([response.allowed, response.patchType], [true, 'JSONPatch'])

  const pod = structuredClone(review.request.object)
  const errors = applyPatch(pod, decodePatch(response.patch ?? ''))
  t.ok(
    errors.every((e) => e === null),
    'the patch applies',
  )
  t.same(podViolations(pod as never), [])
  t.equal(
    pod.metadata.annotations &&
      (pod.metadata.annotations as Record<string, string>)['patterns/injected'],
    'metrics,git-sync',
  )

  const again = await webhook.post(
    '/mutate',
    JSON.stringify({ ...review, request: { ...review.request, uid: 'second', object: pod } }),
  )
  t.same((again.json as ReviewResponse).response, { uid: 'second', allowed: true })
})

t.test('denies bad annotations with a message naming them, and keeps serving', async (t) => {
  const webhook = await startWebhook(t)
  const review = fixture('invalid-parameters')
  const { status, json } = await webhook.post('/mutate', JSON.stringify(review))
  t.equal(status, 200)
  const { response } = json as ReviewResponse
  t.same([response.uid, response.allowed, response.status?.code], [review.request.uid, false, 422])
  t.match(response.status?.message, /patterns\/git-sync\.repo: is required/)
  t.match(response.status?.message, /patterns\/metrics\.proxy-port: "70000" is not a port/)
  t.equal(response.patch, undefined, 'nothing is half-injected')
  t.equal((await webhook.get('/healthz')).status, 200)
})

t.test('lets other kinds, other operations and unannotated Pods through untouched', async (t) => {
  const webhook = await startWebhook(t)
  for (const name of ['not-a-pod', 'update-operation', 'not-annotated']) {
    const review = fixture(name)
    const { json } = await webhook.post('/mutate', JSON.stringify(review))
    t.same((json as ReviewResponse).response, { uid: review.request.uid, allowed: true }, name)
  }
})

t.test('answers malformed requests with a precise 400 and keeps serving', async (t) => {
  const webhook = await startWebhook(t)
  const review = fixture('metrics-basic')
  const { uid: _, ...withoutUid } = review.request
  const cases: [string, string, RegExp][] = [
    ['not JSON', '{"apiVersion": "admission.k8s.io/v1", ', /not valid JSON/],
    ['an empty body', '', /empty/i],
    ['a JSON array', '[]', /must be object/],
    [
      'another kind',
      JSON.stringify({ ...review, kind: 'Pod' }),
      /\/kind must be equal to constant/,
    ],
    [
      'an old apiVersion',
      JSON.stringify({ ...review, apiVersion: 'admission.k8s.io/v1beta1' }),
      /\/apiVersion/,
    ],
    ['no request', JSON.stringify({ apiVersion: review.apiVersion, kind: review.kind }), /request/],
    ['no request.uid', JSON.stringify({ ...review, request: withoutUid }), /uid/],
    [
      'an empty uid',
      JSON.stringify({ ...review, request: { ...review.request, uid: '' } }),
      /\/request\/uid/,
    ],
  ]
  for (const [what, body, message] of cases) {
    const { status, json } = await webhook.post('/mutate', body)
    t.equal(status, 400, `${what}: 400`)
    t.match((json as { message: string }).message, message, `${what}: says what is wrong`)
  }
  const wrongType = await webhook.post('/mutate', 'x', 'application/x-www-form-urlencoded')
  t.equal(wrongType.status, 415, 'a body that is not JSON by content type: 415')
  t.equal((await webhook.get('/healthz')).status, 200, 'still serving')
})

t.test(
  'answers a request uid with an object that is not a Pod with a denial, not a crash',
  async (t) => {
    const webhook = await startWebhook(t)
    const review = fixture('metrics-basic')
    const broken = {
      ...review,
      request: { ...review.request, object: { metadata: {}, spec: { containers: 'web' } } },
    }
    const { status, json } = await webhook.post('/mutate', JSON.stringify(broken))
    t.equal(status, 200)
    const { response } = json as ReviewResponse
    t.same(
      [response.uid, response.allowed, response.status?.code],
      [review.request.uid, false, 400],
    )
    t.match(response.status?.message, /\/spec\/containers/)
  },
)

// A Pod as large as etcd stores (1.5 MiB), in a review that also carries it as oldObject.
function hugePod(review: Review, bytes: number): Review['request']['object'] {
  const pod = structuredClone(review.request.object) as {
    spec: { containers: { env?: unknown[] }[] }
  }
  const value = 'x'.repeat(1000)
  const env = Array.from({ length: Math.floor(bytes / 1030) }, (_, i) => ({
    name: `VAR_${i}`,
    value,
  }))
  const [app] = pod.spec.containers
  if (app) app.env = env
  return pod as Review['request']['object']
}

t.test(
  'serves reviews as large as the API server sends, refuses larger ones with 413',
  async (t) => {
    const webhook = await startWebhook(t)
    const review = fixture('metrics-basic')
    const object = hugePod(review, 1.45 * 1024 * 1024)
    const create = JSON.stringify({ ...review, request: { ...review.request, object } })
    t.ok(
      create.length > 1.4 * 1024 * 1024,
      `a ${(create.length / 2 ** 20).toFixed(2)} MiB create review`,
    )
    const created = (await webhook.post('/mutate', create)).json as ReviewResponse
    t.equal(created.response.patchType, 'JSONPatch', 'is injected')

    const update = JSON.stringify({
      ...review,
      request: { ...review.request, operation: 'UPDATE', object, oldObject: object },
    })
    const updated = await webhook.post('/mutate', update)
    t.same(
      [updated.status, (updated.json as ReviewResponse).response.allowed],
      [200, true],
      'a review with two is served',
    )

    const tooLarge = await webhook.post('/mutate', Buffer.alloc(8 * 1024 * 1024, ' '))
    t.equal(tooLarge.status, 413)
    t.equal((await webhook.get('/healthz')).status, 200, 'still serving')
  },
)

t.test('keeps one HTTP/1.1 connection alive across reviews, as the API server does', async (t) => {
  const webhook = await startWebhook(t)
  const body = JSON.stringify(fixture('metrics-basic'))
  for (let i = 0; i < 20; i++) t.equal((await webhook.post('/mutate', body)).status, 200)
  t.equal(webhook.connections(), 1, 'twenty reviews, one TLS connection')
})

t.test(
  'speaks TLS 1.2 or newer only, with a certificate the generated CA vouches for',
  async (t) => {
    const webhook = await startWebhook(t)
    const port = Number(new URL(webhook.origin).port)
    const handshake = (options: { maxVersion?: 'TLSv1.1' | 'TLSv1.2'; servername: string }) =>
      new Promise<string | null>((resolve, reject) => {
        // The client would accept TLS 1.0 and weak settings, so a refusal is the server's.
        const lenient = { minVersion: 'TLSv1', ciphers: 'DEFAULT@SECLEVEL=0' } as const
        const socket = connect({ host: '127.0.0.1', port, ca: webhook.ca, ...lenient, ...options })
        socket.once('secureConnect', () => {
          resolve(socket.getProtocol())
          socket.end()
        })
        socket.once('error', reject)
      })
    t.equal(await handshake({ maxVersion: 'TLSv1.2', servername: 'localhost' }), 'TLSv1.2')
    t.equal(await handshake({ servername: 'sidecar-patterns.sidecar-patterns.svc' }), 'TLSv1.3')
    await t.rejects(
      handshake({ maxVersion: 'TLSv1.1', servername: 'localhost' }),
      'TLS 1.1 is refused',
    )
    await t.rejects(
      handshake({ servername: 'elsewhere.example.com' }),
      /altnames/,
      'other names are not covered',
    )
  },
)
