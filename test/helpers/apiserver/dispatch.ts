// The mutating webhook chain for one request, with reinvocation, restated from k8s.io/apiserver:
// - pkg/admission/reinvocation.go reinvoker.Admit: the chain runs once, and once more if a
//   webhook changed the object;
// - pkg/admission/plugin/webhook/mutating/dispatcher.go Dispatch: in order, each webhook that
//   ShouldCallHook selects is called; on the second round only those that had
//   reinvocationPolicy IfNeeded, were called before, and saw a later webhook change the object
//   (reinvocationcontext.go); a webhook first skipped is never called on the second round;
// - failures: a failed call is skipped under Ignore and a 500 under Fail; a denial always
//   rejects; a patch that does not apply is a 500 whatever the policy; dry-run requests reach
//   only webhooks whose sideEffects are None or NoneOnDryRun, else 400.
// Patches are applied with rfc6902, an RFC 6902 library independent of ours, and the object is
// defaulted again afterwards, as callAttrMutatingHook does.
import { isDeepStrictEqual } from 'node:util'
import { applyPatch } from 'rfc6902'
import type { Status } from '../../../src/admission/types.ts'
import type { Attributes, Json } from '../../../src/apiserver/attributes.ts'
import type { Labels } from '../../../src/apiserver/label-selector.ts'
import { shouldCall, type Webhook } from '../../../src/apiserver/webhooks.ts'
import { type CallResult, callWebhook, type Transport } from './call.ts'
import { defaultPod } from './pod-defaults.ts'

/** One webhook call the chain made, for tests to read. */
export interface Call {
  webhook: string
  round: 0 | 1
  uid: string
  result: CallResult['kind']
  changed: boolean
}

export interface ChainResult {
  /** The object after every mutation, or the rejection. */
  outcome: { allowed: true; object: Json } | { allowed: false; status: Status }
  calls: Call[]
  warnings: string[]
  /** Webhooks whose failed call was ignored (the audit annotation failed-open). */
  failedOpen: string[]
  /** Evaluation errors of matchConditions, as apiserver_admission_match_condition_evaluation_errors_total counts them. */
  matchConditionErrors: number
}

export interface ChainInputs {
  webhooks: readonly Webhook[]
  transport: Transport
  namespaceLabels: (name: string) => Labels | null
}

/** Runs the mutating webhooks over `attr` (its object is copied, never edited). */
export async function runMutatingChain(
  inputs: ChainInputs,
  attr: Attributes,
): Promise<ChainResult> {
  const state: ChainState = {
    attr: { ...attr, object: structuredClone(attr.object) },
    result: { calls: [], warnings: [], failedOpen: [], matchConditionErrors: 0 },
    previouslyInvoked: new Set(),
    reinvoke: new Set(),
    shouldReinvoke: false,
  }
  const first = await round(inputs, state, 0)
  if (first) return { ...state.result, outcome: { allowed: false, status: first } }
  if (state.shouldReinvoke) {
    const second = await round(inputs, state, 1)
    if (second) return { ...state.result, outcome: { allowed: false, status: second } }
  }
  return { ...state.result, outcome: { allowed: true, object: state.attr.object } }
}

interface ChainState {
  attr: Attributes
  result: Omit<ChainResult, 'outcome'>
  previouslyInvoked: Set<string>
  reinvoke: Set<string>
  shouldReinvoke: boolean
}

async function round(
  inputs: ChainInputs,
  state: ChainState,
  n: 0 | 1,
): Promise<Status | undefined> {
  const errors = { count: 0 }
  try {
    for (const webhook of inputs.webhooks) {
      const selection = shouldCall(webhook, state.attr, inputs.namespaceLabels, errors)
      if (!selection.call && selection.why === 'rejected') return selection.status
      if (!selection.call) continue
      if (n === 1 && !state.reinvoke.has(webhook.uid)) continue
      const rejected = await invoke(inputs, state, webhook, n)
      if (rejected) return rejected
    }
    return undefined
  } finally {
    state.result.matchConditionErrors += errors.count
  }
}

async function invoke(
  inputs: ChainInputs,
  state: ChainState,
  webhook: Webhook,
  n: 0 | 1,
): Promise<Status | undefined> {
  if (state.attr.dryRun && !['None', 'NoneOnDryRun'].includes(webhook.sideEffects)) {
    const message = `admission webhook "${webhook.name}" does not support dry run`
    return { code: 400, reason: 'BadRequest', message }
  }
  const result = await callWebhook(webhook, state.attr, inputs.transport)
  const applied =
    result.kind === 'allowed' && result.patch ? apply(state.attr.object, result.patch) : undefined
  const object = applied && 'object' in applied ? applied.object : undefined
  const changed = object !== undefined && !isDeepStrictEqual(object, state.attr.object)
  record(state, webhook, {
    webhook: webhook.name,
    round: n,
    uid: result.uid,
    result: result.kind,
    changed,
  })
  if (result.kind !== 'call-error') state.result.warnings.push(...result.warnings)
  if (object) state.attr = { ...state.attr, object }
  return (
    failure(state, webhook, result) ??
    (applied && 'error' in applied ? internal(applied.error) : undefined)
  )
}

// The reinvocation context: a change asks every IfNeeded webhook called before it to run again
// (RequireReinvokingPreviouslyInvokedPlugins), then the webhook joins the called ones.
function record(state: ChainState, webhook: Webhook, call: Call): void {
  state.result.calls.push(call)
  if (call.changed) {
    for (const uid of state.previouslyInvoked) state.reinvoke.add(uid)
    state.previouslyInvoked.clear()
    state.shouldReinvoke = true
  }
  if (webhook.reinvocationPolicy === 'IfNeeded') state.previouslyInvoked.add(webhook.uid)
}

function failure(state: ChainState, webhook: Webhook, result: CallResult): Status | undefined {
  if (result.kind === 'rejected') return result.status
  if (result.kind !== 'call-error') return undefined
  if (webhook.failurePolicy === 'Fail') return internal(result.message)
  state.result.failedOpen.push(webhook.name)
  return undefined
}

const internal = (message: string): Status => ({
  code: 500,
  reason: 'InternalError',
  message: `Internal error occurred: ${message}`,
})

function apply(object: Json, patch: Json[]): { object: Json } | { error: string } {
  const copy = structuredClone(object)
  const failed = applyPatch(copy, patch).find((r) => r !== null)
  if (failed) return { error: `the patch does not apply: ${failed.message}` }
  defaultPod(copy)
  return { object: copy }
}
