// The catalog in force, reloaded when its file changes (the mounted ConfigMap's folder is watched,
// see src/mounts/watch-folder.ts). An invalid new file is refused and the last good catalog stays
// in force.

import { readFile } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Logger } from 'pino'
import type { Catalog } from '../injection/catalog.ts'
import { watchFolder } from '../mounts/watch-folder.ts'
import type { WebhookMetrics } from '../observability/metrics.ts'
import { loadCatalog } from './load.ts'

export interface CatalogStore {
  current(): Catalog
  close(): void
}

export interface WatchOptions {
  selfImage: string
  log: Logger
  metrics: WebhookMetrics
  /** How often to re-read the file even without a filesystem event. */
  pollMs?: number
  /** Called after each reload attempt that found a changed file; for tests and metrics. */
  onReload?: (result: 'success' | 'failure') => void
}

/** A store that never changes: the built-in catalog, or one loaded once. */
export function fixedCatalog(catalog: Catalog): CatalogStore {
  return { current: () => catalog, close: () => undefined }
}

/** Loads `path` and keeps it current; rejects with every problem if the first load is invalid. */
export async function watchCatalog(path: string, options: WatchOptions): Promise<CatalogStore> {
  let text = await readFile(path, 'utf8')
  const first = loadCatalog({ name: path, text }, options.selfImage)
  if (!first.ok) throw new InvalidCatalogError(path, first.errors)
  let catalog = first.catalog

  const reload = async () => {
    const next = await readFile(path, 'utf8').catch(() => undefined)
    if (next === undefined || next === text) return
    text = next
    const loaded = loadCatalog({ name: path, text }, options.selfImage)
    const result = loaded.ok ? 'success' : 'failure'
    if (loaded.ok) {
      catalog = loaded.catalog
      options.log.info({ path }, 'catalog reloaded')
    } else {
      options.log.error(
        { path, errors: loaded.errors },
        'catalog rejected; the last good one stays in force',
      )
    }
    options.metrics.catalogReloads.inc({ result })
    options.onReload?.(result)
  }
  const close = watchFolder(dirname(path), reload, options.pollMs)
  return {
    current: () => catalog,
    close,
  }
}

/** A catalog file that cannot be used, with every problem found in it. */
export class InvalidCatalogError extends Error {
  readonly problems: readonly string[]
  constructor(path: string, problems: readonly string[]) {
    super(`invalid catalog ${path}:\n  ${problems.join('\n  ')}`)
    this.problems = problems
  }
}
