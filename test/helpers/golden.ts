// Golden files that maintain themselves: a missing or stale golden fails the test, and
// REFRESH_GOLDEN=1 (npm run golden:update) rewrites them for review in the diff.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import type { Test } from 'tap'

const refresh = process.env.REFRESH_GOLDEN === '1'

/** Compares `actual` with the JSON golden file at `url`, or rewrites it when refreshing. */
export function matchGolden(t: Test, url: URL, actual: unknown): void {
  matchGoldenText(t, url, `${JSON.stringify(actual, null, 2)}\n`)
}

/** Compares text with the golden file at `url`, or rewrites it when refreshing. */
export function matchGoldenText(t: Test, url: URL, text: string): void {
  if (refresh) {
    writeFileSync(url, text)
    t.pass(`refreshed ${url.pathname}`)
    return
  }
  if (!existsSync(url)) {
    t.fail(`missing golden ${url.pathname}; run npm run golden:update and review it`)
    return
  }
  t.equal(text, readFileSync(url, 'utf8'), `matches ${url.pathname}`)
}

/** Reads a JSON file next to the tests. */
export function readJson<T>(url: URL): T {
  return JSON.parse(readFileSync(url, 'utf8')) as T
}
