// Every annotation value passes through one of these validators before it reaches a container
// spec, so each one is specified by the values it must accept (with the typed value it returns)
// and the look-alikes it must refuse, with an error that quotes what the user wrote.
import t from 'tap'
import * as validators from '../../src/injection/validators.ts'
import {
  boolean,
  duration,
  emailDomain,
  gitRef,
  gitRepository,
  integer,
  loopbackUrl,
  mountPath,
  objectName,
  oneOf,
  port,
  portRef,
  quote,
  routeTemplates,
  text,
  type Validator,
} from '../../src/injection/validators.ts'

interface Table {
  validator: Validator<unknown>
  /** Raw value, and the typed value it becomes when that differs from the raw string. */
  accepts: (string | [string, unknown])[]
  rejects: string[]
}

const long = (n: number, ch = 'a') => ch.repeat(n)

const tables: Record<string, Table> = {
  port: {
    validator: port,
    accepts: [
      ['1', 1],
      ['80', 80],
      ['8080', 8080],
      ['65535', 65535],
    ],
    // Plain decimal only: no zero, no sign, no padding, no exponent, no leading zeros.
    rejects: ['0', '65536', '99999', '100000', '080', '00080', '+1', '-1', ' 80', '80 ', '1e3'],
  },
  portRef: {
    validator: portRef,
    // Digits are a number; anything else must be an IANA service name as Kubernetes checks it.
    // '1e3' has a letter, so it is a legal port *name*, never the number 1000.
    accepts: [['8080', 8080], ['65535', 65535], 'http', 'web-api', 'h2c', '1e3', long(15)],
    rejects: [
      '0',
      '65536',
      '080',
      '+1',
      ' 80',
      'HTTP',
      'web_api',
      'a--b',
      '-http',
      long(16),
      '',
    ].concat(['123-456', 'http-']),
  },
  oneOf: {
    validator: oneOf(['oidc', 'github']),
    accepts: ['oidc', 'github'],
    rejects: ['OIDC', ' oidc', 'git', 'oidc,github', ''],
  },
  duration: {
    validator: duration,
    accepts: ['1s', '30s', '5m', '1h', '1h30m', '2h0m5s', '0h0m1s', '999999s', '1s500ms'],
    // The one duration format (whole h, m, s, ms), at least one second, never a bare number.
    rejects: ['0s', '0m', '0h0m0s', '', '30', '1.5s', '5ms', '1d', '-1s', 's', '1s5m', '12345h'],
  },
  mountPath: {
    validator: mountPath,
    accepts: ['/git', '/srv/site-content', '/a/b_c/d.e', '/.config', `/${long(254)}`]
      // Below most system directories is fine; over them, or anywhere in /dev, /proc, /sys, is not.
      .concat(['/etc/site', '/usr/share/site', '/var/www', '/tmp/git'])
      .concat(['/usr/share/nginx/html', '/opt/app/content', '/var/lib/site', '/etc/sslx']),
    rejects: ['/', '', 'git', './git', '/git/', '//git', '/a//b', '/a/./b', '/a/../b', '/..']
      .concat(['/a:b', '/a b', '/git\n', `/${long(255)}`])
      .concat(['/etc', '/usr', '/bin', '/proc', '/proc/self', '/sys/fs', '/dev/shm'])
      // A volume there hides the image's programs, libraries, trusted certificates, or what the
      // kubelet mounts (the service account token, /etc/hosts).
      .concat(['/usr/local/bin', '/usr/bin', '/sbin', '/lib/x86_64-linux-gnu', '/usr/lib64'])
      .concat(['/etc/ssl', '/etc/ssl/certs', '/etc/pki/tls', '/etc/ca-certificates'])
      .concat(['/var/run/secrets', '/var/run/secrets/kubernetes.io', '/run/secrets'])
      .concat(['/etc/hosts', '/etc/resolv.conf', '/etc/passwd', '/boot', '/var', '/var/run'])
      .concat(['/tmp', '/usr/local', '/usr/share', '/opt', '/root', '/home', '/run']),
  },
  gitRepository: {
    validator: gitRepository,
    accepts: [
      'https://github.com/example/site.git',
      'http://git.internal:3000/team/repo',
      'ssh://git@github.com/example/site.git',
      'git://example.org/repo/',
      'git@github.com:example/site.git',
      // Private addresses and cluster Services are where in-house Git servers live.
      'http://10.0.0.7/team/repo.git',
      'https://gitea.tools.svc.cluster.local/team/repo.git',
      'ssh://git@192.168.1.20:2222/team/repo.git',
      'https://kubernetes.example.com/repo.git',
      'https://169.254.169.254.example.com/repo.git',
    ],
    // No bare host, no local paths or other schemes, and scp-style needs user@host:path.
    rejects: ['https://github.com', 'https://github.com/', 'file:///srv/repo', '/srv/repo']
      .concat(['ftp://example.org/repo', 'github.com:example/site.git', 'git@github.com'])
      .concat(['https://github.com/a b', 'https://github.com/x;rm -rf', '--upload-pack=x', ''])
      // Credentials would be readable by anyone who can read the Pod; options are not hosts.
      .concat(['https://user:secret@github.com/x.git', 'https://token@github.com/x.git'])
      .concat(['ssh://-oProxyCommand=x/y', '-u@h:p', 'git@-h:p'])
      // Cloud metadata services (link-local, however the address is written) and the Pod's own
      // loopback answer git-sync's requests with what is not a repository's to give.
      .concat(['http://169.254.169.254/latest/meta-data', 'http://169.254.169.254:80/x'])
      .concat(['http://2852039166/x', 'http://0xA9FEA9FE/x', 'http://0251.0376.0251.0376/x'])
      .concat(['http://169.254.1/x', 'http://metadata.google.internal/computeMetadata/v1'])
      .concat(['http://METADATA.google.internal./x', 'http://100.100.100.200/latest'])
      .concat(['git@169.254.169.254:x.git', 'ssh://git@169.254.10.1/x'])
      .concat([
        'http://localhost:3000/x',
        'http://127.0.0.1/x',
        'http://127.1/x',
        'http://0.0.0.0/x',
      ])
      // The cluster's own API server: its name in every cluster, whatever the cluster domain.
      .concat(['https://kubernetes.default.svc/api/v1/secrets', 'https://kubernetes/api'])
      .concat(['https://kubernetes.default/x', 'https://kubernetes.default.svc.cluster.local/x'])
      .concat(['git@kubernetes.default.svc:x.git']),
  },
  gitRef: {
    validator: gitRef,
    accepts: ['HEAD', 'main', 'v1.2.3', 'feature/login', 'release-2024_01', long(255)],
    // The parts of git check-ref-format that matter here: no '..', '//', trailing '.' or '/',
    // no '.lock' suffix, and it must start with a word character (so never an option).
    rejects: ['', 'a..b', '..', 'a//b', 'main.', 'main/', 'main.lock', '-main', '.hidden'].concat([
      '/main',
      'a b',
      'a~1',
      'a^',
      'a:b',
      '@{-1}',
      long(256),
    ]),
  },
  loopbackUrl: {
    validator: loopbackUrl,
    accepts: [
      'http://localhost:8080',
      'http://localhost:8080/-/reload',
      'http://127.0.0.1:1/',
      'http://[::1]:65535/a/b.c',
    ],
    // The Pod's own loopback with an explicit port, nothing else.
    rejects: ['http://localhost', 'http://localhost/', 'http://localhost:0', 'http://[::1]:65536']
      .concat(['http://localhost:99999', 'https://localhost:8080', 'http://example.com:8080/'])
      .concat(['http://127.0.0.2:80', 'http://localhost:8080@evil.com/', 'localhost:8080'])
      .concat(['http://localhost:8080/?a=b', 'http://localhost:080', 'http://0.0.0.0:80']),
  },
  objectName: {
    validator: objectName,
    accepts: ['oauth2-proxy', 'a', 'my.secret-1', long(253)],
    rejects: ['', 'Oauth2-Proxy', 'UPPER', '-a', 'a-', 'a..b', '.a', 'a_b', 'a b', long(254)],
  },
  emailDomain: {
    validator: emailDomain,
    accepts: ['*', 'example.com', 'corp.example.co.uk'],
    rejects: ['', '*.example.com', '@example.com', 'Example.com', 'a@b.c', '**', 'example.com.'],
  },
  routeTemplates: {
    validator: routeTemplates,
    accepts: [
      '/api/users/:id',
      ['/api/users/:id, /static/*', '/api/users/:id,/static/*'],
      '/',
      '/healthz,/v1/orders/:order/items/:item',
      // As the meter reads --route: blanks and empty items are dropped.
      ['/x,', '/x'],
      ['', ''],
    ],
    // The meter's rule (src/shared/route-templates.ts): no repeat, at most 100 templates.
    rejects: [
      '/a,/a',
      Array.from({ length: 101 }, (_, i) => `/r${i}`).join(','),
      'api/users',
      '/static/*/x',
      '/a//b',
      '/users/:1d',
      '/a b',
      `/${long(2100)}`,
    ],
  },
  // Factories that catalog parameters configure: shown here with the options a catalog sets.
  integer: {
    validator: integer(-5, 100),
    accepts: [
      ['0', 0],
      ['-5', -5],
      ['100', 100],
      ['42', 42],
    ],
    rejects: ['', '101', '-6', '01', '1.5', '1e2', ' 4', '+4', 'four'],
  },
  boolean: {
    validator: boolean,
    accepts: [
      ['true', true],
      ['false', false],
    ],
    rejects: ['', 'True', 'yes', '1', 'on'],
  },
  text: {
    validator: text(/^[a-z]+(-[a-z]+)*$/),
    accepts: ['abc', 'team-a'],
    rejects: ['', 'Team', 'a b', 'a\nb', `${long(1025)}`, 'tab\there'],
  },
}

