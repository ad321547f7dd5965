// Applies a JSON Patch to a node of a YAML document in place, so that everything the patch does
// not touch, comments and key order included, stays as it was written.
import type { Operation } from 'fast-json-patch'
import { type Document, isSeq } from 'yaml'
import type { Path } from './templates.ts'

/** Applies `operations`, whose paths are relative to `base`, to `doc`. */
export function applyToYaml(doc: Document, base: Path, operations: readonly Operation[]): void {
  for (const operation of operations) {
    const path = resolve(doc, [...base, ...decodePointer(operation.path)])
    const parent = doc.getIn(path.slice(0, -1), true)
    const last = path.at(-1)
    switch (operation.op) {
      case 'add':
        if (isSeq(parent) && typeof last === 'number')
          parent.items.splice(last, 0, doc.createNode(operation.value))
        else doc.setIn(path, doc.createNode(operation.value))
        break
      case 'replace':
        doc.setIn(path, doc.createNode(operation.value))
        break
      case 'remove':
        doc.deleteIn(path)
        break
      default:
        throw new Error(`unexpected patch operation ${operation.op}`)
    }
  }
}

function decodePointer(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
}

// JSON pointers write array indexes as text; the yaml package wants numbers for sequences.
function resolve(doc: Document, path: Path): Path {
  const resolved: Path = []
  for (const segment of path) {
    const parent = resolved.length === 0 ? doc.contents : doc.getIn(resolved, true)
    resolved.push(isSeq(parent) && /^\d+$/.test(String(segment)) ? Number(segment) : segment)
  }
  return resolved
}
