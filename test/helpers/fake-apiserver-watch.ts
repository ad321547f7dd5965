// Watches (GET on a collection with ?watch) as the real API server serves them from its watch
// cache (k8s.io/apiserver pkg/storage/cacher): newline-delimited {"type","object"} events in one
// 200 application/json stream, typed objects, bookmarks only for a client that asked for them.
// Reference: https://kubernetes.io/docs/reference/using-api/api-concepts/ ("Efficient detection
// of changes", "Watch bookmarks", "Streaming lists").
import type { ServerResponse } from 'node:http'
import { type CollectionApi, collectionOf, type OpenWatch, typed } from './fake-apiserver-api.ts'
import {
  queryBool,
  queryOptionalBool,
  type RouteRequest,
  sendStatus,
} from './fake-apiserver-http.ts'
import { cause, invalid, type Status, type StatusCause, status } from './fake-apiserver-status.ts'
import type { Change, Collection } from './fake-apiserver-store.ts'

interface WatchOptions {
  /** The resourceVersion to replay changes after; undefined to start with initial events. */
  from: number | undefined
  bookmarks: boolean
  timeoutSeconds: number
}

const INITIAL_EVENTS_END = 'k8s.io/initial-events-end'
// listOpts (pkg/endpoints/handlers/get.go) names invalid options after this kind.
const LIST_OPTIONS = { kind: 'ListOptions', group: 'meta.k8s.io' }

/** Serves one watch: the events it starts with, then every change until the stream ends. */
export function watch(api: CollectionApi, request: RouteRequest, response: ServerResponse): void {
  const collection = collectionOf(api, request)
  const options = watchOptions(request.url.searchParams, collection)
  if ('code' in options) {
    sendStatus(response, options)
    return
  }
  // Headers go out at once: clients wait for them before they count the watch as established.
  response.writeHead(200, { 'Content-Type': 'application/json' })
  response.flushHeaders()
  // A stream ended by dropWatches() or timeoutSeconds stays subscribed until its 'close' event.
  const send = (type: string, object: unknown) => {
    if (!response.writableEnded) response.write(`${JSON.stringify({ type, object })}\n`)
  }
  const { from } = options
  const backlog = from === undefined ? [] : collection.changesSince(from)
  if (backlog === 'expired') {
    // Past authentication and a parseable resourceVersion, the watch cache answers every error
    // in-stream, never with an HTTP 410 (Cacher.Watch: "must fail with a watch event of type
    // ERROR", newErrWatcher); the message is watchCacheHistory.GetIntervalLocked's.
    const message = `too old resource version: ${from} (${collection.compactedAt})`
    send('ERROR', status(410, 'Expired', message))
    response.end()
    return
  }
  const startedAt = from ?? collection.resourceVersion
  const bookmark = (annotations?: Record<string, string>) =>
    send('BOOKMARK', bookmarkObject(api, collection.resourceVersion, annotations))
  if (from === undefined) {
    for (const object of collection.list().items) send('ADDED', typed(api, object))
    // Cacher.setInitialEventsEndBookmarkIfRequested: the end of the initial events, annotated.
    if (options.bookmarks) bookmark({ [INITIAL_EVENTS_END]: 'true' })
  }
  for (const change of backlog) send(change.type, typed(api, change.object))
  const open: OpenWatch = {
    response,
    // cacheWatcher.process sends only bookmarks newer than the watch's start.
    bookmark: () => {
      if (!options.bookmarks || collection.resourceVersion <= startedAt) return false
      bookmark()
      return true
    },
  }
  stream(api, { collection, open, timeoutSeconds: options.timeoutSeconds }, (change) =>
    send(change.type, typed(api, change.object)),
  )
}