for (const [name, { validator, accepts, rejects }] of Object.entries(tables)) {
  t.test(name, async (t) => {
    for (const entry of accepts) {
      const [raw, value] = typeof entry === 'string' ? [entry, entry] : entry
      t.same(validator(raw), { ok: true, value }, `accepts ${quote(raw)}`)
    }
    for (const raw of rejects) {
      const result = validator(raw)
      t.equal(result.ok, false, `rejects ${quote(raw)}`)
      // The message names what the user wrote, so they can find it among their annotations.
      if (!result.ok) t.ok(result.error.startsWith(`${quote(raw)} is not `), 'quotes the value')
    }
  })
}

t.test('port values are numbers, names stay strings', async (t) => {
  t.equal(typeof (port('8080') as { value: unknown }).value, 'number')
  t.equal(typeof (portRef('8080') as { value: unknown }).value, 'number')
  t.equal(typeof (portRef('http') as { value: unknown }).value, 'string')
})

t.test('error messages say what was expected', async (t) => {
  t.same(port('0'), { ok: false, error: '"0" is not a port number (1-65535)' })
  t.same(oneOf(['a', 'b'])('c'), { ok: false, error: '"c" is not one of a, b' })
  t.same(portRef('x_y'), {
    ok: false,
    error: '"x_y" is not a port number or a container port name',
  })
})

