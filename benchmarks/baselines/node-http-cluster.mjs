// The node:http cluster baseline: N workers under node:cluster's default policy (on Linux, the
// primary accepts every connection and hands it to a worker round-robin over IPC).
// Usage: node node-http-cluster.mjs [port] [workers]
import cluster from 'node:cluster';
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? process.env.PORT ?? 8083);
const workers = Number(process.argv[3] ?? process.env.WORKERS ?? 2);
const body = 'Hello world';

if (cluster.isPrimary) {
  let listening = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().on('listening', () => {
      if (++listening === workers)
        console.log(
          `node:http cluster hello on http://127.0.0.1:${port}/ (${workers} workers, policy ${cluster.schedulingPolicy === cluster.SCHED_RR ? 'round-robin' : 'none'})`,
        );
    });
  }
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(0));
} else {
  createServer((req, res) => {
    res.writeHead(200, { 'Content-Length': body.length });
    res.end(body);
  }).listen(port, '127.0.0.1');
}
