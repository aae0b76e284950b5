// A rate-limit and counter API in front of a real redis-server, on every core. Each worker has its
// own RespClient, but the counts live in Redis, so the limit is one limit for the whole cluster (and
// for every machine that shares the Redis): that is the point of keeping them there, not in a worker.
//
//   GET /api/:client/hit     fixed-window rate limit: 200 while under LIMIT hits per WINDOW_S, then 429
//   GET /api/counter/:name   INCR, counted exactly across workers
//   GET /readyz              200 while this worker's Redis connection is up, 503 (with its state) if not
//   GET /healthz             200 while the worker answers
//
// Run: redis-server --port 6379 --save '' & node --import tsx examples/src/rate-limit.ts
//      curl -i localhost:8080/api/alice/hit
// Env: PORT (8080; 0 picks one), REDIS_HOST (127.0.0.1), REDIS_PORT (6379), LIMIT (10), WINDOW_S (60), WORKERS (2).
import cluster from 'node:cluster';
import { PercoreError, RespClient, Router, Scheduler, serve, type HttpResponse } from '@percore/server';

const config = {
  port: envInteger('PORT', 8080, 0),
  redisHost: process.env.REDIS_HOST ?? '127.0.0.1',
  redisPort: envInteger('REDIS_PORT', 6379, 1),
  limit: envInteger('LIMIT', 10, 1),
  windowS: envInteger('WINDOW_S', 60, 1),
  workers: envInteger('WORKERS', 2, 1),
};

/** How long a worker waits for Redis before it listens anyway (and answers 503 until Redis is there). */
const STARTUP_WAIT_MS = 5000;
/** Client ids and counter names: short and plain, so that a key is never surprising. */
const NAME = /^[\w.-]{1,64}$/;
/** The errors that mean "Redis cannot answer now": 503, not 500. Reply errors (WRONGTYPE...) are bugs: 500. */
const REDIS_UNAVAILABLE = new Set([
  'PERCORE_ERR_RESP_CONNECTION_LOST',
  'PERCORE_ERR_RESP_CLOSED',
  'PERCORE_ERR_RESP_QUEUE_FULL',
  'PERCORE_ERR_RESP_TIMEOUT',
]);

// INCR, and EXPIRE on the first hit of the window, in one atomic step (Redis's own rate-limiter pattern,
// in the INCR docs). Two separate commands could lose the EXPIRE to a dropped connection and leave a
// key that never expires.
const HIT_SCRIPT = `local hits = redis.call('INCR', KEYS[1])
if hits == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return hits`;

// One scheduler per worker, shared by the HTTP engine and the Redis client: one timer wheel, one event loop.
const scheduler = new Scheduler();
let redis: RespClient | null = null;

if (cluster.isWorker) {
  const connecting = RespClient.connect({
    host: config.redisHost,
    port: config.redisPort,
    scheduler,
    connectTimeoutMs: 2000,
    // Redis answers in microseconds: a second without a reply means it is stuck (SIGSTOP, a slow
    // script, swapping). Better a 503 now than an HTTP request held open; the client then reconnects.
    commandTimeoutMs: 1000,
    // While Redis is down, fail at once rather than queue: the HTTP caller gets a 503 and Retry-After
    // and decides, instead of a hit being counted late, after its window, for a request that gave up.
    offlineQueue: false,
    // With nothing queued offline, pending is what is in flight: past 1000, Redis is not keeping up.
    maxPending: 1000,
    // Try again every 2 s at most (full jitter spreads the workers), so the API is back soon after Redis.
    reconnect: { initialDelayMs: 50, maxDelayMs: 2000 },
  });
  connecting.then(
    (client) => (redis = client),
    (error: unknown) => console.error(`worker ${process.pid}: no Redis client:`, error),
  );
  let waited: NodeJS.Timeout | undefined;
  await Promise.race([connecting.catch(() => {}), new Promise((resolve) => (waited = setTimeout(resolve, STARTUP_WAIT_MS)))]);
  clearTimeout(waited);
}

