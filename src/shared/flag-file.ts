// A file named by a flag that cannot be read is reported with the flag, the path and the system's
// reason, as `--config: cannot read x.yaml: ENOENT: no such file or directory`, not as Node's
// bare `ENOENT: no such file or directory, open 'x.yaml'`.
import { readFile } from 'node:fs/promises'

/** An error that names the flag whose file could not be read. */
export class FlagFileError extends Error {
  readonly flag: string
  constructor(flag: string, path: string, cause: unknown) {
    super(`${flag}: cannot read ${path}: ${reason(cause)}`, { cause })
    this.flag = flag
  }
}

/** The text of the file that `flag` names; rejects with a FlagFileError. */
export async function readFlagFile(flag: string, path: string): Promise<string> {
  return readFile(path, 'utf8').catch((error: unknown) => {
    throw new FlagFileError(flag, path, error)
  })
}

/** `error` as a FlagFileError when the system refused a file (ENOENT, EACCES...), else as it was. */
export function namingFlag(flag: string, path: string, error: unknown): unknown {
  return isSystemError(error) ? new FlagFileError(flag, path, error) : error
}

function isSystemError(error: unknown): error is NodeJS.ErrnoException {
  return error instanceof Error && typeof (error as NodeJS.ErrnoException).syscall === 'string'
}

// Node's message is `CODE: description, syscall 'path'`; the path is already said.
function reason(error: unknown): string {
  if (!isSystemError(error)) return error instanceof Error ? error.message : String(error)
  return error.message.replace(/, \w+ '.*'$/s, '')
}
