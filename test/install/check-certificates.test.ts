// The certificate checks on their own, with chains as cert-manager's CA issuers write them:
// tls.crt holds the serving certificate and the intermediates after it, and the caBundle the
// root. The check follows the chain as a TLS client does (the API server trusts the caBundle and
// is sent the intermediates).
import { generate } from 'selfsigned'
import t from 'tap'
import { checkCertificates } from '../../src/install/check-certificates.ts'
import type { InstallFacts } from '../../src/install/facts.ts'
import { DEFAULT_NAMES, serviceHost } from '../../src/install/names.ts'
import { createCa, issueServing, type KeyPair } from '../../src/tls/issue.ts'
import { serviceNames } from '../../src/tls/names.ts'

const now = new Date()
const DAY_MS = 24 * 60 * 60 * 1000

// An intermediate CA signed by `root`, as a CA Issuer's chain has one.
async function intermediate(root: KeyPair): Promise<KeyPair> {
  const made = await generate([{ name: 'commonName', value: 'sidecar-patterns intermediate' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: new Date(now.getTime() - DAY_MS),
    notAfterDate: new Date(now.getTime() + 365 * DAY_MS),
    ca: root,
    extensions: [
      { name: 'basicConstraints', cA: true, critical: true },
      { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    ],
  })
  return { cert: made.cert, key: made.private }
}

function facts(tlsCrt: string, caBundles: string[]): InstallFacts {
  const b64 = (text: string) => Buffer.from(text).toString('base64')
  const webhooks = caBundles.map((ca, i) => ({
    name: `w${i}.sidecar-patterns.io`,
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    clientConfig: { caBundle: b64(ca) },
  }))
  const unread = { error: 'not read in this test' }
  return {
    server: 'https://example',
    version: unread,
    webhookConfiguration: { found: { webhooks } },
    service: unread,
    endpointSlices: unread,
    deployment: unread,
    secret: { found: { data: { 'tls.crt': b64(tlsCrt) } } },
    catalog: unread,
    admissionPolicy: unread,
    admissionPolicyBinding: unread,
  }
}

const run = (tlsCrt: string, caBundles: string[]) =>
  checkCertificates(facts(tlsCrt, caBundles), DEFAULT_NAMES, now).map((r) => [
    r.check,
    r.ok,
    r.message,
  ])

t.test(
  'a serving certificate signed by an intermediate: trusted through the chain tls.crt sends',
  async (t) => {
    const root = await createCa(now)
    const middle = await intermediate(root)
    const names = serviceNames(DEFAULT_NAMES.service, DEFAULT_NAMES.namespace)
    const serving = await issueServing(middle, names, now)
    const chain = `${serving.cert.trim()}\n${middle.cert.trim()}\n`
    t.match(run(chain, [root.cert, root.cert]), [
      ['ca-bundle', true, /every webhook's caBundle holds the CA/],
      [
        'certificate',
        true,
        new RegExp(`names ${serviceHost(DEFAULT_NAMES).replaceAll('.', '\\.')}`),
      ],
    ])
    t.match(
      run(chain, [middle.cert]),
      [['ca-bundle', true]],
      'the intermediate itself as the anchor',
    )
    t.match(
      run(serving.cert, [root.cert]),
      [
        [
          'ca-bundle',
          false,
          /w0\.sidecar-patterns\.io: the caBundle does not hold the CA that signed/,
        ],
      ],
      'without the intermediate in tls.crt the root cannot be reached',
    )
    const stranger = await createCa(now)
    t.match(run(chain, [root.cert, stranger.cert]), [
      ['ca-bundle', false, /^w1\.sidecar-patterns\.io: the caBundle does not hold/],
    ])
    t.match(
      run(chain, [`${stranger.cert}${root.cert}`]),
      [['ca-bundle', true]],
      'a bundle of several CAs',
    )
  },
)

t.test(
  'the host is matched as Go matches it: a wildcard leftmost label, never the common name',
  async (t) => {
    const ca = await createCa(now)
    const certificate = async (dnsNames: string[]) =>
      (await issueServing(ca, { dnsNames, ips: [] }, now)).cert
    const host = serviceHost(DEFAULT_NAMES)
    t.match(run(await certificate(['*.sidecar-patterns.svc']), [ca.cert])[1], ['certificate', true])
    t.match(run(await certificate(['sidecar*.sidecar-patterns.svc']), [ca.cert])[1], [
      'certificate',
      false,
      `the serving certificate does not name ${host}`,
    ])
    const commonNameOnly = await generate([{ name: 'commonName', value: host }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256',
      notBeforeDate: new Date(now.getTime() - DAY_MS),
      notAfterDate: new Date(now.getTime() + 365 * DAY_MS),
      ca,
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }] }],
    })
    t.match(
      run(commonNameOnly.cert, [ca.cert])[1],
      ['certificate', false],
      'the common name is not read',
    )
  },
)
