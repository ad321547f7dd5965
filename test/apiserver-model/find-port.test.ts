// The model of the EndpointSlice controller's FindPort (src/apiserver/find-port.ts),
// against the cases its source reads: a number as it is, a name in regular containers first, then
// in native sidecars only, with the protocol matched.
import t from 'tap'
import { findPort } from '../../src/apiserver/find-port.ts'
import type { Pod } from '../../src/injection/pod.ts'

const pod: Pod = {
  spec: {
    initContainers: [
      { name: 'setup', ports: [{ name: 'setup', containerPort: 7000 }] },
      {
        name: 'sidecar',
        restartPolicy: 'Always',
        ports: [
          { name: 'http', containerPort: 15080 },
          { name: 'side', containerPort: 15090 },
        ],
      },
    ],
    containers: [
      { name: 'app', ports: [{ name: 'http', containerPort: 8080 }] },
      { name: 'dns', ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }] },
    ],
  },
}

t.test('FindPort', async (t) => {
  t.equal(findPort(pod, { targetPort: 9999 }), 9999, 'a number is used as it is, declared or not')
  t.equal(findPort(pod, { targetPort: 'http' }), 8080, 'regular containers come first')
  t.equal(findPort(pod, { targetPort: 'side' }), 15090, 'then native sidecars')
  t.equal(findPort(pod, { targetPort: 'setup' }), undefined, 'never other init containers')
  t.equal(findPort(pod, { targetPort: 'dns' }), undefined, 'TCP by default on both sides')
  t.equal(findPort(pod, { targetPort: 'dns', protocol: 'UDP' }), 53)
  t.equal(findPort(pod, { targetPort: 'missing' }), undefined)
})
