// The conventions every command gets from readFlags, and the file errors that name their flag.
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { FlagFileError, namingFlag, readFlagFile } from '../../src/shared/flag-file.ts'
import { readFlags } from '../../src/shared/flags.ts'

const options = {
  config: { type: 'string' },
  filename: { type: 'string', short: 'f' },
  route: { type: 'string', multiple: true },
  quiet: { type: 'boolean', short: 'q' },
} as const
const read = (args: string[]) => readFlags(args, options, (values) => ({ ok: true, value: values }))

t.test('a flag given twice is an error, however it was written', async (t) => {
  t.same(read(['--config', 'a', '--config=b', '-f', 'x', '--filename', 'y', '-q', '-q']), {
    ok: false,
    errors: [
      '--config: given 2 times; it takes one value',
      '--filename: given 2 times; it takes one value',
      '--quiet: given 2 times; it takes one value',
    ],
  })
})

t.test('a list by design (multiple: true) takes the flag as often as it is given', async (t) => {
  t.match(read(['--route', '/a', '--route', '/b']), { ok: true, value: { route: ['/a', '/b'] } })
})

t.test('--help wins, even over a repeated flag; -h -h is still help', async (t) => {
  t.same(read(['--config', 'a', '--config', 'b', '--help']), { ok: 'help' })
  t.same(read(['-h', '-h']), { ok: 'help' })
})

t.test(
  "a file that cannot be read is reported with its flag and the system's reason",
  async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-flags-'))
    const missing = join(dir, 'x.yaml')
    await t.rejects(readFlagFile('--config', missing), {
      name: 'Error',
      flag: '--config',
      message: `--config: cannot read ${missing}: ENOENT: no such file or directory`,
    })
    await t.rejects(readFlagFile('--config', dir), {
      message: `--config: cannot read ${dir}: EISDIR: illegal operation on a directory`,
    })
    const other = new Error('not a system error')
    t.equal(namingFlag('--config', missing, other), other, 'anything else is left as it was')
    t.type(
      namingFlag(
        '--config',
        missing,
        Object.assign(new Error('x'), { syscall: 'open', code: 'EACCES' }),
      ),
      FlagFileError,
    )
  },
)
