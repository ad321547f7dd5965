// What the certificate tests share: a fake API server holding the webhook configuration as the
// manifests install it, a clock the tests move, a logger whose lines can be read, and the Secret's
// content decoded.
import { X509Certificate } from 'node:crypto'
import { pino } from 'pino'
import type { Test } from 'tap'
import { serviceNames } from '../../src/tls/names.ts'
import type { SecretCertificateOptions } from '../../src/tls/secret-certificates.ts'
import { type FakeApiServer, startFakeApiServer } from '../helpers/fake-apiserver.ts'

export const NAMESPACE = 'sidecar-patterns'
export const SECRET = 'sidecar-patterns-tls'
export const SECRETS_PATH = `/api/v1/namespaces/${NAMESPACE}/secrets`
export const SECRET_PATH = `${SECRETS_PATH}/${SECRET}`
export const MWC_PATH =
  '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations/sidecar-patterns'
export const names = serviceNames('sidecar-patterns', NAMESPACE)

export const DAY_MS = 24 * 60 * 60 * 1000
/** A whole second, so that certificate validity (second precision) and the clock agree exactly. */
export const START = new Date('2030-01-01T00:00:00Z')

/** A clock that moves only when told. */
export function clock(start = START) {
  let time = start.getTime()
  return {
    now: () => new Date(time),
    advance: (ms: number) => {
      time += ms
    },
  }
}

/** Two webhooks with a service clientConfig and no caBundle, as manifests/base installs them. */
export function webhookConfiguration() {
  const webhook = (name: string) => ({
    name,
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    clientConfig: {
      service: { name: 'sidecar-patterns', namespace: NAMESPACE, path: '/mutate', port: 443 },
    },
  })
  return {
    webhooks: [webhook('opt-in.sidecar-patterns.io'), webhook('enforced.sidecar-patterns.io')],
  }
}

/** A fake API server with the webhook configuration, closed when `t` ends. */
export async function fakeCluster(t: Test): Promise<FakeApiServer> {
  const fake = await startFakeApiServer()
  t.teardown(() => fake.close())
  fake.createMutatingWebhookConfiguration('sidecar-patterns', webhookConfiguration())
  return fake
}

export interface LogLine {
  level: number
  msg: string
  [field: string]: unknown
}

/** A pino logger that keeps its lines for the test to read. */
export function capturingLog() {
  const lines: LogLine[] = []
  const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line)) })
  return { log, lines }
}

/** ensureCertificate() options for one replica. */
export function replica(
  fake: FakeApiServer,
  overrides: Partial<SecretCertificateOptions> = {},
): SecretCertificateOptions {
  return {
    kubeConfig: fake.kubeConfig(),
    namespace: NAMESPACE,
    names,
    log: pino({ level: 'silent' }),
    ...overrides,
  }
}

/** The Secret's data decoded to PEM, or undefined when there is no Secret. */
export function storedSecret(fake: FakeApiServer): Record<string, string> | undefined {
  const secret = fake.secret(NAMESPACE, SECRET)
  if (!secret) return undefined
  const data = secret.data as Record<string, string>
  return Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
  )
}

/** Each webhook's caBundle in the fake, decoded. */
export function caBundles(fake: FakeApiServer): (string | undefined)[] {
  const mwc = fake.mutatingWebhookConfiguration('sidecar-patterns')
  const webhooks = (mwc?.webhooks ?? []) as { clientConfig: { caBundle?: string } }[]
  return webhooks.map(({ clientConfig: { caBundle } }) =>
    caBundle === undefined ? undefined : Buffer.from(caBundle, 'base64').toString('utf8'),
  )
}

/** The requests a test is about, as "METHOD path status". */
export function calls(fake: FakeApiServer, from = 0): string[] {
  return fake
    .requests()
    .slice(from)
    .map((r) => `${r.method} ${r.path} ${r.status}`)
}

/** The fingerprint of the first certificate of a PEM, to compare certificates briefly. */
export const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256
