// The ValidatingAdmissionPolicy that lets the webhook's ServiceAccount change nothing of its
// webhook configuration but the caBundles (manifests/base/admission-policy.yaml, README
// "Security"). It guards only when bound, and only if the API server could type-check its
// expressions: it reports what it could not in status.typeChecking.expressionWarnings
// (admissionregistration.k8s.io/v1 ValidatingAdmissionPolicyStatus), the place the README tells
// operators to look.
import type {
  V1ValidatingAdmissionPolicy,
  V1ValidatingAdmissionPolicyBinding,
} from '@kubernetes/client-node'
import type { Read } from './facts.ts'
import type { InstallNames } from './names.ts'
import { accessFix, type CheckResult, failed, passed } from './result.ts'

const APPLY = 'kubectl apply -k manifests/ (or your overlay); it needs Kubernetes 1.30 or later'

/** The policy exists, is bound, and its expressions type-check. */
export function checkPolicy(
  policy: Read<V1ValidatingAdmissionPolicy>,
  binding: Read<V1ValidatingAdmissionPolicyBinding>,
  names: InstallNames,
): CheckResult {
  const check = 'admission-policy'
  const what = `ValidatingAdmissionPolicy ${names.admissionPolicy}`
  if ('error' in policy) {
    return failed(check, `${what}: ${policy.error}`, accessFix('get validatingadmissionpolicies'))
  }
  if ('error' in binding) {
    const fix = accessFix('get validatingadmissionpolicybindings')
    return failed(check, `${what}: ${binding.error}`, fix)
  }
  if ('missing' in policy) return failed(check, `${what} does not exist`, APPLY)
  if ('missing' in binding) return failed(check, `${what} is not bound: it guards nothing`, APPLY)
  const warnings = policy.found.status?.typeChecking?.expressionWarnings ?? []
  if (warnings.length > 0) {
    const listed = warnings.map((w) => `${w.fieldRef}: ${w.warning.split('\n')[0]}`).join('; ')
    return failed(
      check,
      `${what}: the API server could not type-check ${listed}`,
      'upgrade the policy with the manifests of this version; a Kubernetes older than the policy cannot check it',
    )
  }
  const checked = policy.found.status?.typeChecking
    ? 'its expressions type-check'
    : 'not type-checked yet'
  return passed(check, `${what} is bound; ${checked}`)
}
