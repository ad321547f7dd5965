// The fake API server's storage: one collection per resource (per namespace for a namespaced
// one), all sharing one resourceVersion counter as etcd's revision is shared by every key, and a
// history of changes for watches.
import { randomUUID } from 'node:crypto'

export interface ObjectMeta {
  name: string
  namespace?: string
  uid: string
  resourceVersion: string
  creationTimestamp: string
  labels?: Record<string, string>
  annotations?: Record<string, string>
  ownerReferences?: unknown[]
}

/** An object as stored: metadata plus whatever the resource has (spec, status, data...). */
export interface StoredObject {
  metadata: ObjectMeta
  [field: string]: unknown
}

export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED'

export interface Change {
  type: ChangeType
  object: StoredObject
  resourceVersion: number
}

/** What a test writes: the metadata it cares about, and the rest of the object. */
export interface ObjectInput {
  labels?: Record<string, string>
  annotations?: Record<string, string>
  ownerReferences?: unknown[]
  body?: Record<string, unknown>
}

/** The cluster-wide revision; every write to any collection moves it forward. */
export class Revision {
  current = 1
  /** Like etcd compaction, which is cluster-wide: a watch from an older revision gets 410. */
  compactedAt = 0
  next(): number {
    this.current += 1
    return this.current
  }
  /** Forgets the history up to now; an unrelated write moves the revision on, as in etcd. */
  compact(): number {
    this.compactedAt = this.next()
    return this.compactedAt
  }
}

/** One resource's objects by name, with the changes a watch may still replay. */
export class Collection {
  readonly kind: string
  readonly plural: string
  /** Set for the objects of one namespace of a namespaced resource. */
  readonly namespace: string | undefined
  readonly #revision: Revision
  readonly #objects = new Map<string, StoredObject>()
  readonly #listeners = new Set<(change: Change) => void>()
  readonly #history: Change[] = []

  constructor(revision: Revision, kind: string, plural: string, namespace?: string) {
    this.#revision = revision
    this.kind = kind
    this.plural = plural
    this.namespace = namespace
  }

  list(): { items: StoredObject[]; resourceVersion: string } {
    const items = [...this.#objects.values()].sort((a, b) =>
      a.metadata.name.localeCompare(b.metadata.name),
    )
    return { items, resourceVersion: String(this.#revision.current) }
  }

  /** The revision as of now: what a list or a bookmark reports. */
  get resourceVersion(): number {
    return this.#revision.current
  }

  /** A watch from a resourceVersion older than this is answered 410 Expired. */
  get compactedAt(): number {
    return this.#revision.compactedAt
  }

  get(name: string): StoredObject | undefined {
    return this.#objects.get(name)
  }

  create(name: string, input: ObjectInput): StoredObject {
    if (this.#objects.has(name)) throw new Error(`${this.plural} "${name}" already exists`)
    const rv = this.#revision.next()
    const metadata: ObjectMeta = {
      name,
      ...(this.namespace !== undefined && { namespace: this.namespace }),
      uid: randomUUID(),
      resourceVersion: String(rv),
      creationTimestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    }
    return this.#record('ADDED', withInput({ metadata }, input), rv)
  }

  /** Replaces the labels, annotations and body fields that `input` names. */
  update(name: string, input: ObjectInput): StoredObject {
    const current = this.#require(name)
    const rv = this.#revision.next()
    const metadata = { ...current.metadata, resourceVersion: String(rv) }
    return this.#record('MODIFIED', withInput({ ...current, metadata }, input), rv)
  }

  /** Replaces everything but the system metadata (name, namespace, uid, creationTimestamp), as a
   *  PUT or a patch does: labels, annotations and fields that `input` leaves out are gone. */
  replace(name: string, input: ObjectInput): StoredObject {
    const {
      labels: _l,
      annotations: _a,
      ownerReferences: _o,
      ...system
    } = this.#require(name).metadata
    const rv = this.#revision.next()
    const metadata = { ...system, resourceVersion: String(rv) }
    const complete = { labels: {}, annotations: {}, ...input }
    return this.#record('MODIFIED', withInput({ metadata }, complete), rv)
  }

  delete(name: string): StoredObject {
    const current = this.#require(name)
    const rv = this.#revision.next()
    const object = { ...current, metadata: { ...current.metadata, resourceVersion: String(rv) } }
    this.#objects.delete(name)
    return this.#record('DELETED', object, rv)
  }

  /** The changes after `resourceVersion`, or 'expired' when compaction forgot some of them. */
  changesSince(resourceVersion: number): Change[] | 'expired' {
    if (resourceVersion < this.compactedAt) return 'expired'
    return this.#history.filter((change) => change.resourceVersion > resourceVersion)
  }

  subscribe(listener: (change: Change) => void): () => void {
    this.#listeners.add(listener)
    return () => this.#listeners.delete(listener)
  }

  #require(name: string): StoredObject {
    const current = this.#objects.get(name)
    if (!current) throw new Error(`${this.plural} "${name}" not found`)
    return current
  }

  #record(type: ChangeType, object: StoredObject, resourceVersion: number): StoredObject {
    if (type !== 'DELETED') this.#objects.set(object.metadata.name, object)
    const change = { type, object, resourceVersion }
    this.#history.push(change)
    for (const listener of this.#listeners) listener(change)
    return object
  }
}

/** A namespaced resource: a Collection per namespace, made on first use, sharing the revision. */
export class NamespacedCollection {
  readonly kind: string
  readonly plural: string
  readonly #revision: Revision
  readonly #namespaces = new Map<string, Collection>()

  constructor(revision: Revision, kind: string, plural: string) {
    this.#revision = revision
    this.kind = kind
    this.plural = plural
  }

  /** Every namespace's objects, in etcd's key order: by namespace, then by name. */
  listAll(): { items: StoredObject[]; resourceVersion: string } {
    const namespaces = [...this.#namespaces.keys()].sort()
    const items = namespaces.flatMap((ns) => this.in(ns).list().items)
    return { items, resourceVersion: String(this.#revision.current) }
  }

  /** A watch or continue token older than this is expired. */
  get compactedAt(): number {
    return this.#revision.compactedAt
  }

  in(namespace: string): Collection {
    let collection = this.#namespaces.get(namespace)
    if (!collection) {
      collection = new Collection(this.#revision, this.kind, this.plural, namespace)
      this.#namespaces.set(namespace, collection)
    }
    return collection
  }
}

// The API server omits empty labels and annotations rather than sending {}.
function withInput(object: StoredObject, input: ObjectInput): StoredObject {
  const next: StoredObject = { ...object, ...input.body, metadata: { ...object.metadata } }
  if (input.labels !== undefined) setOrOmit(next.metadata, 'labels', input.labels)
  if (input.annotations !== undefined) setOrOmit(next.metadata, 'annotations', input.annotations)
  if (input.ownerReferences?.length) next.metadata.ownerReferences = [...input.ownerReferences]
  return next
}

function setOrOmit(
  metadata: ObjectMeta,
  key: 'labels' | 'annotations',
  value: Record<string, string>,
): void {
  if (Object.keys(value).length > 0) metadata[key] = { ...value }
  else delete metadata[key]
}
