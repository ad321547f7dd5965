// GET /version, as k8s.io/apiserver pkg/server/routes/version.go serves it: the version.Info of
// k8s.io/apimachinery pkg/version/types.go, written raw (no kind, no apiVersion), with the JSON
// field names of that struct. What `kubectl version`, `sidecar-patterns version` and `check`
// read. Managed clusters report minors such as "29+" (GKE, EKS), so tests can set any strings a
// real server sends.
import { type Route, sendJson } from './fake-apiserver-http.ts'

/** The fields of version.Info that clients read; the rest are filled in as a release has them. */
export interface VersionInfo {
  major: string
  minor: string
  gitVersion: string
}

/** The version the fake reports unless a test sets another, as a v1.34 API server reports its own. */
export const DEFAULT_VERSION: VersionInfo = Object.freeze({
  major: '1',
  minor: '34',
  gitVersion: 'v1.34.1',
})

/** The /version route (GET only), answering whatever `current()` says at the time of the request. */
export function versionRoute(current: () => VersionInfo): Route {
  return {
    method: 'GET',
    prefix: '/version',
    scope: 'item',
    path: /^\/version\/?$/,
    handle: (_request, response) => {
      const { major, minor } = current()
      sendJson(response, 200, {
        ...current(),
        emulationMajor: major,
        emulationMinor: minor,
        gitCommit: '93248f9ae092f571eb6b56e7a4d7a1ce29a5f7b3',
        gitTreeState: 'clean',
        buildDate: '2025-09-09T19:44:50Z',
        goVersion: 'go1.24.6',
        compiler: 'gc',
        platform: 'linux/amd64',
      })
    },
  }
}
