// Where a shared volume must not be mounted in app containers: a volume hides whatever the image
// has at its path, and below these the image keeps its programs, libraries and trusted
// certificates, and the kubelet its own mounts (the service account token, /etc/hosts). A Pod
// would start, then fail in ways far from the annotation that caused it.

// A volume at one of these paths, or anywhere below it, hides what the container needs to run.
const SYSTEM_TREES = [
  'bin',
  'sbin',
  'lib',
  'lib32',
  'lib64',
  'libx32',
  'boot',
  'dev',
  'proc',
  'sys',
  'usr/bin',
  'usr/sbin',
  'usr/lib',
  'usr/lib32',
  'usr/lib64',
  'usr/libexec',
  'usr/local/bin',
  'usr/local/sbin',
  'usr/local/lib',
  'etc/ssl',
  'etc/pki',
  'etc/ca-certificates',
  'usr/share/ca-certificates',
  'usr/local/share/ca-certificates',
  'etc/hosts',
  'etc/hostname',
  'etc/resolv.conf',
  'etc/passwd',
  'etc/group',
  'etc/shadow',
  'etc/nsswitch.conf',
  'etc/ld.so.cache',
  'etc/ld.so.conf',
  'etc/ld.so.conf.d',
  'var/run/secrets',
  'run/secrets',
]

// These hold the trees above and much of what an image installs: a volume at one of them hides
// it all, while one further down (/usr/share/nginx/html, /var/www, /etc/site) hides only itself.
const SYSTEM_PARENTS = [
  'etc',
  'usr',
  'usr/local',
  'usr/share',
  'var',
  'var/lib',
  'var/run',
  'run',
  'opt',
  'tmp',
  'root',
  'home',
]

/** Whether `segments` (a normalised absolute path, split) is or lies in a system directory. */
export function isSystemPath(segments: readonly string[]): boolean {
  const path = segments.join('/')
  return (
    SYSTEM_PARENTS.includes(path) ||
    SYSTEM_TREES.some((tree) => path === tree || path.startsWith(`${tree}/`))
  )
}
