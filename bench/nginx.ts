// nginx as the benchmark's yardstick: the usual reverse proxy in front of an app, configured to be
// what the meter is, so that the comparison measures the proxies and not their settings.
import { spawnSync } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'

/** nginx's version, or undefined when there is no nginx on the PATH. */
export function nginxVersion(): string | undefined {
  // `nginx -v` prints to stderr.
  const { stderr, error } = spawnSync('nginx', ['-v'], { encoding: 'utf8' })
  return error ? undefined : stderr.trim().replace('nginx version: ', '')
}

/**
 * Writes the configuration into `dir` and returns nginx's arguments. Each setting matches the
 * meter's behaviour, so neither proxy is handicapped:
 * - one worker process: the meter is one single-threaded process;
 * - keep-alive to the app (`proxy_http_version 1.1`, an empty Connection field, an upstream pool
 *   of 64 idle connections): the meter keeps its connections to the app alive in an undici Pool;
 * - `keepalive_requests` without a practical limit, to clients and to the app: the meter closes
 *   no connection after a number of requests, while nginx's default of 1,000 would make it
 *   close each client's connection every 1,000 requests (a reconnect the meter never pays, and
 *   an error in any load generator that does not retry);
 * - `keepalive_timeout 75s` to clients, as the meter's keep-alive timeout;
 * - X-Forwarded-For and X-Forwarded-Proto set, as the meter sets them;
 * - no access log: the meter writes none (its metrics are counted in memory);
 * - buffering left at nginx's defaults: that is how nginx is run in front of apps.
 */
export function nginxArgs(dir: string, appPort: number, port: number): string[] {
  const many = 1_000_000_000
  writeFileSync(
    join(dir, 'nginx.conf'),
    `worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
worker_rlimit_nofile 8192;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path ${dir};
  proxy_temp_path ${dir};
  keepalive_requests ${many};
  keepalive_timeout 75s;
  upstream app {
    server 127.0.0.1:${appPort};
    keepalive 64;
    keepalive_requests ${many};
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
    }
  }
}
`,
  )
  return ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')]
}