function watchOptions(params: URLSearchParams, collection: Collection): WatchOptions | Status {
  const requested = params.get('resourceVersion') ?? ''
  let match = params.get('resourceVersionMatch') ?? ''
  let sendInitialEvents = queryOptionalBool(params, 'sendInitialEvents')
  const legacy = requested === '' || requested === '0'
  // SetListOptionsDefaults (k8s.io/apimachinery pkg/apis/meta/internalversion/defaults.go), with
  // the WatchList feature on by default since 1.34: a watch from "" or "0" starts with the
  // current objects as ADDED events, as it always has.
  if (sendInitialEvents === undefined && match === '' && legacy) {
    sendInitialEvents = true
    match = 'NotOlderThan'
  }
  const problems = optionProblems(sendInitialEvents, match)
  if (problems.length > 0) return invalid(LIST_OPTIONS, '', problems)
  const parsed = legacy ? 0 : parseResourceVersion(requested)
  if (typeof parsed === 'string') {
    // Cacher.Watch returns the storage.InvalidError of APIObjectVersioner.ParseResourceVersion
    // as it is, and ErrorToAPIStatus (pkg/endpoints/handlers/responsewriters/status.go) turns an
    // error that is no Status into a 500 without a reason (kubernetes/kubernetes#139485).
    const message = `resourceVersion: Invalid value: "${requested}": strconv.ParseUint: parsing "${requested}": ${parsed}`
    return status(500, '', message)
  }
  const start = legacy ? collection.resourceVersion : parsed
  return {
    from: sendInitialEvents === true ? undefined : start,
    bookmarks: queryBool(params.get('allowWatchBookmarks')),
    timeoutSeconds: Number(params.get('timeoutSeconds') ?? 0),
  }
}

// validateWatchOptions (k8s.io/apimachinery pkg/apis/meta/internalversion/validation): a watch
// that sends initial events must say resourceVersionMatch=NotOlderThan, and only such a watch
// may say it.
function optionProblems(sendInitialEvents: boolean | undefined, match: string): StatusCause[] {
  const field = 'resourceVersionMatch'
  const problems: StatusCause[] = []
  if (sendInitialEvents !== undefined && match !== 'NotOlderThan') {
    const message =
      'Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan'
    problems.push(cause('FieldValueForbidden', field, message))
  }
  if (match !== '' && sendInitialEvents === undefined) {
    const message =
      'Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided'
    problems.push(cause('FieldValueForbidden', field, message))
  }
  if (match !== '' && match !== 'NotOlderThan') {
    const message = `Unsupported value: "${match}": supported values: "NotOlderThan"`
    problems.push(cause('FieldValueNotSupported', field, message))
  }
  return problems
}

/** strconv.ParseUint(value, 10, 64): the number, or the reason it is not one. */
function parseResourceVersion(value: string): number | string {
  if (!/^\d+$/.test(value)) return 'invalid syntax'
  if (BigInt(value) > 2n ** 64n - 1n) return 'value out of range'
  return Number(value)
}

// A bookmark carries an empty object of the kind with only its resourceVersion set
// (Cacher.dispatchEvents, c.newFunc() and versioner.UpdateObject), encoded as Go encodes it.
function bookmarkObject(
  api: CollectionApi,
  resourceVersion: number,
  annotations?: Record<string, string>,
) {
  const metadata = { resourceVersion: String(resourceVersion), ...(annotations && { annotations }) }
  return { kind: api.collection.kind, apiVersion: api.apiVersion, metadata, ...api.empty }
}

interface Stream {
  collection: Collection
  open: OpenWatch
  timeoutSeconds: number
}

function stream(api: CollectionApi, s: Stream, emit: (change: Change) => void): void {
  const unsubscribe = s.collection.subscribe(emit)
  api.watches.add(s.open)
  const { response } = s.open
  const timer =
    s.timeoutSeconds > 0 ? setTimeout(() => response.end(), s.timeoutSeconds * 1000) : undefined
  response.once('close', () => {
    unsubscribe()
    clearTimeout(timer)
    api.watches.delete(s.open)
  })
}
