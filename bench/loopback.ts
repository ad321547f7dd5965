// What the meter's benchmarks share about the servers they start on 127.0.0.1.
import { once } from 'node:events'
import { type AddressInfo, createServer } from 'node:net'
import { setTimeout as sleep } from 'node:timers/promises'
import { request } from 'undici'

/** Where bench/app.ts tells how many requests it has answered. */
export const COUNT_PATH = '/bench/answered'

/** `count` ports free on 127.0.0.1 a moment ago. */
export async function freePorts(count: number): Promise<string[]> {
  const servers = Array.from({ length: count }, () => createServer().listen(0, '127.0.0.1'))
  await Promise.all(servers.map((s) => once(s, 'listening')))
  const ports = servers.map((s) => String((s.address() as AddressInfo).port))
  for (const s of servers) s.close()
  return ports
}

/** Resolves once `url` answers 200; rejects after `seconds`. */
export async function ready(url: string, seconds = 10): Promise<void> {
  const deadline = performance.now() + seconds * 1000
  while (performance.now() < deadline) {
    try {
      const response = await request(url)
      await response.body.dump()
      if (response.statusCode === 200) return
    } catch {}
    await sleep(100)
  }
  throw new Error(`${url} did not answer 200 within ${seconds} s`)
}
