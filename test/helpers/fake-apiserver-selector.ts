// The `labelSelector` query parameter of a list, in the equality-based syntax clients send
// (`kubernetes.io/service-name=web`, `a=b,c!=d`), as k8s.io/apimachinery pkg/labels/selector.go
// Parse reads it: requirements separated by commas, all of which must hold; `=` and `==` mean
// Equals (the key is present with that value), `!=` NotEquals (the key is absent or has another
// value), a bare key Exists and `!key` DoesNotExist. The set-based forms (`in`, `notin`) are not
// restated: a selector using them is undefined here, and the route answers 501.
import type { LabelSelector } from './apiserver/label-selector.ts'

type Expression = NonNullable<LabelSelector['matchExpressions']>[number]

const KEY = '[A-Za-z0-9][-A-Za-z0-9_./]*'
const VALUE = '(?:[A-Za-z0-9](?:[-A-Za-z0-9_.]*[A-Za-z0-9])?)?'
const EQUALS = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`)
const EXISTS = new RegExp(`^(!?)(${KEY})$`)

/** The selector `text` means, as matchExpressions; undefined for syntax the fake does not read. */
export function parseLabelSelector(text: string): LabelSelector | undefined {
  const parts = text.split(',').map((p) => p.trim())
  const expressions = parts.filter((p) => p !== '').map(requirement)
  return expressions.every((e) => e !== undefined) ? { matchExpressions: expressions } : undefined
}

function requirement(part: string): Expression | undefined {
  const equals = EQUALS.exec(part)
  if (equals) {
    const [, key = '', operator, value = ''] = equals
    return { key, operator: operator === '!=' ? 'NotIn' : 'In', values: [value] }
  }
  const exists = EXISTS.exec(part)
  if (!exists) return undefined
  const [, not, key = ''] = exists
  return { key, operator: not ? 'DoesNotExist' : 'Exists' }
}
