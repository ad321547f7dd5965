// Property: however a manifest is formatted (indentation, indented or unindented lists, flow or
// block collections, quoting, comments, anchors, folded long strings, document markers, other
// documents around it, CRLF, no final line break), inject changes only what it adds.
//   - nothing to inject: the same bytes;
//   - injected: the output parses to exactly what the webhook's patch makes of the parsed input
//     (what re-stringifying the patched tree gave), and every line of the input is in the
//     output, in order, but the lines of a flow collection that gained an item;
//   - uninject of the output gives the input's bytes back.
// The Pods are the webhook's own property-test Pods (test/helpers/pod-arbitraries.ts).
import assert from 'node:assert/strict'
import fc from 'fast-check'
import fastJsonPatch from 'fast-json-patch'
import t from 'tap'
import {
  Document,
  isMap,
  isPair,
  isSeq,
  type Node,
  parseAllDocuments,
  visit,
  type YAMLMap,
  type YAMLSeq,
} from 'yaml'
import { injectPod } from '../../src/injection/inject-pod.ts'
import type { Pod } from '../../src/injection/pod.ts'
import { injectSources } from '../../src/offline/inject-documents.ts'
import { findTemplates, type Path, valueAt } from '../../src/offline/templates.ts'
import { uninjectSources } from '../../src/offline/uninject-documents.ts'
import { nodeAt } from '../../src/offline/yaml-change.ts'
import { testCatalog } from '../helpers/config.ts'
import { podReviews } from '../helpers/pod-arbitraries.ts'

const formatting = fc.record({
  asDeployment: fc.boolean(),
  indent: fc.constantFrom(2, 4),
  indentSeq: fc.boolean(),
  stringType: fc.constantFrom('PLAIN' as const, 'QUOTE_DOUBLE' as const, 'QUOTE_SINGLE' as const),
  lineWidth: fc.constantFrom(0, 40),
  // Per collection, in document order: flow style, a comment, an anchor.
  flow: fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
  comments: fc.array(fc.constantFrom(0, 0, 1, 2), { minLength: 60, maxLength: 60 }),
  anchors: fc.array(fc.boolean(), { minLength: 60, maxLength: 60 }),
  markers: fc.constantFrom('none', 'start', 'both'),
  around: fc.constantFrom('alone', 'before', 'after'),
  crlf: fc.boolean(),
  finalBreak: fc.boolean(),
})
type Formatting = typeof formatting extends fc.Arbitrary<infer F> ? F : never

const OTHER =
  'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings}  # not a workload\ndata:\n  key: "value"\n'

function render(object: unknown, f: Formatting): string {
  const doc = new Document(object)
  let i = 0
  visit(doc, {
    Map: (_key, node) => style(node, f, i++),
    Seq: (_key, node) => style(node, f, i++),
  })
  if (f.markers !== 'none' && doc.directives) doc.directives.docStart = true
  let text = doc.toString({
    indent: f.indent,
    indentSeq: f.indentSeq,
    defaultStringType: f.stringType,
    defaultKeyType: 'PLAIN',
    lineWidth: f.lineWidth,
    minContentWidth: 0,
  })
  if (f.markers === 'both') text += '...\n'
  if (f.around === 'before') text = `${OTHER}---\n${text}`
  if (f.around === 'after') text = `${text}---\n${OTHER}`
  if (f.crlf) text = text.replaceAll('\n', '\r\n')
  return f.finalBreak ? text : text.replace(/\r?\n$/, '')
}

function style(node: Node, f: Formatting, i: number): void {
  if (!(isMap(node) || isSeq(node)) || node.items.length === 0) return
  // An empty collection inside a flow one, `{volumes: []}`, looks like one uninject is to remove
  // whole (yaml-deletes.ts says why): the one case where inject then uninject is not exact.
  if (f.flow[i % 60] && !holdsEmpty(node)) node.flow = true
  if (f.anchors[i % 60]) node.anchor = `a${i}`
  const comment = f.comments[i % 60]
  if (comment === 1) node.commentBefore = ` about collection ${i}`
  if (comment === 2) node.comment = ` after collection ${i}`
}

// Whether any collection under `node` is empty: flow style reaches everything under it.
function holdsEmpty(node: YAMLMap | YAMLSeq): boolean {
  return node.items.some((item) => {
    const value = isPair(item) ? item.value : item
    return (isMap(value) || isSeq(value)) && (value.items.length === 0 || holdsEmpty(value))
  })
}

function wrap(pod: Pod, asDeployment: boolean): unknown {
  if (!asDeployment) return pod
  const { apiVersion: _, kind: __, ...template } = pod
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template },
  }
}

