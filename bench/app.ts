// The app behind the proxies in the meter's benchmarks, run in a process of its own (`node
// bench/app.ts PORT`), so that it competes for the CPUs as an app in a Pod would, rather than
// sharing the event loop of the load generator. It answers every request with a small
// JSON-sized body, and tells how many it has answered at COUNT_PATH.
import { createServer } from 'node:http'
import { COUNT_PATH } from './loopback.ts'

const BODY = Buffer.alloc(1024, 'x')
let answered = 0
createServer((req, res) => {
  req.resume()
  if (req.url === COUNT_PATH) return void res.end(String(answered))
  answered++
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': BODY.length })
  res.end(BODY)
}).listen(Number(process.argv[2]), '127.0.0.1')
