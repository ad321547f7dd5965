// Templates are filled once with validated values: typed where Kubernetes wants numbers, text
// elsewhere, list items left out when they use an unset optional parameter, and values never
// read again as templates.
import t from 'tap'
import {
  compileTemplate,
  placeholders,
  type Values,
  wholePlaceholder,
} from '../../src/catalog/render.ts'

const render = <T>(template: T, values: Values): T => compileTemplate(template)(values)

t.test('finds placeholders', async (t) => {
  t.same(placeholders('--a={{x}} --b={{ y-z }} {{self.image}}'), ['x', 'y-z', 'self.image'])
  t.same(
    [wholePlaceholder('{{port}}'), wholePlaceholder('{{port}}/x'), wholePlaceholder('x')],
    ['port', undefined, undefined],
  )
})

t.test('ports stay numbers where Kubernetes wants numbers, and are text in args', async (t) => {
  const template = {
    args: ['--listen', '0.0.0.0:{{p}}', '{{p}}'],
    ports: [{ name: 'http', containerPort: '{{p}}' }],
    readinessProbe: { httpGet: { path: '/', port: '{{p}}' } },
  }
  t.same(render(template, { p: 8080 }), {
    args: ['--listen', '0.0.0.0:8080', '8080'],
    ports: [{ name: 'http', containerPort: 8080 }],
    readinessProbe: { httpGet: { path: '/', port: 8080 } },
  })
})

t.test(
  'a list item that uses an unset optional parameter is left out, with all of it',
  async (t) => {
    const template = {
      args: ['--a', '--hook={{hook}}', '--b'],
      env: [
        { name: 'A', value: '{{a}}' },
        { name: 'HOOK', value: '{{hook}}' },
      ],
    }
    t.same(render(template, { a: 'x', hook: undefined }), {
      args: ['--a', '--b'],
      env: [{ name: 'A', value: 'x' }],
    })
    t.throws(() => render({ workingDir: '{{hook}}' }, { hook: undefined }), /outside any list/)
  },
)

t.test('values are substituted once: a value that looks like a template stays text', async (t) => {
  const rendered = render(
    { args: ['--repo={{repo}}', '{{other}}'] },
    { repo: '{{other}}', other: 'secret' },
  )
  t.same(rendered, { args: ['--repo={{other}}', 'secret'] })
  t.same(
    render({ workingDir: '$(HOME)/{{x}}' }, { x: '$(PATH)' }),
    { workingDir: '$(HOME)/$(PATH)' },
    'no other expansion either',
  )
})

t.test(
  'a value where the kubelet expands $(VAR) is escaped, the template text is not',
  async (t) => {
    const values = { x: 'a$(X)$$b$', n: 8080 }
    const template = {
      command: ['run', '$(POD_IP):{{x}}'],
      args: ['--x={{x}}', '--ip=$(POD_IP)', '$$(POD_IP)', '--n={{n}}'],
      env: [
        { name: 'X', value: '{{x}}@$(POD_IP)' },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: '{{x}}', valueFrom: { secretKeyRef: { name: '{{x}}', key: '{{x}}' } } },
      ],
      envFrom: [{ configMapRef: { name: '{{x}}' }, prefix: '{{x}}' }],
      workingDir: '/{{x}}',
      readinessProbe: { exec: { command: ['test', '{{x}}'] }, httpGet: { path: '/{{x}}' } },
      livenessProbe: { exec: { command: ['{{x}}'] } },
      startupProbe: { exec: { command: ['{{x}}'] } },
    }
    const x = 'a$$(X)$$$$b$$'
    t.same(render(template, values), {
      command: ['run', `$(POD_IP):${x}`],
      args: [`--x=${x}`, '--ip=$(POD_IP)', '$$(POD_IP)', '--n=8080'],
      env: [
        { name: 'X', value: `${x}@$(POD_IP)` },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'a$(X)$$b$', valueFrom: { secretKeyRef: { name: 'a$(X)$$b$', key: 'a$(X)$$b$' } } },
      ],
      envFrom: [{ configMapRef: { name: 'a$(X)$$b$' }, prefix: 'a$(X)$$b$' }],
      workingDir: '/a$(X)$$b$',
      readinessProbe: { exec: { command: ['test', x] }, httpGet: { path: '/a$(X)$$b$' } },
      livenessProbe: { exec: { command: [x] } },
      startupProbe: { exec: { command: [x] } },
    })
    t.same(
      render(['--once={{x}}', '$(POD_IP)'], values),
      ['--once=a$(X)$$b$', '$(POD_IP)'],
      'a list alone is no container field',
    )
    t.same(
      compileTemplate(['--once={{x}}', '$(POD_IP)'], ['args'])(values),
      [`--once=${x}`, '$(POD_IP)'],
      'unless it is said to be the args',
    )
  },
)

t.test('the template is not modified', async (t) => {
  const template = { args: ['{{x}}'] }
  render(template, { x: 'y' })
  t.same(template, { args: ['{{x}}'] })
})

t.test(
  'a compiled template renders each set of values anew, sharing only constant parts',
  async (t) => {
    const template = {
      args: ['--port={{p}}'],
      securityContext: { capabilities: { drop: ['ALL'] } },
      env: [
        { name: 'FIXED', value: 'x' },
        { name: 'P', value: '{{p}}' },
      ],
    }
    const renderer = compileTemplate(template)
    const one = renderer({ p: 1 })
    const two = renderer({ p: 2 })
    t.same(one.args, ['--port=1'])
    t.same(two.args, ['--port=2'])
    t.not(one.args, two.args, 'parts with placeholders are new objects every time')
    t.equal(one.securityContext, two.securityContext, 'parts without any are built once')
    t.equal(one.env[0], two.env[0])
    t.ok(Object.isFrozen(one.securityContext.capabilities.drop))
    t.throws(
      () => one.securityContext.capabilities.drop.push('NET_RAW'),
      TypeError,
      'a Pod patched with a shared part cannot change what the next Pod gets',
    )
    t.same(renderer({ p: 3 }).securityContext, { capabilities: { drop: ['ALL'] } })
    t.same(template.securityContext, { capabilities: { drop: ['ALL'] } }, 'the template is its own')
    t.notOk(Object.isFrozen(template.securityContext), 'and is not frozen')
  },
)
