// A clustered app for the real-Prometheus tests: a router (so metrics carry route patterns) whose
// answers say which worker served them, so that a test can tell both workers took traffic.
//   GET /users/:id -> the worker's pid (route '/users/:id')
//   GET /boom      -> a throw (500)
//   anything else  -> 404
// Environment: ENGINE, WORKERS, METRICS ('main': /metrics on the main port; 'port': a port of its own).
import { Router, serve } from '../../src/index.js';

const router = new Router();
router.get('/users/:id', (_req, res) => res.end(String(process.pid)));
router.get('/boom', () => {
  throw new Error('boom on purpose');
});

const handle = await serve({
  engine: process.env.ENGINE === 'uws' ? 'uws' : 'net',
  port: 0,
  workers: Number(process.env.WORKERS ?? 2),
  restartDelayMs: 50,
  handler: router.handler,
  metrics: process.env.METRICS === 'port' ? { port: 0 } : true,
  // Quiet: the 500s are on purpose.
  logger: { error: () => {}, info: () => {} },
});

if (handle.role === 'primary') {
  console.log(JSON.stringify({ url: handle.url, metricsUrl: handle.metricsUrl, pids: handle.workerPids() }));
}
