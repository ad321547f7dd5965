// client-node's Watch, made safe to stop. ListWatch (2.0.1) keeps going after stop() in two
// places: a stop() that lands while it waits out a reconnect delay, or while a watch request is
// connecting, is followed by a watch that stop() never aborts; it stays open (and holds the
// process) until the server ends it or 30 s pass without an event. And a Watch that throws
// before its request (no current cluster, a failing credential plugin or token file) rejects a
// promise that ListWatch's reconnect path never awaits: an unhandled rejection.
import { type KubeConfig, Watch } from '@kubernetes/client-node'

/** A Watch that opens nothing once `stopped` is aborted and reports every failure to `done`. */
export class StoppableWatch extends Watch {
  readonly #stopped: AbortSignal

  constructor(kubeConfig: KubeConfig, stopped: AbortSignal) {
    super(kubeConfig)
    this.#stopped = stopped
  }

  override async watch(...args: Parameters<Watch['watch']>): Promise<AbortController> {
    const [, , , done] = args
    if (this.#stopped.aborted) return aborted()
    try {
      const request = await super.watch(...args)
      // stop() came while the request was connecting, when ListWatch had nothing to abort yet.
      if (this.#stopped.aborted) request.abort()
      return request
    } catch (error) {
      done(error)
      return aborted()
    }
  }
}

function aborted(): AbortController {
  const controller = new AbortController()
  controller.abort()
  return controller
}
