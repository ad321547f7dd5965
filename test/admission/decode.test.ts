// decodeReview() says why a body is no review: empty, not JSON, nested too deep to be a Pod (a
// bound on the work a hostile body causes, checked before parsing), or not an AdmissionReview.
import t from 'tap'
import {
  DEPTH_CHECKED_FROM,
  decodeReview,
  MAX_DEPTH,
  nestsDeeper,
} from '../../src/admission/decode.ts'
import { podReview } from '../helpers/reviews.ts'

/** A review of a Pod carrying `extra` in an annotation-free field, padded to `length` or more. */
function reviewWith(extra: string, length = 0) {
  const { request } = podReview('shop', { pad: 'x'.repeat(length) })
  const text = JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request,
  })
  return text.replace('"spec":{', `"spec":{"extra":${extra},`)
}

t.test('a large body nested deeper than any Pod is refused before it is parsed', async (t) => {
  const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels)
  const refused = decodeReview(reviewWith(deep(MAX_DEPTH + 1), DEPTH_CHECKED_FROM))
  t.same(refused, {
    ok: false,
    reason: 'too-deep',
    message: `the body nests deeper than ${MAX_DEPTH} levels, which no Pod does`,
  })
  // The review itself nests 4 levels around the Pod's spec.
  t.match(decodeReview(reviewWith(deep(MAX_DEPTH - 4), DEPTH_CHECKED_FROM)), { ok: true })
  // 3.4 million levels in 7 MB took the parse 0.6 s: refused after a scan.
  const started = performance.now()
  t.match(decodeReview(reviewWith(deep(3_400_000))), { ok: false, reason: 'too-deep' })
  t.comment(`scanned 7 MB in ${Math.round(performance.now() - started)} ms`)
  t.match(decodeReview(reviewWith(deep(MAX_DEPTH + 1))), { ok: true }, 'small bodies: parsed')
})

t.test('depth is counted outside strings, whatever they escape', async (t) => {
  t.equal(nestsDeeper('[[[]]]', 2), true)
  t.equal(nestsDeeper('[[]],[[]]', 2), false, 'siblings do not add up')
  t.equal(nestsDeeper('["[[[[", "{{{{"]', 2), false, 'brackets in strings')
  t.equal(nestsDeeper('["\\"[[[[", [[]]]', 2), true, 'an escaped quote does not end a string')
  t.equal(nestsDeeper('["\\\\", [[]]]', 2), true, 'an escaped backslash does not escape the quote')
  t.equal(nestsDeeper('["unterminated [[[[', 2), false)
  t.equal(nestsDeeper('{"a":{"b":{"c":{}}}}', 3), true)
})

t.test('the other reasons', async (t) => {
  t.match(decodeReview(''), { ok: false, reason: 'empty' })
  t.match(decodeReview('{"a":'), { ok: false, reason: 'not-json' })
  t.match(decodeReview('{"__proto__":{"x":1}}'), { ok: false, reason: 'not-json' })
  t.match(decodeReview('[]'), { ok: false, reason: 'not-a-review' })
  t.match(decodeReview(reviewWith('1')), { ok: true })
})
