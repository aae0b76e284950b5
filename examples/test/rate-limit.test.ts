import { expect } from 'chai';
import { get, type IncomingHttpHeaders } from 'node:http';
import { RespClient } from '@percore/server';
import { RedisServer, reapRedisServers, requireRedisServer } from '../../packages/server/test/support/redis-server.js';
import { reapExamples, startExample, type StartedExample } from './run-example.js';

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** The longest any one request may take: the example's commandTimeoutMs (1 s) and then some. A hang fails. */
const ANSWER_WITHIN_MS = 5000;
const LIMIT = 20;
// Windows are aligned on multiples of WINDOW_S since the epoch: at 10^6 s, a test that runs across a
// window's end is a one-in-a-million chance, not a flaky test.
const WINDOW_S = 1_000_000;
const UNAVAILABLE = [
  'PERCORE_ERR_RESP_CONNECTION_LOST',
  'PERCORE_ERR_RESP_CLOSED',
  'PERCORE_ERR_RESP_QUEUE_FULL',
  'PERCORE_ERR_RESP_TIMEOUT',
];

/** One GET on a connection of its own (so the kernel spreads them over the workers); rejects if no answer in time. */
function fetchJson(example: StartedExample, path: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = get(`${example.url}${path}`, { agent: false }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => {
        clearTimeout(timer);
        try {
          resolve({ status: response.statusCode!, headers: response.headers, body: JSON.parse(text) as Record<string, unknown> });
        } catch (error) {
          reject(new Error(`GET ${path}: ${response.statusCode} with a body that is not JSON: ${text}`, { cause: error }));
        }
      });
    });
    const timer = setTimeout(() => request.destroy(new Error(`GET ${path}: no answer within ${ANSWER_WITHIN_MS} ms`)), ANSWER_WITHIN_MS);
    request.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

function batch(example: StartedExample, path: string, count: number): Promise<Answer[]> {
  return Promise.all(Array.from({ length: count }, () => fetchJson(example, path)));
}

const workerOf = (answer: Answer) => answer.body.worker as number;

