// A client-node informer (list, then watch, into a cache) that keeps itself running and stops
// completely. ListWatch 2.0.1 re-watches on its own after a clean end of a watch stream, a
// client-side inactivity timeout or a 410 Expired (which it answers with a relist), but after any
// other error - a failed list, a refused or reset watch - it emits 'error' and does nothing more
// until start() is called again. Here every error is logged and followed by a restart.
import { setTimeout as sleep } from 'node:timers/promises'
import {
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  ListWatch,
  type ObjectCache,
} from '@kubernetes/client-node'
import type { Logger } from 'pino'
import { type Backoff, type BackoffOptions, backoff } from './backoff.ts'
import { StoppableWatch } from './stoppable-watch.ts'

export interface InformerOptions<T extends KubernetesObject> {
  /** The collection's REST path, such as /api/v1/namespaces. */
  path: string
  /** Lists the collection; `signal` aborts when the informer stops. */
  list(signal: AbortSignal): Promise<KubernetesListObject<T>>
  log: Logger
  backoff?: BackoffOptions
}

export interface SupervisedInformer<T extends KubernetesObject> {
  cache: ObjectCache<T>
  /** Resolves once the first list is in the cache; rejects if stop() comes first. */
  start(): Promise<void>
  /** Stops watching for good: no request, timer or restart is left behind. */
  stop(): Promise<void>
  /** True from the first complete list on, like client-go's HasSynced. */
  synced(): boolean
  /** Aborted by stop(), for requests that must not outlive the informer. */
  signal: AbortSignal
}

/** Builds a stopped informer for `options.path`; start() runs it until stop(). */
export function superviseInformer<T extends KubernetesObject>(
  kubeConfig: KubeConfig,
  options: InformerOptions<T>,
): SupervisedInformer<T> {
  const supervisor = new Supervisor(kubeConfig, options)
  return {
    cache: supervisor.informer,
    signal: supervisor.signal,
    start: () => supervisor.start(),
    stop: () => supervisor.stop(),
    synced: () => supervisor.isSynced,
  }
}

class Supervisor<T extends KubernetesObject> {
  readonly informer: ListWatch<T>
  readonly #options: InformerOptions<T>
  readonly #stopping = new AbortController()
  readonly #sync = Promise.withResolvers<void>()
  readonly #delays: Backoff
  #restart: NodeJS.Timeout | undefined
  #started: Promise<void> | undefined
  #listed = false
  #errors = 0
  isSynced = false

  constructor(kubeConfig: KubeConfig, options: InformerOptions<T>) {
    this.#options = options
    this.#delays = backoff(options.backoff)
    const { signal } = this.#stopping
    // Built as makeInformer() builds it, plus a Watch and a reconnect delay that stop() cancels.
    this.informer = new ListWatch<T>(
      options.path,
      new StoppableWatch(kubeConfig, signal),
      () => this.#list(),
      false,
      undefined,
      undefined,
      { delayFn: (ms) => abortableDelay(ms, signal) },
    )
    this.informer.on('error', (error) => this.#failed(error))
  }

  get signal(): AbortSignal {
    return this.#stopping.signal
  }

  start(): Promise<void> {
    this.#started ??= this.#attempt().then(() => this.#sync.promise)
    return this.#started
  }

  async stop(): Promise<void> {
    this.#stopping.abort()
    clearTimeout(this.#restart)
    await this.informer.stop()
    this.#sync.reject(new Error(`stopped before ${this.#options.path} was listed`))
    // Marks the rejection as handled for callers that never called start().
    this.#sync.promise.catch(() => undefined)
  }

  async #list(): Promise<KubernetesListObject<T>> {
    const list = await this.#options.list(this.signal)
    this.#listed = true
    return list
  }

  // ListWatch.start() resolves once the list and the watch request are done, or right after an
  // error: it never rejects for a failed request, so success is "no new error meanwhile".
  async #attempt(): Promise<void> {
    if (this.signal.aborted) return
    const errorsBefore = this.#errors
    // Not expected to throw (StoppableWatch reports failures as errors), but a throw here would
    // otherwise end the informer without a restart.
    await this.informer.start().catch((error: unknown) => this.#failed(error))
    if (this.signal.aborted) return
    if (this.#errors === errorsBefore) this.#delays.reset()
    if (this.#listed && !this.isSynced) {
      this.isSynced = true
      this.#sync.resolve()
    }
  }

  /** Logs the error and schedules one restart after a growing, jittered delay. */
  #failed(error: unknown): void {
    // stop() aborts the open watch, and ListWatch reports that as one more error.
    if (this.signal.aborted) return
    this.#errors += 1
    clearTimeout(this.#restart)
    const retryInMs = this.#delays.next()
    const { log, path } = this.#options
    log.warn({ err: error, path, retryInMs }, 'watch failed; restarting')
    this.#restart = setTimeout(() => void this.#attempt(), retryInMs)
  }
}

/** Waits `ms`, or less if `signal` aborts; it never rejects, as ListWatch awaits it unguarded. */
async function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  await sleep(ms, undefined, { signal }).catch(() => undefined)
}
