// Label selectors as the API server evaluates a webhook's namespaceSelector and objectSelector,
// restated from k8s.io/apimachinery: metav1.LabelSelectorAsSelector (pkg/apis/meta/v1/helpers.go)
// turns matchLabels into `key in (value)` requirements, and labels.Selector.Matches
// (pkg/labels/selector.go, Requirement.Matches) needs every requirement to hold:
//   In            the key is present and its value is listed;
//   NotIn         the key is absent, or its value is not listed;
//   Exists        the key is present;  DoesNotExist  the key is absent.
// An empty selector selects everything. In and NotIn need values, Exists and DoesNotExist none;
// anything else is an invalid selector, which the API server refuses when the configuration is
// written (and for which ShouldCallHook answers 500: generic/webhook.go).

export interface LabelSelector {
  matchLabels?: Readonly<Record<string, string>>
  matchExpressions?: readonly { key: string; operator: string; values?: readonly string[] }[]
}

export type Labels = Readonly<Record<string, string>> | undefined

/** Whether `labels` satisfy `selector`; throws on a selector the API server would refuse. */
export function selects(selector: LabelSelector | undefined, labels: Labels): boolean {
  const set = labels ?? {}
  const has = (key: string) => Object.hasOwn(set, key)
  const exact = Object.entries(selector?.matchLabels ?? {}).every(
    ([key, value]) => has(key) && set[key] === value,
  )
  return (
    exact &&
    (selector?.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      const problem = expressionProblem(operator, values)
      if (problem) throw new Error(`invalid label selector: ${problem}`)
      const listed = has(key) && values.includes(set[key] ?? '')
      if (operator === 'In') return listed
      if (operator === 'NotIn') return !listed
      return operator === 'Exists' ? has(key) : !has(key)
    })
  )
}

/** What makes a selector one the API server refuses, by expression index; none when valid. */
export function selectorProblems(selector: LabelSelector | undefined): [number, string][] {
  return (selector?.matchExpressions ?? []).flatMap(({ operator, values = [] }, i) => {
    const problem = expressionProblem(operator, values)
    return problem ? [[i, problem] as [number, string]] : []
  })
}

function expressionProblem(operator: string, values: readonly string[]): string | undefined {
  switch (operator) {
    case 'In':
    case 'NotIn':
      return values.length === 0 ? `${operator} needs values` : undefined
    case 'Exists':
    case 'DoesNotExist':
      return values.length > 0 ? `${operator} takes no values` : undefined
    default:
      return `unknown operator ${operator}`
  }
}
