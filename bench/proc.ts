// What a benchmarked process and its direct children (nginx's workers) cost, read from Linux's
// /proc: CPU time and resident memory. The load generator's own cost is never counted.
import { spawnSync } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'

const TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100
const PAGE = Number(spawnSync('getconf', ['PAGESIZE'], { encoding: 'utf8' }).stdout) || 4096

// The fields of /proc/PID/stat after the command name (which may hold spaces), starting with the
// state: the parent's pid is the 2nd, utime and stime the 12th and 13th. [] for a process that
// is gone between listing and reading.
function stat(pid: string): string[] {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  } catch {
    return []
  }
}

/** The process and its direct children. */
function tree(pid: number): string[] {
  const children = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && stat(p)[1] === String(pid))
  return [String(pid), ...children]
}

/** CPU time of the process and its children, in seconds: in user space, and in the kernel
 *  (system calls: socket reads and writes, the loopback's TCP). */
export function cpuSeconds(pid: number): { user: number; system: number } {
  const fields = tree(pid).map(stat)
  const sum = (index: number) => fields.reduce((total, f) => total + Number(f[index] ?? 0), 0)
  return { user: sum(11) / TICKS, system: sum(12) / TICKS }
}

/** Resident memory of the process and its children, in bytes (the 2nd field of statm). Pages
 *  that nginx's master and workers share are counted in each, as `ps` does. */
export function rssBytes(pid: number): number {
  let pages = 0
  for (const p of tree(pid)) {
    try {
      pages += Number(readFileSync(`/proc/${p}/statm`, 'utf8').split(' ')[1] ?? 0)
    } catch {} // gone between listing and reading
  }
  return pages * PAGE
}
