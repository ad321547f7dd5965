// Per-call options for client-node's generated API clients.
import { type ConfigurationOptions, Observable } from '@kubernetes/client-node'

/** Request options that abort the call when `signal` does; client-node's own middleware stays. */
export function withSignal(signal: AbortSignal): ConfigurationOptions {
  return {
    middleware: [
      {
        pre: (context) => {
          context.setSignal(signal)
          return new Observable(Promise.resolve(context))
        },
        post: (context) => new Observable(Promise.resolve(context)),
      },
    ],
    middlewareMergeStrategy: 'append',
  }
}
