// git-sync ("hot plug"): keeps a Git ref checked out in a volume shared with every app container.
// A one-time clone runs as an init container so the app never starts on an empty directory;
// after each new version the optional reload URL tells the app to reload or restart.
import type { Container } from '../pod.ts'
import { defineSidecar } from '../sidecar.ts'
import { duration, gitRef, gitRepository, loopbackUrl, mountPath } from '../validators.ts'
import { resources, restricted } from './hardening.ts'

// The git-sync image's own user and group (registry.k8s.io/git-sync/git-sync, v4 Dockerfile).
const GIT_SYNC_UID = 65533
const ROOT = '/git'
/** The app sees the checkout at `<mount-path>/current`; git-sync swaps this symlink atomically. */
export const LINK = 'current'

export const gitSync = defineSidecar({
  name: 'git-sync',
  summary: 'keeps a Git ref checked out in a volume mounted into every app container',
  params: {
    repo: { summary: 'repository to clone', validate: gitRepository, presence: 'required' },
    ref: {
      summary: 'branch, tag or commit to follow',
      validate: gitRef,
      presence: 'defaulted',
      default: 'HEAD',
    },
    period: {
      summary: 'how often to look for a new version',
      validate: duration,
      presence: 'defaulted',
      default: '30s',
    },
    'mount-path': {
      summary: `where app containers see the volume; the checkout is at <mount-path>/${LINK}`,
      validate: mountPath,
      presence: 'defaulted',
      default: '/git',
    },
    'reload-url': {
      summary: 'URL on localhost that git-sync calls after each new version',
      validate: loopbackUrl,
      presence: 'optional',
    },
  },
  listens: () => [],
  appMountPaths: (v) => [{ path: v['mount-path'], param: 'mount-path' }],
  build: (v, context) => {
    const volume = context.volumeName('patterns-git-sync')
    const sync = (name: string, extraArgs: string[]): Container => ({
      name,
      image: context.images.gitSync,
      args: [
        `--repo=${v.repo}`,
        `--ref=${v.ref}`,
        `--root=${ROOT}`,
        `--link=${LINK}`,
        `--period=${v.period}`,
        ...extraArgs,
      ],
      volumeMounts: [{ name: volume, mountPath: ROOT }],
      resources: resources('32Mi', '256Mi'),
      // git needs a writable HOME for its config; the root filesystem stays writable for it.
      securityContext: restricted(GIT_SYNC_UID, { readOnlyRootFilesystem: false }),
    })
    const reload = v['reload-url'] === undefined ? [] : [`--webhook-url=${v['reload-url']}`]
    return {
      containers: [sync(context.containerName('patterns-git-sync'), reload)],
      initContainers: [sync(context.containerName('patterns-git-sync-init'), ['--one-time'])],
      volumes: [{ name: volume, emptyDir: {} }],
      appMounts: [{ name: volume, mountPath: v['mount-path'], readOnly: true }],
    }
  },
})
