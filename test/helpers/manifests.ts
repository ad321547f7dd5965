// Manifests as a GitOps repository holds them, for the offline commands' tests: a Deployment of
// one `web` container and the Services beside it, in namespace shop.

export interface WebDeployment {
  /** What the template asks for: `patterns/sidecar`. */
  sidecars: string
  /** Labels of the template besides `app: web`, as a YAML flow map's inside. */
  labels: string
  /** The container's ports, each the inside of a YAML list item (`name: http\n containerPort: 8080`). */
  ports: readonly string[]
}

/** The Deployment `shop/<name>`, whose Pods are labelled app: web. */
export function webDeployment(name: string, { sidecars, labels, ports }: WebDeployment): string {
  const items = ports.map((port) => `        - ${port.replaceAll('\n', '\n          ')}\n`)
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: shop
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web, ${labels}}
      annotations:
        patterns/sidecar: ${sidecars}
    spec:
      containers:
      - name: web
        image: web:1
        ports:
${items.join('')}`
}

/** A Service with `spec`, indented as a Service's fields are. */
export function service(name: string, spec: string, namespace = 'shop'): string {
  return `apiVersion: v1\nkind: Service\nmetadata:\n  name: ${name}\n  namespace: ${namespace}\nspec:\n${spec}`
}
