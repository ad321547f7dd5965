// The labelSelector query parameter as the API server parses and applies it (k8s.io/apimachinery
// pkg/labels/selector.go Parse, whose grammar is):
//   <selector>    ::= <requirement> | <requirement> "," <selector>
//   <requirement> ::= ["!"] KEY [ ("in" | "notin") "(" VALUES ")" | ("=" | "==" | "!=") VALUE
//                     | (">" | "<") INTEGER ]
// and Requirement.Matches: in, = and == need the key with a listed value; notin and != hold when
// the key is absent or its value is not listed; a bare key needs it present, !key absent; > and <
// compare the value as an integer. An empty selector selects everything. What Parse refuses is a
// 400 BadRequest (its message here is the fake's own wording after the API server's prefix).

export interface Requirement {
  key: string
  operator: 'in' | 'notin' | 'exists' | 'doesnotexist' | 'gt' | 'lt'
  values: string[]
}

export type ParsedSelector =
  | { ok: true; requirements: Requirement[] }
  | { ok: false; error: string }

const SET = /^([^\s!=<>(),]+)\s+(in|notin)\s*\(([^()]*)\)$/
const EXACT = /^([^\s!=<>(),]+)\s*(==|!=|=)\s*([^\s!=<>(),]*)$/
const COMPARE = /^([^\s!=<>(),]+)\s*(>|<)\s*(-?[0-9]+)$/
const KEY = /^(!?)\s*([^\s!=<>(),]+)$/

/** Parses a labelSelector value. */
export function parseSelector(text: string): ParsedSelector {
  const requirements: Requirement[] = []
  for (const part of splitTopLevel(text)) {
    const requirement = parseRequirement(part.trim())
    if (!requirement)
      return { ok: false, error: `unable to parse requirement: ${JSON.stringify(part.trim())}` }
    requirements.push(requirement)
  }
  return { ok: true, requirements }
}

/** Whether `labels` satisfy every requirement. */
export function selectorMatches(
  requirements: readonly Requirement[],
  labels: Readonly<Record<string, string>> = {},
): boolean {
  return requirements.every((r) => holds(r, labels))
}

function holds({ key, operator, values }: Requirement, labels: Readonly<Record<string, string>>) {
  const has = Object.hasOwn(labels, key)
  const value = labels[key] ?? ''
  switch (operator) {
    case 'in':
      return has && values.includes(value)
    case 'notin':
      return !has || !values.includes(value)
    case 'exists':
      return has
    case 'doesnotexist':
      return !has
    default: {
      if (!has || !/^-?[0-9]+$/.test(value)) return false
      const bound = Number(values[0])
      return operator === 'gt' ? Number(value) > bound : Number(value) < bound
    }
  }
}

// Commas separate requirements except inside a value set's parentheses.
function splitTopLevel(text: string): string[] {
  if (text.trim() === '') return []
  const parts: string[] = []
  let depth = 0
  let start = 0
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '(') depth++
    else if (text[i] === ')') depth--
    else if (text[i] === ',' && depth === 0) {
      parts.push(text.slice(start, i))
      start = i + 1
    }
  }
  parts.push(text.slice(start))
  return parts
}

type Parse = (match: RegExpExecArray) => Requirement

// Each form of requirement, tried in order, with how its match becomes a requirement.
const FORMS: readonly [RegExp, Parse][] = [
  [SET, (m) => ({ key: m[1] ?? '', operator: m[2] === 'in' ? 'in' : 'notin', values: list(m[3]) })],
  [
    EXACT,
    (m) => ({ key: m[1] ?? '', operator: m[2] === '!=' ? 'notin' : 'in', values: [m[3] ?? ''] }),
  ],
  [
    COMPARE,
    (m) => ({ key: m[1] ?? '', operator: m[2] === '>' ? 'gt' : 'lt', values: [m[3] ?? ''] }),
  ],
  [KEY, (m) => ({ key: m[2] ?? '', operator: m[1] ? 'doesnotexist' : 'exists', values: [] })],
]

const list = (text = '') => text.split(',').map((v) => v.trim())

function parseRequirement(part: string): Requirement | undefined {
  for (const [pattern, parse] of FORMS) {
    const match = pattern.exec(part)
    if (match) return parse(match)
  }
  return undefined
}
