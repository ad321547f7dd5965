// auth: oauth2-proxy in front of the app's port, so that authentication lives outside the app.
// Client id, client secret, cookie secret and provider settings come from a Secret as
// OAUTH2_PROXY_* variables; annotations only choose which Secret and which provider.
import { defineSidecar, upstreamOf } from '../sidecar.ts'
import { emailDomain, objectName, oneOf, port, portRef } from '../validators.ts'
import { resources, restricted } from './hardening.ts'

// The distroless oauth2-proxy image runs as "nonroot".
const OAUTH2_PROXY_UID = 65532

export const PROVIDERS = [
  'oidc',
  'keycloak-oidc',
  'github',
  'gitlab',
  'google',
  'azure',
  'entra-id',
  'adfs',
  'bitbucket',
] as const

export const auth = defineSidecar({
  name: 'auth',
  summary: 'authenticating proxy (oauth2-proxy) in front of the app port',
  params: {
    port: {
      summary:
        'app port to protect, a number or a container port name (inferred if the app declares one)',
      validate: portRef,
      presence: 'optional',
    },
    'proxy-port': {
      summary: 'port the proxy listens on; point the Service at it (port name auth-http)',
      validate: port,
      presence: 'defaulted',
      default: '4180',
    },
    secret: {
      summary:
        'Secret in the Pod namespace holding OAUTH2_PROXY_CLIENT_ID, _CLIENT_SECRET, _COOKIE_SECRET, ...',
      validate: objectName,
      presence: 'defaulted',
      default: 'oauth2-proxy',
    },
    provider: {
      summary: `identity provider: ${PROVIDERS.join(', ')}`,
      validate: oneOf(PROVIDERS),
      presence: 'defaulted',
      default: 'oidc',
    },
    'email-domain': {
      summary: 'email domain admitted after login, or * for any authenticated user',
      validate: emailDomain,
      presence: 'defaulted',
      default: '*',
    },
  },
  proxy: {
    appPort: (v) => v.port,
    appPortParam: 'port',
    listen: (v) => ({ port: v['proxy-port'], param: 'proxy-port' }),
  },
  listens: (v) => [{ port: v['proxy-port'], param: 'proxy-port' }],
  appMountPaths: () => [],
  build: (v, context) => ({
    containers: [
      {
        name: context.containerName('patterns-auth'),
        image: context.images.oauth2Proxy,
        args: [
          `--http-address=0.0.0.0:${v['proxy-port']}`,
          `--upstream=http://127.0.0.1:${upstreamOf(context)}/`,
          `--provider=${v.provider}`,
          `--email-domain=${v['email-domain']}`,
          '--reverse-proxy=true',
        ],
        envFrom: [{ secretRef: { name: v.secret } }],
        ports: [{ name: 'auth-http', containerPort: v['proxy-port'], protocol: 'TCP' }],
        readinessProbe: { httpGet: { path: '/ping', port: 'auth-http' }, periodSeconds: 5 },
        resources: resources('32Mi', '128Mi'),
        securityContext: restricted(OAUTH2_PROXY_UID),
      },
    ],
    initContainers: [],
    volumes: [],
    appMounts: [],
  }),
})