const router = new Router()
  .get('/healthz', (_req, res) => res.end('ok\n'))
  .get('/readyz', (_req, res) => {
    const state = redis?.state ?? 'connecting';
    res.status = state === 'ready' ? 200 : 503;
    res.setHeader('Cache-Control', 'no-store');
    json(res, { redis: state, worker: process.pid });
  })
  .get('/api/counter/:name', async (req, res) => {
    const name = req.params.name!;
    if (!NAME.test(name)) return badName(res, name);
    const value = await command<number>(res, 'INCR', `counter:${name}`);
    if (value !== undefined) json(res, { name, value, worker: process.pid });
  })
  .get('/api/:client/hit', async (req, res) => {
    const client = req.params.client!;
    if (!NAME.test(client)) return badName(res, client);
    // A fixed window: the key names the window, so a new window starts from 0 with a new key.
    const now = Date.now();
    const windowMs = config.windowS * 1000;
    const window = Math.floor(now / windowMs);
    const resetS = Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000));
    // Kept a second past the window's end, in case Redis's clock runs a little ahead of this one.
    const hits = await command<number>(res, 'EVAL', HIT_SCRIPT, 1, `rl:${client}:${window}`, resetS + 1);
    if (hits === undefined) return;
    // The names are the X- forms of draft-ietf-httpapi-ratelimit-headers-06 (RateLimit-Limit, -Remaining,
    // -Reset, 2-4); Reset is delta-seconds there, not a timestamp.
    res.setHeader('X-RateLimit-Limit', String(config.limit));
    res.setHeader('X-RateLimit-Remaining', String(Math.max(0, config.limit - hits)));
    res.setHeader('X-RateLimit-Reset', String(resetS));
    if (hits <= config.limit) return json(res, { client, remaining: config.limit - hits, worker: process.pid });
    // RFC 6585 4: 429 Too Many Requests, which MAY say how long to wait with Retry-After (RFC 9110 10.2.3).
    res.status = 429;
    res.setHeader('Retry-After', String(resetS));
    json(res, { error: 'rate limited', client, limit: config.limit, retryAfter: resetS, worker: process.pid });
  });

/**
 * Sends one command; resolves with its reply, or answers 503 itself and resolves with undefined
 * when Redis cannot answer. The rate limit fails closed: with Redis down nothing is allowed.
 */
async function command<T>(res: HttpResponse, ...args: Array<string | number>): Promise<T | undefined> {
  // Before the first connection there is no client yet; it would say the same with offlineQueue off.
  if (redis === null) return unavailable(res, 'PERCORE_ERR_RESP_CONNECTION_LOST', 'not connected to Redis yet');
  try {
    return await redis.command<T>(...args);
  } catch (error) {
    if (!(error instanceof PercoreError) || !REDIS_UNAVAILABLE.has(error.code)) throw error; // the router's 500
    return unavailable(res, error.code, error.message);
  }
}

function unavailable(res: HttpResponse, code: string, message: string): undefined {
  res.status = 503;
  res.setHeader('Retry-After', '1');
  json(res, { error: `redis unavailable: ${code}: ${message}`, code, worker: process.pid });
  return undefined;
}

function badName(res: HttpResponse, name: string): void {
  res.status = 400;
  json(res, { error: `names are 1 to 64 letters, digits, '_', '.' or '-': ${JSON.stringify(name)}` });
}

function json(res: HttpResponse, body: unknown): void {
  res.setHeader('Content-Type', 'application/json');
  res.end(`${JSON.stringify(body)}\n`);
}

function envInteger(name: string, fallback: number, min: number): number {
  const text = process.env[name];
  const value = text === undefined || text === '' ? fallback : Number(text);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', `${name} must be an integer >= ${min}, got ${JSON.stringify(text)}`);
  }
  return value;
}

const handle = await serve({ handler: router.handler, port: config.port, workers: config.workers, scheduler });

// After the drain, once no request can need it: QUIT, or abandon a connection still being made.
handle.signal.addEventListener('abort', () => (redis === null ? scheduler.closeAll() : void redis.close({ timeoutMs: 1000 })));

if (handle.role === 'primary') {
  console.log(
    `listening on ${handle.url} (${config.workers} workers, ${config.limit} hits per ${config.windowS} s per client, ` +
      `Redis at ${config.redisHost}:${config.redisPort})`,
  );
}
