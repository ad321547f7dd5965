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
  matchLabels?: Record<string, string>
  matchExpressions?: { key: string; operator: string; values?: string[] }[]
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
      const listed = has(key) && values.includes(set[key] ?? '')
      switch (operator) {
        case 'In':
          return valued(operator, values) && listed
        case 'NotIn':
          return valued(operator, values) && !listed
        case 'Exists':
          return unvalued(operator, values) && has(key)
        case 'DoesNotExist':
          return unvalued(operator, values) && !has(key)
        default:
          throw new Error(`invalid label selector: unknown operator ${operator}`)
      }
    })
  )
}

function valued(operator: string, values: readonly string[]): true {
  if (values.length === 0) throw new Error(`invalid label selector: ${operator} needs values`)
  return true
}

function unvalued(operator: string, values: readonly string[]): true {
  if (values.length > 0) throw new Error(`invalid label selector: ${operator} takes no values`)
  return true
}
