// The defaults the API server fills into a Pod when it decodes one, before admission and again
// after each webhook's patch (mutating/dispatcher.go callAttrMutatingHook calls the defaulter), so
// that a webhook called again sees them. A subset of kubernetes pkg/apis/core/v1/defaults.go,
// chosen for what injection touches: SetDefaults_PodSpec, SetDefaults_Container, _ContainerPort,
// _Probe, _HTTPGetAction, _Volume, _SecretVolumeSource, _ConfigMapVolumeSource.
import type { Json } from '../../../src/apiserver/attributes.ts'

/** Fills the defaults into `pod`, in place. */
export function defaultPod(pod: Json): void {
  const spec = pod.spec
  if (typeof spec !== 'object' || spec === null) return
  spec.restartPolicy ??= 'Always'
  spec.dnsPolicy ??= 'ClusterFirst'
  spec.terminationGracePeriodSeconds ??= 30
  spec.securityContext ??= {}
  spec.schedulerName ??= 'default-scheduler'
  spec.enableServiceLinks ??= true
  for (const container of [...(spec.initContainers ?? []), ...(spec.containers ?? [])])
    defaultContainer(container)
  for (const volume of spec.volumes ?? []) defaultVolume(volume)
}

function defaultContainer(c: Json): void {
  c.imagePullPolicy ??= imageTag(String(c.image ?? '')) === 'latest' ? 'Always' : 'IfNotPresent'
  c.terminationMessagePath ??= '/dev/termination-log'
  c.terminationMessagePolicy ??= 'File'
  for (const port of c.ports ?? []) port.protocol ??= 'TCP'
  for (const probe of [c.readinessProbe, c.livenessProbe, c.startupProbe]) {
    if (!probe) continue
    probe.timeoutSeconds ??= 1
    probe.periodSeconds ??= 10
    probe.successThreshold ??= 1
    probe.failureThreshold ??= 3
    if (probe.httpGet) {
      probe.httpGet.path ??= '/'
      probe.httpGet.scheme ??= 'HTTP'
    }
  }
}

// parsers.ParseImageName: an image with neither tag nor digest is "latest".
function imageTag(image: string): string {
  const [name = '', digest] = image.split('@')
  const colon = name.lastIndexOf(':')
  const tag = colon > name.lastIndexOf('/') ? name.slice(colon + 1) : ''
  return tag || (digest ? '' : 'latest')
}

// A volume with no source at all is an emptyDir.
function defaultVolume(v: Json): void {
  if (Object.keys(v).every((k) => k === 'name')) v.emptyDir = {}
  if (v.secret) v.secret.defaultMode ??= 0o644
  if (v.configMap) v.configMap.defaultMode ??= 0o644
}