/** What the webhook's patch makes of each parsed document, and the lines it may rewrite. */
function oracle(text: string) {
  const lines = new Set<number>()
  const expected = parseAllDocuments(text).map((doc) => {
    const object = doc.toJS() as unknown
    for (const site of findTemplates(object)) {
      const injection = injectPod(valueAt(object, site.path), testCatalog, undefined)
      if (!injection.ok || injection.decision.action !== 'inject') continue
      const { operations } = injection.decision
      for (const line of rewritable(text, doc, site.path, operations)) lines.add(line)
      const pod = valueAt(object, site.path) as Pod
      fastJsonPatch.applyPatch(pod, operations)
    }
    return object
  })
  return { expected, lines }
}

// The lines of a flow collection that gains an item, and of a value replaced.
function rewritable(
  text: string,
  doc: Document,
  base: Path,
  operations: readonly fastJsonPatch.Operation[],
): number[] {
  return operations.flatMap((op) => {
    const path = [...base, ...op.path.split('/').slice(1).map(unescapeSegment)]
    const parent = nodeAt(doc, path.slice(0, -1))
    const touched = op.op === 'replace' ? [nodeAt(doc, path), parent] : [parent]
    return touched.flatMap((node) =>
      node?.range && (op.op === 'replace' || ((isMap(node) || isSeq(node)) && node.flow))
        ? linesOf(text, node.range[0], node.range[1])
        : [],
    )
  })
}

function unescapeSegment(segment: string): string {
  return segment.replaceAll('~1', '/').replaceAll('~0', '~')
}

function linesOf(text: string, start: number, end: number): number[] {
  const first = text.slice(0, start).split('\n').length - 1
  const last = text.slice(0, end).split('\n').length - 1
  return Array.from({ length: last - first + 1 }, (_, k) => first + k)
}

function recordInFlow(text: string): boolean {
  return parseAllDocuments(text).some((doc) =>
    findTemplates(doc.toJS()).some((site) => {
      const annotations = nodeAt(doc, [...site.path, 'metadata', 'annotations'])
      return isMap(annotations) && annotations.flow === true
    }),
  )
}

/** Lines of `before`, but those in `rewritten`, that are not in `after` in the same order. */
function linesLost(before: string, after: string, rewritten: ReadonlySet<number>): string[] {
  // By line content: with CRLF, the last line gains its \r when something is added after it.
  const out = after.split(/\r?\n/)
  const lost: string[] = []
  let from = 0
  for (const [i, line] of before.split(/\r?\n/).entries()) {
    if (rewritten.has(i)) continue
    const found = out.indexOf(line, from)
    if (found === -1) lost.push(line)
    else from = found + 1
  }
  return lost
}

const options = { catalog: testCatalog, namespace: 'elsewhere' }
// FC_RUNS=n runs more, to search further than the suite does.
const RUNS = Number(process.env.FC_RUNS ?? 100)

t.test('inject moves no byte it does not add, however the manifest is written', async (t) => {
  let injected = 0
  fc.assert(
    fc.property(podReviews, formatting, (review, f) => {
      const text = render(wrap(review.request.object, f.asDeployment), f)
      const { outputs, messages } = injectSources([{ name: 'pod.yaml', text }], options)
      const output = outputs[0]?.text ?? ''
      const inPlace = messages.filter((m) => /in place/.test(m.text))
      if (inPlace.length) throw new Error(`not spliced: ${inPlace[0]?.text}`)
      if (output === text) {
        const { expected } = oracle(text)
        assert.deepEqual(
          parseAllDocuments(text).map((d) => d.toJS()),
          expected,
          'nothing to inject',
        )
        return
      }
      injected++
      try {
        const { expected, lines } = oracle(text)
        assert.deepEqual(
          parseAllDocuments(output).map((d) => d.toJS()),
          expected,
        )
        assert.deepEqual(linesLost(text, output, lines), [], 'every other line kept, in order')
        // Two records uninject cannot give back as written: an empty one, `patterns/injected:
        // ""`, cannot be told from none once filled in (uninject removes the key); and a plain
        // one in a flow map had to be quoted to hold a comma (uninject keeps the quotes).
        const record = review.request.object.metadata?.annotations?.['patterns/injected']
        if (record === '' || (record !== undefined && recordInFlow(text))) return
        const back = uninjectSources([{ name: 'pod.yaml', text: output }], testCatalog, {
          namespace: 'default',
        })
        assert.equal(back.outputs[0]?.text, text, 'uninject gives the input back')
      } catch (error) {
        // The texts themselves, which the counterexample only describes.
        const texts = `\n--- input\n${text}\n--- output\n${output}`
        throw new Error(`${(error as Error).message}${texts}`)
      }
    }),
    { numRuns: RUNS },
  )
  // About a fifth of the Pods get sidecars (the others are refused, opted out or ask for none):
  // none at all would make the property vacuous.
  t.ok(injected > 0, `${injected} of ${RUNS} manifests had sidecars injected`)
})
