// Names of Kubernetes objects, as the API server validates them (k8s.io/apimachinery
// pkg/util/validation/validation.go): checked before a name is ever sent to it.

/** IsDNS1123Subdomain: most object names, such as a Secret's; also a DNS domain. */
export const DNS_SUBDOMAIN =
  /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/

/** IsDNS1123Label: names that become one DNS label, such as a Service's or a namespace's. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/
