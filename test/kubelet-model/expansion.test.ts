// The model of the kubelet's `$(VAR)` expansion (test/helpers/kubelet-expansion.ts) against the
// cases of k8s.io/kubernetes third_party/forked/golang/expansion/expand_test.go, and the way the
// kubelet applies it to a container's env, command, args and exec probes.
import t from 'tap'
import { expand, mappingFor, startContainer } from '../helpers/kubelet-expansion.ts'

// expand_test.go, doExpansionTest: [name, input, expected].
const CASES: readonly [string, string, string][] = [
  ['whole string', '$(VAR_A)', 'A'],
  ['repeat', '$(VAR_A)-$(VAR_A)', 'A-A'],
  ['beginning', '$(VAR_A)-1', 'A-1'],
  ['middle', '___$(VAR_B)___', '___B___'],
  ['end', '___$(VAR_C)', '___C'],
  ['compound', '$(VAR_A)_$(VAR_B)_$(VAR_C)', 'A_B_C'],
  ['escape & expand', '$$(VAR_B)_$(VAR_A)', '$(VAR_B)_A'],
  ['compound escape', '$$(VAR_A)_$$(VAR_B)', '$(VAR_A)_$(VAR_B)'],
  ['mixed in escapes', 'f000-$$VAR_A', 'f000-$VAR_A'],
  ['backslash escape ignored', 'foo\\$(VAR_C)bar', 'foo\\Cbar'],
  ['backslash escape ignored', 'foo\\\\$(VAR_C)bar', 'foo\\\\Cbar'],
  ['lots of backslashes', 'foo\\\\\\\\$(VAR_A)bar', 'foo\\\\\\\\Abar'],
  ['nested var references', '$(VAR_A$(VAR_B))', '$(VAR_A$(VAR_B))'],
  ['nested var references second type', '$(VAR_A$(VAR_B)', '$(VAR_A$(VAR_B)'],
  ['value is a reference', '$(VAR_REF)', '$(VAR_A)'],
  ['value is a reference x 2', '%%$(VAR_REF)--$(VAR_REF)%%', '%%$(VAR_A)--$(VAR_A)%%'],
  ['empty var', 'foo$(VAR_EMPTY)bar', 'foobar'],
  ['unterminated expression', 'foo$(VAR_Awhoops!', 'foo$(VAR_Awhoops!'],
  ['expression without operator', 'f00__(VAR_A)__', 'f00__(VAR_A)__'],
  ['shell special vars pass through', '$?_boo_$!', '$?_boo_$!'],
  ['bare operators are ignored', '$VAR_A', '$VAR_A'],
  ['undefined vars are passed through', '$(VAR_DNE)', '$(VAR_DNE)'],
  ['multiple (even) operators, var undefined', '$$$$$$(BIG_MONEY)', '$$$(BIG_MONEY)'],
  ['multiple (even) operators, var defined', '$$$$$$(VAR_A)', '$$$(VAR_A)'],
  ['multiple (odd) operators, var undefined', '$$$$$$$(GOOD_ODDS)', '$$$$(GOOD_ODDS)'],
  ['multiple (odd) operators, var defined', '$$$$$$$(VAR_A)', '$$$A'],
  ['missing open expression', '$VAR_A)', '$VAR_A)'],
  // biome-ignore lint/suspicious/noTemplateCurlyInString: shell syntax, which the kubelet ignores
  ['shell syntax ignored', '${VAR_A}', '${VAR_A}'],
  ['trailing incomplete expression not consumed', '$(VAR_B)_______$(A', 'B_______$(A'],
  [
    'trailing incomplete expression, no content, is not consumed',
    '$(VAR_C)_______$(',
    'C_______$(',
  ],
  ['operator at end of input string is preserved', '$(VAR_A)foobarzab$', 'Afoobarzab$'],
  ['shell escaped incomplete expr', 'foo-\\$(VAR_A', 'foo-\\$(VAR_A'],
  ['lots of $( in middle', '--$($($($($--', '--$($($($($--'],
  ['lots of $( in beginning', '$($($($($--foo$(', '$($($($($--foo$('],
  ['lots of $( at end', 'foo0--$($($($(', 'foo0--$($($($('],
  ['escaped operators in variable names are not escaped', '$(foo$$var)', '$(foo$$var)'],
  ['newline not expanded', '\n', '\n'],
]

const context = {
  VAR_A: 'A',
  VAR_B: 'B',
  VAR_C: 'C',
  VAR_REF: '$(VAR_A)',
  VAR_EMPTY: '',
}

t.test('expand_test.go: TestMapping, one context', async (t) => {
  const mapping = mappingFor(new Map(Object.entries(context)))
  for (const [name, input, expected] of CASES) t.equal(expand(input, mapping), expected, name)
})

t.test('expand_test.go: TestMappingDual, the first context that has the name', async (t) => {
  const { VAR_A, VAR_EMPTY, ...rest } = context
  const mapping = mappingFor(
    new Map(Object.entries({ VAR_A, VAR_EMPTY })),
    new Map(Object.entries(rest)),
  )
  for (const [name, input, expected] of CASES) t.equal(expand(input, mapping), expected, name)
})

t.test('a rune after a lone $ is copied whole (tryReadVariableName decodes it)', async (t) => {
  const mapping = mappingFor(new Map())
  t.equal(expand('$é-$😀-$$é', mapping), '$é-$😀-$é')
})

t.test('expand_test.go: TestMapReference, env values see the ones before them', async (t) => {
  const started = startContainer(
    {
      env: [
        { name: 'FOO', value: 'bar' },
        { name: 'ZOO', value: '$(FOO)-1' },
        { name: 'BLU', value: '$(ZOO)-2' },
      ],
    },
    new Map(),
  )
  t.same(Object.fromEntries(started.env), { FOO: 'bar', ZOO: 'bar-1', BLU: 'bar-1-2' })
})

t.test('a started container: what the kubelet expands and with what', async (t) => {
  const started = startContainer(
    {
      command: ['run', '$(KUBERNETES_PORT)'],
      args: ['--a=$(POD_IP)', '--b=$(LATER)', '--c=$$(POD_IP)', '--d=$(NOPE)'],
      env: [
        { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'FROM', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } },
        { name: 'LATER', value: '$(POD_IP):$(KUBERNETES_PORT)' },
        { name: 'KUBERNETES_PORT', value: 'mine' },
      ],
      readinessProbe: { exec: { command: ['check', '$(KUBERNETES_PORT)', '$(LATER)', '$$x'] } },
    },
    new Map([['KUBERNETES_PORT', 'tcp://10.96.0.1:443']]),
    new Map([
      ['POD_IP', '10.0.0.7'],
      ['FROM', '$(POD_IP)'],
    ]),
  )
  t.same(started.command, ['run', 'mine'], 'a declared variable hides a service variable')
  t.same(started.args, [
    '--a=10.0.0.7',
    '--b=10.0.0.7:tcp://10.96.0.1:443',
    '--c=$(POD_IP)',
    '--d=$(NOPE)',
  ])
  t.equal(started.env.get('FROM'), '$(POD_IP)', 'a value from valueFrom is not expanded')
  t.equal(
    started.env.get('LATER'),
    '10.0.0.7:tcp://10.96.0.1:443',
    'an env value sees the service variable, not a later declaration of the same name',
  )
  t.same(
    started.probes,
    { readinessProbe: ['check', 'mine', '$(POD_IP):$(KUBERNETES_PORT)', '$x'] },
    'an exec probe sees the literal env values only',
  )
})
