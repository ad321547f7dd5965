// The webhook's JSON Patch, read as changes to a YAML document as written (yaml-splice.ts). The
// patch is a diff (src/injection/patch.ts): it adds whole values where a key was missing, appends
// to lists, and replaces scalars; an insertion in the middle of a list never comes out of it.
import type { Document } from 'yaml'
import { isSeq } from 'yaml'
import type { Operation } from '../injection/patch.ts'
import type { Path } from './templates.ts'
import { type Change, nodeAt, SpliceError } from './yaml-change.ts'

/** `operations`, whose paths are relative to `base`, as changes to `doc`. */
export function changesOf(doc: Document, base: Path, operations: readonly Operation[]): Change[] {
  return operations.map((operation) => {
    const path = [...base, ...decodePointer(operation.path)]
    switch (operation.op) {
      case 'add':
        return added(doc, path, operation.value)
      case 'replace':
        return { op: 'set', path, value: operation.value }
      case 'remove':
        return { op: 'delete', path }
      default:
        throw new SpliceError(`unexpected patch operation ${operation.op}`)
    }
  })
}

// An add into a list appends (the diff only ever adds past the end); into a map it sets a key.
function added(doc: Document, path: Path, value: unknown): Change {
  const parentPath = path.slice(0, -1)
  const parent = nodeAt(doc, parentPath)
  if (!isSeq(parent)) return { op: 'set', path, value }
  const index = path.at(-1)
  if (index !== '-' && Number(index) < parent.items.length)
    throw new SpliceError(`/${path.join('/')}: an insertion before the end of a list`)
  return { op: 'append', path: parentPath, value }
}

function decodePointer(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
}
