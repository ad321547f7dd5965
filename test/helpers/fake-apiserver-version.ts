// GET /version, as k8s.io/apiserver pkg/server/routes/version.go serves it: the version.Info of
// k8s.io/apimachinery pkg/version/types.go, written raw (no kind, no apiVersion), with the JSON
// field names of that struct. What `kubectl version` and `sidecar-patterns version` read.
import type { Route } from './fake-apiserver-http.ts'

/** The version the fake reports, as a v1.34 API server reports its own. */
export const FAKE_SERVER_VERSION = {
  major: '1',
  minor: '34',
  emulationMajor: '1',
  emulationMinor: '34',
  minCompatibilityMajor: '1',
  minCompatibilityMinor: '33',
  gitVersion: 'v1.34.1',
  gitCommit: '93248f9ae092f571eb6b56e7a4d7a1ce29a5f7b3',
  gitTreeState: 'clean',
  buildDate: '2025-09-09T19:44:50Z',
  goVersion: 'go1.24.6',
  compiler: 'gc',
  platform: 'linux/amd64',
} as const

/** The /version web service: GET only. */
export const versionRoute: Route = {
  method: 'GET',
  prefix: '/version',
  scope: 'item',
  path: /^\/version\/?$/,
  handle: (_request, response) => {
    response.writeHead(200, { 'Content-Type': 'application/json' })
    response.end(JSON.stringify(FAKE_SERVER_VERSION))
  },
}
