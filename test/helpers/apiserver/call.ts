// One call of one mutating webhook, and what the API server makes of the answer (k8s.io/apiserver
// pkg/admission/plugin/webhook/mutating/dispatcher.go callAttrMutatingHook, request/
// admissionreview.go CreateV1AdmissionReview and VerifyAdmissionResponse, errors/statuserror.go).
import { randomUUID } from 'node:crypto'
import type { Status } from '../../../src/admission/types.ts'
import { type Attributes, admissionRequest, type Json } from '../../../src/apiserver/attributes.ts'
import type { Webhook } from '../../../src/apiserver/webhooks.ts'

/** Sends a review to a webhook; resolves to the HTTP status and body, rejects on a network error. */
export type Transport = (webhook: Webhook, review: Json, signal: AbortSignal) => Promise<Reply>

export interface Reply {
  status: number
  body: string
}

export type CallResult =
  /** ErrCallingWebhook: the failure policy decides. */
  | { kind: 'call-error'; uid: string; message: string }
  /** ErrWebhookRejection: the request fails whatever the failure policy. */
  | { kind: 'rejected'; uid: string; status: Status; warnings: string[] }
  | { kind: 'allowed'; uid: string; patch: Json[] | undefined; warnings: string[] }

/** Calls `webhook` about `attr` through `transport`, within the webhook's timeoutSeconds. */
export async function callWebhook(
  webhook: Webhook,
  attr: Attributes,
  transport: Transport,
): Promise<CallResult> {
  // A new uid for every call, reinvocations included.
  const uid = randomUUID()
  const review = admissionReview(uid, attr)
  let reply: Reply
  try {
    reply = await transport(webhook, review, AbortSignal.timeout(webhook.timeoutSeconds * 1000))
  } catch (error) {
    return { kind: 'call-error', uid, message: `failed to call webhook: ${String(error)}` }
  }
  // The REST client turns any non-2xx answer into a StatusError: a failed call.
  if (reply.status < 200 || reply.status > 299)
    return { kind: 'call-error', uid, message: `failed to call webhook: HTTP ${reply.status}` }
  return verify(webhook.name, uid, reply.body)
}

function verify(webhookName: string, uid: string, body: string): CallResult {
  let answer: Json
  try {
    answer = JSON.parse(body)
  } catch {
    answer = undefined
  }
  const invalid = answer === undefined ? 'not JSON' : envelopeProblem(uid, answer)
  if (invalid) return failed(uid, `received invalid webhook response: ${invalid}`)
  const response = answer.response
  const warnings: string[] = response.warnings ?? []
  if (response.allowed !== true)
    return { kind: 'rejected', uid, status: rejection(webhookName, response.status), warnings }
  if (!response.patch) return { kind: 'allowed', uid, patch: undefined, warnings }
  const patch = decodePatch(response.patch)
  if (!patch) return failed(uid, 'received undecodable patch in webhook response')
  return { kind: 'allowed', uid, patch: patch.length ? patch : undefined, warnings }
}

const failed = (uid: string, message: string): CallResult => ({ kind: 'call-error', uid, message })

// VerifyAdmissionResponse: the review's type, the uid, and a patch only with its type.
function envelopeProblem(uid: string, answer: Json): string | undefined {
  const response = answer?.response
  if (!response) return 'webhook response was absent'
  if (response.uid !== uid) return `expected response.uid="${uid}", got "${response.uid}"`
  if (answer.apiVersion !== 'admission.k8s.io/v1' || answer.kind !== 'AdmissionReview')
    return 'expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview'
  const hasPatch = typeof response.patch === 'string' && response.patch.length > 0
  if (hasPatch && response.patchType === undefined)
    return 'webhook returned response.patch but not response.patchType'
  if (!hasPatch && response.patchType !== undefined)
    return 'webhook returned response.patchType but not response.patch'
  if (hasPatch && response.patchType !== 'JSONPatch')
    return `unsupported patch type "${response.patchType}"`
  return undefined
}

function decodePatch(base64: string): Json[] | undefined {
  try {
    const patch = JSON.parse(Buffer.from(base64, 'base64').toString('utf8'))
    return Array.isArray(patch) ? patch : undefined
  } catch {
    return undefined
  }
}

// errors/statuserror.go ToStatusErr: at least 400, and the message says which webhook denied.
function rejection(webhookName: string, result: Json): Status {
  const deniedBy = `admission webhook "${webhookName}" denied the request`
  const code = typeof result?.code === 'number' && result.code >= 400 ? result.code : 400
  const message = result?.message
    ? `${deniedBy}: ${result.message}`
    : result?.reason
      ? `${deniedBy}: ${result.reason}`
      : `${deniedBy} without explanation`
  return { code, reason: result?.reason ?? '', message }
}

// CreateV1AdmissionReview: the request, its uid, and the object as it stands now.
function admissionReview(uid: string, attr: Attributes): Json {
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid, ...admissionRequest(attr), object: attr.object, oldObject: attr.oldObject },
  }
}