/** Sends batches until `done` says so, or fails at the deadline: a bounded wait, not a timed assertion. */
async function batchesUntil(
  example: StartedExample,
  path: string,
  done: (answers: Answer[]) => boolean,
  what: string,
  deadlineMs = 15_000,
): Promise<Answer[]> {
  const answers: Answer[] = [];
  const deadline = Date.now() + deadlineMs;
  while (!done(answers)) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${deadlineMs} ms; last answers: ${JSON.stringify(answers.slice(-4))}`);
    answers.push(...(await batch(example, path, 10)));
  }
  return answers;
}

/** Whether both workers answered with `status` at least once. */
const bothWorkers = (status: number) => (answers: Answer[]) => new Set(answers.filter((a) => a.status === status).map(workerOf)).size === 2;

describe('examples/rate-limit (in front of a real redis-server)', function () {
  this.timeout(40_000);
  let redis: RedisServer;
  let example: StartedExample;

  beforeEach(async function () {
    requireRedisServer(this);
    redis = await RedisServer.start();
    example = await startExample('rate-limit', {
      REDIS_PORT: String(redis.port),
      LIMIT: String(LIMIT),
      WINDOW_S: String(WINDOW_S),
      WORKERS: '2',
    });
  });

  afterEach(async () => {
    reapExamples();
    await reapRedisServers();
  });

  it('lets exactly LIMIT hits through per window, shared by both workers, with Remaining counting down exactly', async () => {
    // Each connection is the kernel's to place: keep sending until both workers have answered.
    const answers = await batchesUntil(
      example,
      '/api/alice/hit',
      (sofar) => sofar.length >= 3 * LIMIT && new Set(sofar.map(workerOf)).size === 2,
      'both workers answering',
    );
    const allowed = answers.filter((a) => a.status === 200);
    const limited = answers.filter((a) => a.status === 429);
    expect(allowed).to.have.length(LIMIT);
    expect(limited).to.have.length(answers.length - LIMIT);
    // Each remaining count from LIMIT-1 down to 0 once: every hit was counted once, cluster-wide.
    const remaining = allowed.map((a) => Number(a.headers['x-ratelimit-remaining'])).sort((a, b) => a - b);
    expect(remaining).to.deep.equal(Array.from({ length: LIMIT }, (_, index) => index));
    expect(allowed.map((a) => a.body.remaining).sort((a, b) => Number(a) - Number(b))).to.deep.equal(remaining);
    for (const answer of answers) {
      expect(answer.headers['x-ratelimit-limit']).to.equal(String(LIMIT));
      const reset = Number(answer.headers['x-ratelimit-reset']);
      expect(Number.isInteger(reset) && reset >= 1 && reset <= WINDOW_S, `X-RateLimit-Reset ${reset}`).to.equal(true);
    }
    for (const answer of limited) {
      expect(answer.headers['x-ratelimit-remaining']).to.equal('0');
      expect(answer.headers['retry-after']).to.equal(answer.headers['x-ratelimit-reset']);
      expect(answer.body).to.include({ error: 'rate limited', client: 'alice', limit: LIMIT });
    }
    // Another client has a window of its own.
    const bob = await fetchJson(example, '/api/bob/hit');
    expect([bob.status, bob.headers['x-ratelimit-remaining']]).to.deep.equal([200, String(LIMIT - 1)]);
    // The key expires at the window's end (and a second after, for clock skew), not never.
    const ttl = await redisCommand(redis.port, 'TTL', `rl:alice:${Math.floor(Date.now() / (WINDOW_S * 1000))}`);
    expect(ttl).to.be.within(1, WINDOW_S + 1);
    expect(await example.stop()).to.equal(0);
  });

  it('counts exactly across workers', async () => {
    const answers = await batchesUntil(
      example,
      '/api/counter/visits',
      (sofar) => sofar.length >= 40 && bothWorkers(200)(sofar),
      'both workers counting',
    );
    expect(answers.every((a) => a.status === 200)).to.equal(true);
    // Every INCR answered a different value, and together they are 1..n: none lost, none twice.
    const values = answers.map((a) => a.body.value as number).sort((a, b) => a - b);
    expect(values).to.deep.equal(Array.from({ length: answers.length }, (_, index) => index + 1));
    expect(await redisCommand(redis.port, 'GET', 'counter:visits')).to.equal(String(answers.length));
  });

  it('answers 503 with the client error at once while Redis is down, and serves again once it is back', async () => {
    expect((await fetchJson(example, '/api/counter/visits')).status).to.equal(200);
    await redis.kill();

    // Every request answers (within ANSWER_WITHIN_MS each, or it fails): 503, with the code that says why.
    for (const path of ['/api/counter/visits', '/api/alice/hit']) {
      for (const answer of await batch(example, path, 10)) {
        expect(answer.status, JSON.stringify(answer.body)).to.equal(503);
        expect(answer.headers['retry-after']).to.equal('1');
        expect(UNAVAILABLE).to.include(answer.body.code);
        expect(answer.body.error)
          .to.be.a('string')
          .and.include(answer.body.code as string);
      }
    }
    const down = await batchesUntil(example, '/readyz', bothWorkers(503), 'both workers not ready');
    for (const answer of down.filter((a) => a.status === 503)) expect(answer.body.redis).to.equal('reconnecting');

    await redis.start(); // the same port, empty
    await batchesUntil(example, '/readyz', (sofar) => bothWorkers(200)(sofar.slice(-10)), 'both workers ready again');
    const again = await batch(example, '/api/counter/visits', 10);
    expect(again.map((a) => a.status)).to.deep.equal(Array(10).fill(200));
    expect(again.map((a) => a.body.value as number).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 10 }, (_, index) => index + 1));
  });
});

/** One command to the redis-server itself, to check what the example stored; bounded. */
async function redisCommand(port: number, ...args: string[]): Promise<unknown> {
  const client = await RespClient.connect({ port, reconnect: false, commandTimeoutMs: 2000 });
  try {
    return await client.command(...args);
  } finally {
    await client.close();
  }
}
