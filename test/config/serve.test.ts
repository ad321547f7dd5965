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
    shutdownDelayMs: 5000,
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
      '--log-level: "loud" is not one of fatal, error, warn, info, debug, trace, silent',
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

t.test('--shutdown-delay is a duration, as every duration flag: 0s up to 1m', async (t) => {
  t.match(parseServeArgs(['--shutdown-delay', '1m']), {
    ok: true,
    value: { shutdownDelayMs: 60_000 },
  })
  t.match(parseServeArgs(['--shutdown-delay', '0s']), { ok: true, value: { shutdownDelayMs: 0 } })
  t.match(parseServeArgs(['--shutdown-delay', '2500ms']), { value: { shutdownDelayMs: 2500 } })
  t.same(parseServeArgs(['--shutdown-delay', '5']), {
    ok: false,
    errors: ['--shutdown-delay: "5" is not a duration such as 30s, 5m or 1h30m'],
  })
  t.same(parseServeArgs(['--shutdown-delay', '1m1s']), {
    ok: false,
    errors: ['--shutdown-delay: "1m1s" is longer than 1m'],
  })
})

t.test('a flag given twice is refused, not silently the last', async (t) => {
  t.same(parseServeArgs(['--config', 'a.yaml', '--port', '1', '--config=b.yaml', '--port', '2']), {
    ok: false,
    errors: [
      '--config: given 2 times; it takes one value',
      '--port: given 2 times; it takes one value',
    ],
  })
})
