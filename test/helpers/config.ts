import type { AdmissionConfig } from '../../src/admission/admit.ts'
import { builtinCatalog, defaultImages } from '../../src/injection/sidecars/index.ts'

/** The admission configuration tests use: the built-in catalog, images pinned to a test tag. */
export const testConfig: AdmissionConfig = Object.freeze({
  catalog: builtinCatalog,
  images: defaultImages('0.0.0-test'),
})
