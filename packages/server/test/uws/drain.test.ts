/**
 * Draining the `uws` engine under keep-alive traffic, by raw socket: a drain never closes a
 * connection a request may be crossing. Each kept-alive connection's next response says
 * `Connection: close` and uWS closes it after that response (a FIN, no reset); kept-alive
 * responses say how long uWS keeps an idle connection (`Keep-Alive: timeout=8`).
 */
import { expect } from 'chai';
import { startEngine, useEngineCleanup } from '../support/engines.js';
import { delay, type RawClient, type RawResponse } from '../support/raw-client.js';
import { get, within } from '../support/servers.js';
import { requireUws } from '../support/uws.js';

interface ConnectionLog {
  responses: RawResponse[];
  /** Requests written that no response answered. */
  unanswered: number;
  /** Responses after the one that said Connection: close (never expected). */
  afterClose: number;
  reset: boolean;
  closed: boolean;
}

/**
 * Sends requests on one connection until the server closes it or `stop()` says so, each after
 * `thinkMs` and waiting for its answer (as ab -k and wrk do). Bounded: at most `max` requests.
 */
async function hammer(client: RawClient, stop: () => boolean, max: number, thinkMs: number): Promise<ConnectionLog> {
  const log: ConnectionLog = { responses: [], unanswered: 0, afterClose: 0, reset: false, closed: false };
  for (let i = 0; i < max && !stop(); i++) {
    if (thinkMs > 0) await delay(thinkMs);
    try {
      await client.write(get(`/${i}`));
    } catch {
      break; // closed before this request was sent: nothing unanswered
    }
    let response: RawResponse;
    try {
      response = await client.readResponse('GET', { timeoutMs: 2000 });
    } catch {
      log.unanswered++;
      break;
    }
    log.responses.push(response);
    if (response.headers.connection === 'close') {
      const rest = await client.readUntilClose({ timeoutMs: 2000 });
      log.closed = rest.closed;
      log.reset = rest.reset;
      log.afterClose = rest.responses.length;
      break;
    }
  }
  return log;
}

describe('uws/drain', function () {
  before(function () {
    requireUws(this);
  });
  useEngineCleanup();

  it('answers every request that arrives during the drain, with Connection: close, then closes each connection with a FIN', async function () {
    this.timeout(10000);
    const server = await startEngine('uws', (req, res) => res.end(`ok ${req.path}`));
    const clients = await Promise.all(Array.from({ length: 8 }, () => server.connect()));
    let stopped = false;
    // Half of them pause between requests, so that the drain finds them idle, with their next
    // request still to come.
    const runs = clients.map((client, i) => hammer(client, () => stopped, 5000, i % 2 === 0 ? 0 : 5 + i * 5));
    await delay(100);
    const closing = server.close(2000);
    const logs = await within(Promise.all(runs), 5000, 'every connection to end');
    stopped = true;
    await within(closing, 4000, 'close() to resolve');

    for (const log of logs) {
      expect(log.unanswered, 'unanswered requests').to.equal(0);
      expect(log.afterClose, 'responses after Connection: close').to.equal(0);
      const last = log.responses[log.responses.length - 1]!;
      expect(last.headers.connection, 'the last response on each connection').to.equal('close');
      expect(last.headers['keep-alive'], 'no keep-alive promise on a closing response').to.equal(undefined);
      expect(log.closed && !log.reset, 'closed by a FIN, not a reset').to.equal(true);
      // Every response before the last kept the connection, and said for how long.
      for (const response of log.responses.slice(0, -1)) {
        expect(response.headers.connection).to.equal(undefined);
        expect(response.headers['keep-alive']).to.equal('timeout=8');
      }
      expect(log.responses.every((response) => response.status === 200)).to.equal(true);
    }
    expect(logs.reduce((sum, log) => sum + log.responses.length, 0)).to.be.greaterThan(logs.length);
  });

  it('says Keep-Alive: timeout=8 only on responses that leave the connection open, unless the handler set its own', async function () {
    const server = await startEngine('uws', (req, res) => {
      if (req.path === '/bye') res.setHeader('Connection', 'close');
      if (req.path === '/own') res.setHeader('Keep-Alive', 'timeout=2');
      res.end('ok');
    });
    const client = await server.connect();
    await client.write(get('/') + get('/own') + get('/bye'));
    const [kept, own, closing] = await client.readResponses(3);
    expect(kept!.headers['keep-alive']).to.equal('timeout=8');
    expect(own!.headers['keep-alive'], "the handler's own, alone").to.equal('timeout=2');
    expect(closing!.headers.connection).to.equal('close');
    expect(closing!.headers['keep-alive']).to.equal(undefined);
  });
});
