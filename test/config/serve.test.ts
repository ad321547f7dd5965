// `serve` flags become one frozen configuration, or every error with its flag.
import t from 'tap'
import { parseServeArgs } from '../../src/config/serve.ts'

t.test('defaults: HTTPS on 8443, certificates in ./certs', async (t) => {
  const parsed = parseServeArgs([])
  if (parsed.ok !== true) throw new Error('defaults must parse')
  t.same(parsed.value, {
    host: '0.0.0.0',
    port: 8443,
    tlsMode: 'generate',
    certDir: 'certs',
    tlsSecret: 'sidecar-patterns-tls',
    webhookConfiguration: 'sidecar-patterns',
    service: 'sidecar-patterns',
    namespace: 'sidecar-patterns',
    image: undefined,
    config: undefined,
    kubeconfig: undefined,
    metricsPort: 9090,
    shutdownDelay: 5,
    logLevel: 'info',
  })
  t.ok(Object.isFrozen(parsed.value))
})

t.test('--port N and the other flags', async (t) => {
  const parsed = parseServeArgs([
    '--port',
    '9443',
    '--host',
    '127.0.0.1',
    '--cert-dir',
    '/tmp/c',
    '--service',
    'hooks',
    '--namespace',
    'platform',
    '--image',
    'registry.example/sidecar-patterns:1',
    '--config',
    '/etc/sp/catalog.yaml',
    '--kubeconfig',
    '/root/.kube/config',
    '--log-level',
    'debug',
  ])
  if (parsed.ok !== true) throw new Error('must parse')
  t.match(parsed.value, {
    port: 9443,
    host: '127.0.0.1',
    certDir: '/tmp/c',
    service: 'hooks',
    namespace: 'platform',
    image: 'registry.example/sidecar-patterns:1',
    config: '/etc/sp/catalog.yaml',
    kubeconfig: '/root/.kube/config',
    logLevel: 'debug',
  })
  t.match(
    parseServeArgs(['--port=0']),
    { ok: true, value: { port: 0 } },
    'port 0 picks a free port',
  )
})

t.test('reports every bad flag at once', async (t) => {
  const parsed = parseServeArgs([
    '--port',
    '70000',
    '--service',
    'Hooks_',
    '--log-level',
    'loud',
    '--config',
    '',
  ])
  t.same(parsed, {
    ok: false,
    errors: [
      '--port: "70000" is not a port (0-65535)',
      '--log-level: "loud" is not one of fatal, error, warn, info, debug, trace',
      '--service: "Hooks_" is not a DNS-1123 label',
      '--config: must not be empty',
    ],
  })
  t.match(parseServeArgs(['--tls-mode', 'vault', '--tls-secret', 'Bad_Name']), {
    ok: false,
    errors: [
      /--tls-mode: "vault" is not one of generate, files, secret/,
      /--tls-secret: "Bad_Name" is not a Kubernetes object name/,
    ],
  })
  t.match(parseServeArgs(['--prot', '1']), { ok: false, errors: [/Unknown option '--prot'/] })
  t.match(parseServeArgs(['extra']), { ok: false, errors: [/positional/] })
  t.same(parseServeArgs(['--help']), { ok: 'help' })
})
