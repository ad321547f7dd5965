// Watches a mounted ConfigMap or Secret. The kubelet updates one by swapping the folder's ..data
// symlink, which a watch on a file would miss, so the folder is watched; a slow poll backs up
// filesystems whose events are unreliable.
import { type FSWatcher, watch } from 'node:fs'

const SETTLE_MS = 50

/** Calls `reload` after changes in `dir` (and every `pollMs`), one call at a time; returns close. */
export function watchFolder(dir: string, reload: () => Promise<void>, pollMs = 10_000): () => void {
  let timer: NodeJS.Timeout | undefined
  let reloading = Promise.resolve()
  // Several events arrive for one update: one read shortly after the first is enough, and a later
  // event schedules another. A pending read is not postponed, so that a poll faster than
  // SETTLE_MS cannot starve it.
  const schedule = () => {
    timer ??= setTimeout(() => {
      timer = undefined
      reloading = reloading.then(reload)
    }, SETTLE_MS)
  }
  const watcher: FSWatcher = watch(dir, schedule)
  const poll = setInterval(schedule, pollMs)
  poll.unref()
  return () => {
    watcher.close()
    clearInterval(poll)
    clearTimeout(timer)
  }
}