t.test('quote() keeps messages short whatever the annotation holds', async (t) => {
  t.equal(quote('abc'), '"abc"')
  t.equal(quote('say "hi"\n'), '"say \\"hi\\"\\n"', 'escapes like JSON')
  t.equal(quote(long(64)), `"${long(64)}"`, '64 characters are kept whole')
  t.equal(quote(long(65)), `"${long(61)}..."`, 'longer values are cut to 61 plus ...')

  const huge = `/${long(100_000, 'x')}`
  const result = mountPath(huge)
  t.equal(result.ok, false)
  if (!result.ok) {
    t.equal(result.error, `"/${long(60, 'x')}..." is not ${result.error.split(' is not ')[1]}`)
    t.ok(result.error.length < 200, 'a 100 kB value gives a short message')
  }
})

// git check-ref-format also refuses a component that starts with '.' or ends with '.lock'; such
// a ref would only fail when git-sync starts, in a crash-looping init container.
t.test('gitRef refuses components git would refuse', async (t) => {
  for (const raw of ['feature/.hidden', 'a.lock/b', 'a//b', '.a'])
    t.equal(gitRef(raw).ok, false, raw)
})

t.test('every validator the module exports is in the table above', async (t) => {
  const exported = Object.keys(validators).filter((name) => name !== 'quote')
  t.same(exported.sort(), Object.keys(tables).sort())
})
