// Hosts that git-sync must not be pointed at. It runs in the Pod, with the Pod's network: a
// repository URL is a request the Pod's author makes from inside the cluster, and some addresses
// answer it with what is not theirs to read (a node's cloud credentials, the cluster's API).
// Private addresses and cluster Services stay allowed: that is where in-house Git servers live.

// Cloud metadata services outside the link-local range, and the names they answer to.
const METADATA_HOSTS = new Set([
  '100.100.100.200', // Alibaba Cloud
  'metadata',
  'metadata.google.internal',
  'metadata.goog',
  'instance-data',
  'instance-data.ec2.internal',
])

/** Why git-sync may not fetch from `host` (as written in the URL), or undefined if it may. */
export function forbiddenGitHost(host: string): string | undefined {
  const name = canonical(host)
  const address = ipv4(name)
  if (address) {
    const [a, b] = address
    if (a === 169 && b === 254) return `${name} is link-local, where cloud metadata services answer`
    if (a === 127 || a === 0) return `${name} is this Pod's own loopback`
  }
  if (METADATA_HOSTS.has(name)) return `${name} is a cloud metadata service`
  if (name === 'localhost' || name.endsWith('.localhost'))
    return `${name} is this Pod's own loopback`
  // The API server's Service, in every cluster: kubernetes.default.svc.<cluster domain>.
  if (/^kubernetes(\.default(\.svc(\..*)?)?)?$/.test(name))
    return `${name} is the cluster's API server`
  return undefined
}

// As git and ssh resolve it: case-insensitive, a final dot ignored, an IPv4 address in any of the
// forms inet_aton takes (2852039166, 0xA9FEA9FE, 0251.0376.0251.0376, 169.254.43518) written as
// four decimals, which the WHATWG URL parser does.
function canonical(host: string): string {
  let name: string
  try {
    name = new URL(`http://${host}/`).hostname
  } catch {
    name = host.toLowerCase()
  }
  return name.endsWith('.') ? name.slice(0, -1) : name
}

function ipv4(name: string): number[] | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name)
  return match ? match.slice(1).map(Number) : undefined
}
