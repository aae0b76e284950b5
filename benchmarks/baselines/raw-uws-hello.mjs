// Raw uWebSockets.js hello: the ceiling the `uws` engine is judged against. N workers under
// node:cluster, each listening itself with SO_REUSEPORT, as percore's uws workers do.
// Usage: node raw-uws-hello.mjs [port] [workers]   (after `pnpm build`)
import cluster from 'node:cluster';
import { loadUws } from '../../packages/server/dist/uws/load.js';

const port = Number(process.argv[2] ?? process.env.PORT ?? 8085);
const workers = Number(process.argv[3] ?? process.env.WORKERS ?? 1);

if (cluster.isPrimary && workers > 1) {
  for (let i = 0; i < workers; i++) cluster.fork();
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(0));
} else {
  loadUws()
    .App()
    .any('/*', (res) => res.end('Hello world'))
    .listen('127.0.0.1', port, (token) => {
      if (!token) throw new Error(`raw uWS could not listen on ${port}`);
      if (cluster.isPrimary || cluster.worker.id === 1)
        console.log(`raw uWS hello on http://127.0.0.1:${port}/ (${workers} process${workers === 1 ? '' : 'es'})`);
    });
}
