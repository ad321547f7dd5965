// GET /version: the server's version.Info (k8s.io/apimachinery pkg/version/types.go), written
// as raw JSON by k8s.io/apiserver pkg/server/routes/version.go. Managed clusters report minors
// such as "29+" (GKE, EKS), so tests can set any strings a real server sends.
import { type Route, sendJson } from './fake-apiserver-http.ts'

/** The fields of version.Info that clients read; the rest are filled in as a release has them. */
export interface VersionInfo {
  major: string
  minor: string
  gitVersion: string
}

export const DEFAULT_VERSION: VersionInfo = Object.freeze({
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.4',
})

/** The /version route, answering whatever `current()` says at the time of the request. */
export function versionRoute(current: () => VersionInfo): Route {
  return {
    method: 'GET',
    prefix: '/version',
    scope: 'item',
    path: /^\/version\/?$/,
    handle: (_request, response) =>
      sendJson(response, 200, {
        ...current(),
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2025-04-22T16:00:00Z',
        goVersion: 'go1.23.8',
        compiler: 'gc',
        platform: 'linux/amd64',
      }),
  }
}
