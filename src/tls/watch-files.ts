// Certificates that another tool writes into a mounted folder (cert-manager's Secret as a volume),
// reloaded when they change. The kubelet updates a Secret volume by writing a new timestamped
// folder and swapping the `..data` symlink to it, so the folder is watched, not the files (a
// watch on a file follows the inode the old symlink pointed to); a slow poll backs up filesystems
// whose events are unreliable. A new pair is served only when it parses, its key matches and it
// has not expired; otherwise the old one stays, with an error log line.

import { readFile, realpath } from 'node:fs/promises'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { watchFolder } from '../mounts/watch-folder.ts'
import { FILES, isSameCertificate, type ServingCertificate } from './certificates.ts'
import { servingProblem } from './inspect.ts'

export interface CertificateFiles {
  /** What is served now. */
  current(): ServingCertificate
  close(): void
}

export interface WatchFilesOptions {
  /** How often to re-read the files even without a filesystem event; default 10 s. */
  pollMs?: number
  /** The clock that decides whether a certificate has expired. */
  now?: () => Date
}

/** Reads tls.crt, tls.key and ca.crt (optional) from `dir`, and calls back when they change. */
export async function watchCertificateFiles(
  dir: string,
  onCertificate: (certificate: ServingCertificate) => void,
  log: Logger,
  options: WatchFilesOptions = {},
): Promise<CertificateFiles> {
  const now = options.now ?? (() => new Date())
  let served = await readCertificateFiles(dir, now())
  let refused: string | undefined

  const reload = async () => {
    const next = await nextCertificate(dir, served, now())
    if (next === undefined) {
      refused = undefined
    } else if ('problem' in next) {
      // Logged once per bad content, not on every poll.
      if (next.problem !== refused) {
        log.error({ dir, problem: next.problem }, 'certificate files refused; the last good stay')
      }
      refused = next.problem
    } else {
      served = next
      refused = undefined
      log.info({ dir }, 'serving the new certificate from the mounted files')
      onCertificate(next)
    }
  }
  const close = watchFolder(dir, reload, options.pollMs)
  return {
    current: () => served,
    close,
  }
}

/** The certificate in `dir`; throws with the reason when it cannot be served at `now`. */
export async function readCertificateFiles(dir: string, now: Date): Promise<ServingCertificate> {
  const certificate = await readFiles(dir)
  const problem = servingProblem(certificate.cert, certificate.key, now)
  if (problem !== undefined) throw new Error(`${dir}: ${problem}`)
  return certificate
}

/** The files if they changed and can be served, why not if they cannot, undefined if unchanged. */
async function nextCertificate(
  dir: string,
  served: ServingCertificate,
  now: Date,
): Promise<ServingCertificate | { problem: string } | undefined> {
  let files: ServingCertificate
  try {
    files = await readFiles(dir)
  } catch (error) {
    return { problem: (error as Error).message }
  }
  if (isSameCertificate(files, served)) return undefined
  const problem = servingProblem(files.cert, files.key, now)
  return problem === undefined ? files : { problem }
}

// Read through the `..data` symlink resolved once, so that all three files come from the same
// update even if the kubelet swaps the link between two reads. A plain folder has no `..data`.
async function readFiles(dir: string): Promise<ServingCertificate> {
  const base = await realpath(join(dir, '..data')).catch(() => dir)
  const read = (name: string) => readFile(join(base, name), 'utf8')
  const [cert, key, ca] = await Promise.all([
    read(FILES.cert),
    read(FILES.key),
    read(FILES.ca).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined
      throw error
    }),
  ])
  return { cert, key, ca }
}
