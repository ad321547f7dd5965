// RFC 6902 patches come from fast-json-patch's diff, never from hand-built JSON pointers: it
// escapes `/` and `~` in keys (patterns~1injected) and adds absent maps and arrays whole.
import fastJsonPatch, { type Operation } from 'fast-json-patch'

export type { Operation }

/** The operations that turn `original` into `mutated`; empty when they are equal. */
export function diff(original: object, mutated: object): Operation[] {
  return fastJsonPatch.compare(original, mutated)
}
