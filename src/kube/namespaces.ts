// Each namespace's labels and annotations, as admission needs them (a platform team's
// `patterns/sidecar` default, policies that select namespaces by label), from a watch-backed
// cache instead of one API call per admission review.
import {
  ApiException,
  CoreV1Api,
  type KubeConfig,
  type ObjectCache,
  type V1Namespace,
} from '@kubernetes/client-node'
import { LRUCache } from 'lru-cache'
import type { Logger } from 'pino'
import type { NamespaceLookup } from '../admission/namespaces.ts'
import { type NamespaceFacts, namespaceFacts } from '../injection/scope.ts'
import type { BackoffOptions } from './backoff.ts'
import { superviseInformer } from './informer.ts'
import { DNS_LABEL } from './names.ts'
import { withSignal } from './request-options.ts'

export { loadKubeConfig } from './config.ts'

export interface NamespaceWatcher {
  /** Resolves once the initial list is in the cache; rejects if stop() comes first. */
  start(): Promise<void>
  /** Stops the watch, its restarts and any fallback reads for good. */
  stop(): Promise<void>
  /** For the readiness probe: true from the first complete list on. */
  synced(): boolean
  lookup: NamespaceLookup
  /** Every namespace in the cache now. */
  list(): NamespaceFacts[]
}

export interface WatchNamespacesOptions {
  /** Delays between restarts of a failed list or watch; tests shorten them. */
  backoff?: BackoffOptions
  /** Milliseconds on a monotonic clock, for how long a miss is kept; tests move it by hand. */
  clock?: () => number
}

/** How long the API server's "no such namespace" is believed without asking again. */
export const MISSING_TTL_MS = 10_000
// Names the API server had no namespace for, kept so that a review naming one again costs no
// GET; a small bound, since every entry is a name that reviews from the API server never carry.
const MISSING_MAX = 1024

// Our webhook configuration gives each review timeoutSeconds: 5 (manifests/base; the API server's
// default is 10, its maximum 30), and a fallback read may use all of it. Whether the read times out
// here (the route answers 500) or the API server stops waiting first, the webhook's failurePolicy
// decides; the timeout only ensures that no read outlives its review for long.
const READ_TIMEOUT_MS = 5_000
// Listing every namespace takes well under a second even on large clusters; a minute only
// catches a connection that hangs.
const LIST_TIMEOUT_MS = 60_000

/** Watches every namespace into a cache; call start() to begin and stop() to end. */
export function watchNamespaces(
  kubeConfig: KubeConfig,
  log: Logger,
  options: WatchNamespacesOptions = {},
): NamespaceWatcher {
  const coreV1 = kubeConfig.makeApiClient(CoreV1Api)
  const informer = superviseInformer<V1Namespace>(kubeConfig, {
    path: '/api/v1/namespaces',
    list: (signal) =>
      coreV1.listNamespace({}, withSignal(AbortSignal.any([signal, timeout(LIST_TIMEOUT_MS)]))),
    log,
    ...(options.backoff && { backoff: options.backoff }),
  })
  const read = async (name: string): Promise<V1Namespace | undefined> => {
    log.debug({ namespace: name }, 'namespace not in the cache yet; reading it')
    const signal = AbortSignal.any([informer.signal, timeout(READ_TIMEOUT_MS)])
    try {
      return await coreV1.readNamespace({ name }, withSignal(signal))
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined
      throw error
    }
  }
  return {
    start: informer.start,
    stop: informer.stop,
    synced: informer.synced,
    lookup: cachedLookup(informer.cache, read, missingNames(options.clock)),
    list: () => informer.cache.list().map((n) => toInfo(n.metadata?.name ?? '', n)),
  }
}

/**
 * Answers from the cache, and reads the API server only on a miss. Misses are rare: the API
 * server's NamespaceLifecycle admission plugin refuses objects in a namespace that does not
 * exist before any webhook is called, so a miss means a namespace created moments ago whose
 * ADDED event is still on its way (milliseconds), or one created while the watch was down. They
 * are bounded: concurrent lookups of one name share a single GET, and once the watch delivers
 * the namespace every later lookup is a cache hit. Before the first list (readiness is false,
 * so the API server should send no reviews) every lookup is a miss.
 *
 * A review is only as trustworthy as whoever reached the webhook, so its name is checked first:
 * one that is no namespace name (a DNS-1123 label) is never put into a request path, and a name
 * the API server has no namespace for is kept as missing for MISSING_TTL_MS. A synced cache is not
 * taken as proof that a name it lacks does not exist: that is exactly the namespace created
 * moments ago, whose Pods would go without their policies. The watch comes first, so a kept miss
 * never hides a namespace that the watch has delivered since.
 */
function cachedLookup(
  cache: ObjectCache<V1Namespace>,
  read: (name: string) => Promise<V1Namespace | undefined>,
  missing: LRUCache<string, true>,
): NamespaceLookup {
  const reading = new Map<string, Promise<NamespaceFacts | undefined>>()
  // One frozen copy per cached object, made on its first review rather than on every one; the
  // watch replaces the object when the namespace changes.
  const infos = new WeakMap<V1Namespace, NamespaceFacts>()
  const infoOf = (name: string, namespace: V1Namespace) => {
    const known = infos.get(namespace)
    if (known) return known
    const info = toInfo(name, namespace)
    infos.set(namespace, info)
    return info
  }
  const readOnce = async (name: string) => {
    const namespace = await read(name)
    if (!namespace) missing.set(name, true)
    return namespace && toInfo(name, namespace)
  }
  return {
    get(name) {
      // '' is what a review of a cluster-scoped object carries, and no namespace has a name of
      // another shape: in a path, '' or '.' would list every namespace, '..' read /api/v1.
      if (!DNS_LABEL.test(name)) return Promise.resolve(undefined)
      const cached = cache.get(name)
      if (cached) return Promise.resolve(infoOf(name, cached))
      if (missing.has(name)) return Promise.resolve(undefined)
      let pending = reading.get(name)
      if (!pending) {
        pending = readOnce(name).finally(() => reading.delete(name))
        reading.set(name, pending)
      }
      return pending
    },
  }
}

function missingNames(clock: (() => number) | undefined): LRUCache<string, true> {
  return new LRUCache<string, true>({
    max: MISSING_MAX,
    ttl: MISSING_TTL_MS,
    // Without a timer of its own: a clock read on every check, which tests can set.
    ttlResolution: 0,
    ...(clock && { perf: { now: clock } }),
  })
}

// A frozen copy: callers must not be able to edit the informer's cache. Listed and read objects
// went through client-node's ObjectSerializer, which drops fields its models do not know; only
// labels, annotations and the resourceVersion are read here, so nothing that matters is lost.
function toInfo(name: string, namespace: V1Namespace): NamespaceFacts {
  return namespaceFacts(namespace.metadata?.name ?? name, namespace.metadata)
}

// Timers behind AbortSignal.timeout() are unref'd: a pending one never holds the process open.
const timeout = (ms: number) => AbortSignal.timeout(ms)
