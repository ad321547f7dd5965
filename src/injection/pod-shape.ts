// The fields injection reads must have the types it expects. Mutating webhooks run before the
// API server validates the object, so this is checked here, without changing the Pod.
import { Type } from 'typebox'
import { Compile } from 'typebox/compile'
import type { Pod } from './pod.ts'

const Named = Type.Object({ name: Type.String() })
const Port = Type.Object({
  containerPort: Type.Integer(),
  name: Type.Optional(Type.String()),
  protocol: Type.Optional(Type.String()),
})
const Mount = Type.Object({ name: Type.String(), mountPath: Type.String() })
const Container = Type.Object({
  name: Type.String(),
  ports: Type.Optional(Type.Array(Port)),
  volumeMounts: Type.Optional(Type.Array(Mount)),
})

const PodShape = Type.Object({
  metadata: Type.Optional(
    Type.Object({
      name: Type.Optional(Type.String()),
      generateName: Type.Optional(Type.String()),
      namespace: Type.Optional(Type.String()),
      annotations: Type.Optional(Type.Record(Type.String(), Type.String())),
    }),
  ),
  spec: Type.Object({
    containers: Type.Array(Container),
    initContainers: Type.Optional(Type.Array(Container)),
    ephemeralContainers: Type.Optional(Type.Array(Named)),
    volumes: Type.Optional(Type.Array(Named)),
  }),
})

const podValidator = Compile(PodShape)

/** The Pod, or the first field that is not what injection expects (`/spec/containers must be array`). */
export type PodCheck = { ok: true; pod: Pod } | { ok: false; error: string }

/** Checks, without modifying it, that `object` has the Pod fields that injection relies on. */
export function checkPod(object: unknown): PodCheck {
  // The schema above covers every field that the Pod type declares as required.
  if (podValidator.Check(object)) return { ok: true, pod: object as Pod }
  const [first] = podValidator.Errors(object)
  // Without a subject: the webhook checks request.object, the inject command a Pod template.
  return { ok: false, error: `${first?.instancePath} ${first?.message}` }
}
