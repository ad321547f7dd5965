// The EndpointSlice controller's rule for the Pod port a Service port reaches, modelled on
// kubernetes/kubernetes staging/src/k8s.io/endpointslice/utils.go, FindPort: a numeric targetPort
// is that number; a named one is looked up in the regular containers' ports first, then in those
// of native sidecars (init containers with restartPolicy Always), matching name and protocol;
// anything else finds no endpoint. Protocols default to TCP on both sides, as the API server
// defaults them (pkg/apis/core/v1/defaults.go: SetDefaults_ContainerPort, SetDefaults_ServicePort).
import type { Container, Pod } from '../injection/pod.ts'

/** The part of a ServicePort the rule reads. */
export interface ServicePort {
  targetPort: number | string
  /** TCP, UDP or SCTP; TCP when not given. */
  protocol?: string
}

/** The port of `pod` that `servicePort` reaches, or undefined where the controller finds none. */
export function findPort(pod: Pod, servicePort: ServicePort): number | undefined {
  const { targetPort } = servicePort
  if (typeof targetPort === 'number') return targetPort
  const protocol = servicePort.protocol ?? 'TCP'
  for (const container of servingContainers(pod)) {
    const port = portNamed(container, targetPort, protocol)
    if (port !== undefined) return port
  }
  return undefined
}

/** The containers whose ports a Service reaches, in the order it looks: regular, then sidecars. */
export function servingContainers(pod: Pod): Container[] {
  const sidecars = (pod.spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')
  return [...pod.spec.containers, ...sidecars]
}

function portNamed(container: Container, name: string, protocol: string): number | undefined {
  return (container.ports ?? []).find((p) => p.name === name && (p.protocol ?? 'TCP') === protocol)
    ?.containerPort
}
