// The part of autocannon's API the benchmarks use; the package ships no types.
declare module 'autocannon' {
  interface Histogram {
    average: number
    p50: number
    p99: number
    total: number
  }
  interface Request {
    method?: string
    path?: string
    headers?: Record<string, string>
    body?: string | Buffer
  }
  interface Options {
    url: string
    method?: string
    headers?: Record<string, string>
    body?: string | Buffer
    /** Each connection sends these in turn; setupRequest may change a request before it goes. */
    requests?: { setupRequest?: (request: Request) => Request }[]
    connections?: number
    duration?: number
    /** Stop after this many requests instead of after `duration`. */
    amount?: number
    tlsOptions?: import('node:tls').ConnectionOptions
  }
  interface Result {
    requests: Histogram
    latency: Histogram
    errors: number
    timeouts: number
    non2xx: number
  }
  interface Instance {
    stop(): void
  }
  export default function autocannon(options: Options): Promise<Result>
  export default function autocannon(
    options: Options,
    done: (error: Error | null, result: Result) => void,
  ): Instance
}
