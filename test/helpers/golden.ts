// Golden files that maintain themselves: a missing or stale golden fails the test, and so does an
// orphan, a golden that no case writes any more. REFRESH_GOLDEN=1 (npm run golden:update)
// rewrites every golden and deletes the orphans, for review in the diff.
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Test } from 'tap'

export const refreshing = process.env.REFRESH_GOLDEN === '1'
export const goldenFolder = new URL('../golden/', import.meta.url)
const root = fileURLToPath(new URL('../../', import.meta.url))

/**
 * Which test file writes which golden files, by file name. tap runs every test file in a process
 * of its own, so no file sees what the others claim: each owner checks its own names, and
 * test/golden-files.test.ts checks that every file has an owner and golden:update runs them all.
 */
export const GOLDEN_OWNERS: Readonly<Record<string, RegExp>> = {
  'test/admission/golden.test.ts': /\.(response|pod)\.json$/,
  'test/offline/inject.test.ts': /\.injected\.yaml$/,
  'test/injection/real-world-templates.test.ts': /^real-world-templates\.tsv$/,
}

// The golden files this test file has compared or written so far.
const claimed = new Set<string>()

/** Compares `actual` with the JSON golden file at `url`, or rewrites it when refreshing. */
export function matchGolden(t: Test, url: URL, actual: unknown): void {
  matchGoldenText(t, url, `${JSON.stringify(actual, null, 2)}\n`)
}

/** Compares text with the golden file at `url`, or rewrites it when refreshing. */
export function matchGoldenText(t: Test, url: URL, text: string): void {
  claimed.add(relative(fileURLToPath(goldenFolder), fileURLToPath(url)))
  if (refreshing) {
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

/**
 * The last test of a golden-owning file (`owner` is its import.meta.url): every golden file named
 * as this owner's must have been claimed by one of its cases. An orphan fails the run, or is
 * deleted when refreshing.
 */
export function checkOrphanGoldens(tap: Test, owner: string): void {
  const name = relative(root, fileURLToPath(owner))
  tap.test(`no orphan golden files (${name})`, async (t) => {
    const pattern = GOLDEN_OWNERS[name]
    if (!pattern) {
      t.fail(`${name} writes golden files: add it to GOLDEN_OWNERS`)
      return
    }
    for (const file of [...claimed].filter((f) => !pattern.test(f)))
      t.fail(`${name} writes test/golden/${file}, a name GOLDEN_OWNERS does not give it`)
    // A case that failed may have stopped before claiming its files: they are not orphans.
    if (!tap.passing()) {
      t.comment('orphans not checked: an earlier case failed')
      return
    }
    const orphans = goldenFiles().filter((f) => pattern.test(f) && !claimed.has(f))
    removeOrFail(t, orphans, `no case in ${name} writes it`)
  })
}

/** Every file in test/golden/. */
export function goldenFiles(): string[] {
  return readdirSync(goldenFolder).sort()
}

/** Deletes the orphans when refreshing; otherwise each one fails, saying how to clear it. */
export function removeOrFail(t: Test, orphans: string[], why: string): void {
  for (const file of orphans) {
    if (refreshing) {
      rmSync(new URL(file, goldenFolder))
      t.pass(`removed the orphan test/golden/${file}`)
    } else {
      t.fail(
        `orphan golden test/golden/${file}: ${why}. Run npm run golden:update, which removes ` +
          'orphans, and review the diff',
      )
    }
  }
  if (orphans.length === 0) t.pass('every golden file is claimed')
}

/** Reads a JSON file next to the tests. */
export function readJson<T>(url: URL): T {
  return JSON.parse(readFileSync(url, 'utf8')) as T
}
