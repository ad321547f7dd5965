// The review corpus (test/fixtures/reviews) and the namespaces it is answered in
// (test/fixtures/namespaces), read the same way by every test that walks them.
import { readdirSync, readFileSync } from 'node:fs'
import type { NamespaceFacts } from '../../src/injection/scope.ts'

export type FixtureFolder = 'reviews' | 'namespaces'

const folderUrl = (folder: FixtureFolder) => new URL(`../fixtures/${folder}/`, import.meta.url)

/** The JSON files of a fixture folder, by name, so that cases run in a stable order. */
export function fixtureFiles(folder: FixtureFolder): string[] {
  return readdirSync(folderUrl(folder))
    .filter((f) => f.endsWith('.json'))
    .sort()
}

/** A fixture file as it is on disk. */
export function fixtureText(folder: FixtureFolder, file: string): string {
  return readFileSync(new URL(file, folderUrl(folder)), 'utf8')
}

/** A fixture file, parsed. */
export function fixtureJson<T>(folder: FixtureFolder, file: string): T {
  return JSON.parse(fixtureText(folder, file)) as T
}

/** What the API has about each namespace of fixtures/namespaces, as the webhook reads it. */
export function fixtureNamespaces(): NamespaceFacts[] {
  return fixtureFiles('namespaces').map((file) => {
    const { metadata } = fixtureJson<{ metadata: Partial<NamespaceFacts> }>('namespaces', file)
    return {
      name: metadata.name ?? '',
      labels: metadata.labels ?? {},
      annotations: metadata.annotations ?? {},
    }
  })
}
