// The catalog as injection uses it: sidecars by name, the platform's policies, the default mode.
import type { LabelSelector } from '../apiserver/label-selector.ts'
import type { Mode, Sidecar } from './sidecar.ts'

/**
 * The most sidecars a catalog holds: far more than any Pod could run beside its app, and the bound
 * on every list of sidecar names the webhook reads (src/injection/annotations.ts).
 */
export const MAX_SIDECARS = 64

/**
 * What a policy does with a Pod that a required sidecar cannot apply to (a proxy with no app
 * port to front): admit it without the sidecar, with a warning, or refuse it.
 */
export type NotApplicable = 'admit' | 'deny'

/** Sidecars a namespace must have, whatever its Pods say, wherever they apply. */
export interface Policy {
  name: string
  /** Checked when the catalog loads: an operator the API server refuses is refused there too. */
  namespaceSelector: LabelSelector
  required: readonly string[]
  notApplicable: NotApplicable
}

export interface Catalog {
  /**
   * Names what the catalog was made from: its files and the webhook's own image. Catalogs with
   * one revision inject alike, so an answer computed under one holds under the other; a catalog
   * changed by hand must get a revision of its own.
   */
  revision: string
  /** Injection mode unless a Pod says otherwise with `patterns/mode`. */
  mode: Mode
  /** Sidecars by name, in the order they are added to a Pod. */
  sidecars: ReadonlyMap<string, Sidecar>
  policies: readonly Policy[]
}
