import { expect } from 'chai';
import type { Socket } from 'node:net';
import WebSocket from 'ws';
import { destroyAllClients, RawClient } from '../support/raw-client.js';
import { requireUws } from '../support/uws.js';
import type { ErrorCode } from '../../src/errors.js';
import type { Handler } from '../../src/http/api.js';
import { NetEngine } from '../../src/net/engine.js';
import { UwsEngine } from '../../src/uws/engine.js';
import { rejectUpgrade, SendStatus, type UpgradeRequest, type WebSocketBehavior, type WebSocketConnection } from '../../src/websocket/api.js';
import { ENGINES, type EngineName } from '../support/engines.js';

/**
 * The WebSocket API on both engines: the same routes, hooks, socket methods, pub/sub, limits and
 * shutdown, through the `ws` client and raw sockets. Where an engine must differ, the test says so.
 */

// ---- Helpers ------------------------------------------------------------------------------

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves once `check` holds, polling; fails after `ms`. */
async function eventually(check: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await sleep(5);
  }
}

interface Received {
  data: Buffer;
  isBinary: boolean;
}

/** A `ws` client that queues what it receives, so no message is missed between awaits. */
class Peer {
  readonly received: Received[] = [];
  closedWith: { code: number; reason: string } | null = null;
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer, isBinary: boolean) => this.received.push({ data, isBinary }));
    ws.on('close', (code, reason) => (this.closedWith = { code, reason: reason.toString() }));
    ws.on('error', () => {}); // surfaces as close
  }

  static connect(url: string, options: WebSocket.ClientOptions = {}, protocols: string[] = []): Promise<Peer> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols, options);
      peers.add(ws);
      const peer = new Peer(ws);
      const timer = setTimeout(() => reject(new Error('no upgrade within 3 s')), 3000);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(peer);
      });
      ws.once('unexpected-response', (request, response) => {
        clearTimeout(timer);
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk));
        response.on('end', () =>
          reject(
            Object.assign(new Error(`refused: ${response.statusCode}`), { status: response.statusCode, headers: response.headers, body }),
          ),
        );
        response.on('error', () => {});
        request.on('error', () => {});
      });
      ws.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  async next(what = 'a message'): Promise<Received> {
    await eventually(() => this.received.length > 0, what);
    return this.received.shift()!;
  }

  async text(): Promise<string> {
    const message = await this.next();
    expect(message.isBinary, 'a text frame').to.equal(false);
    return message.data.toString();
  }

  async closed(): Promise<{ code: number; reason: string }> {
    await eventually(() => this.closedWith !== null, 'the close');
    return this.closedWith!;
  }
}

const peers = new Set<WebSocket>();
const servers: (UwsEngine | NetEngine)[] = [];

interface Started {
  server: UwsEngine | NetEngine;
  port: number;
  url: string;
  http: string;
  logged: ErrorCode[];
}

let engine: EngineName = 'uws';

/** Open WebSockets in the server's process. */
function websocketCount(server: UwsEngine | NetEngine): number {
  return server instanceof UwsEngine ? server.websocketCount : server.websockets.websocketCount;
}

async function start(routes: Record<string, WebSocketBehavior<any>>, handler: Handler = (_req, res) => res.end('http')): Promise<Started> {
  const logged: ErrorCode[] = [];
  const logger = { error: (code: ErrorCode) => logged.push(code) };
  const server =
    engine === 'uws'
      ? new UwsEngine({ handler, logger, websockets: routes })
      : new NetEngine({ handler, logger, websockets: routes, scheduler: { timerResolutionMs: 10 } });
  servers.push(server);
  const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
  return { server, port, url: `ws://127.0.0.1:${port}`, http: `http://127.0.0.1:${port}`, logged };
}

/** An opening handshake (RFC 6455 4.1), written by hand. */
function upgradeRequest(path: string, extra: Record<string, string> = {}): string {
  const headers: Record<string, string> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version': '13',
    ...extra,
  };
  return `GET ${path} HTTP/1.1\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;
}

const echo: WebSocketBehavior = { message: (socket, message, isBinary) => void socket.send(message, isBinary) };

// ---- Tests --------------------------------------------------------------------------------

for (const engineName of ENGINES)
  describe(`${engineName}: WebSockets`, function () {
    this.timeout(10_000);
    before(function () {
      engine = engineName;
      if (engineName === 'uws') requireUws(this);
    });

    afterEach(async () => {
      for (const ws of peers) ws.terminate();
      peers.clear();
      destroyAllClients();
      await Promise.all(servers.splice(0).map((server) => server.close({ graceMs: 0 })));
    });

    describe('messages', () => {
      it('echoes a text message as text', async () => {
        const { url } = await start({ '/echo': echo });
        const peer = await Peer.connect(`${url}/echo`);
        peer.ws.send('hello, percore');
        expect(await peer.text()).to.equal('hello, percore');
      });

      it('echoes a binary frame as binary, byte for byte', async () => {
        const { url } = await start({ '/echo': echo });
        const peer = await Peer.connect(`${url}/echo`);
        const bytes = Buffer.from([0, 1, 2, 0xfe, 0xff, 0x80]);
        peer.ws.send(bytes);
        const reply = await peer.next();
        expect(reply.isBinary).to.equal(true);
        expect(reply.data.equals(bytes)).to.equal(true);
      });

      it('hands the handler a copy it may keep past an await', async () => {
        const kept: Buffer[] = [];
        const { url } = await start({
          '/keep': {
            async message(socket, message) {
              await sleep(5); // uWS has neutered its own buffer by now
              kept.push(message);
              socket.send(message.toString().toUpperCase());
            },
          },
        });
        const peer = await Peer.connect(`${url}/keep`);
        peer.ws.send('abc');
        expect(await peer.text()).to.equal('ABC');
        expect(kept.map(String)).to.deep.equal(['abc']);
      });

      it('accepts a message of exactly maxPayloadLength and closes on a larger one with 1009', async () => {
        const closes: number[] = [];
        const { url } = await start({ '/small': { ...echo, maxPayloadLength: 100, close: (_socket, code) => closes.push(code) } });
        const peer = await Peer.connect(`${url}/small`);
        peer.ws.send('x'.repeat(100));
        expect((await peer.text()).length).to.equal(100);
        peer.ws.send('x'.repeat(101));
        // RFC 6455 7.4.1: 1009, a message too big to process; uWS alone would cut the connection (1006).
        expect((await peer.closed()).code).to.equal(1009);
        expect(closes).to.deep.equal([1009]);
      });

      it('answers a ping with a pong, and reports pings and pongs to the handlers', async () => {
        const pings: string[] = [];
        const pongs: string[] = [];
        const { url } = await start({
          '/ping': {
            message: (socket) => void socket.ping('from-server'),
            ping: (_socket, payload) => pings.push(payload.toString()),
            pong: (_socket, payload) => pongs.push(payload.toString()),
          },
        });
        const peer = await Peer.connect(`${url}/ping`);
        const clientPongs: string[] = [];
        const clientPings: string[] = [];
        peer.ws.on('pong', (data: Buffer) => clientPongs.push(data.toString()));
        peer.ws.on('ping', (data: Buffer) => clientPings.push(data.toString()));
        peer.ws.ping('from-client');
        await eventually(() => clientPongs.length === 1 && pings.length === 1, 'the pong');
        expect(clientPongs).to.deep.equal(['from-client']);
        expect(pings).to.deep.equal(['from-client']);
        // The server pings; ws answers with a pong on its own (RFC 6455 5.5.3).
        peer.ws.send('ping me');
        await eventually(() => pongs.length === 1, 'the server to get its pong');
        expect(clientPings).to.deep.equal(['from-server']);
        expect(pongs).to.deep.equal(['from-server']);
      });

      it('closes a socket whose handler throws with 1011, logs it, and carries on', async () => {
        const { url, logged } = await start({
          '/throws': {
            message(socket, message) {
              if (message.toString() === 'boom') throw new Error('handler bug');
              socket.send('fine');
            },
          },
        });
        const bad = await Peer.connect(`${url}/throws`);
        const good = await Peer.connect(`${url}/throws`);
        bad.ws.send('boom');
        // RFC 6455 7.4.1: 1011, the server met an unexpected condition.
        expect((await bad.closed()).code).to.equal(1011);
        expect(logged).to.deep.equal(['PERCORE_ERR_WEBSOCKET_HANDLER_FAILED']);
        good.ws.send('hi');
        expect(await good.text()).to.equal('fine');
      });

      it('negotiates permessage-deflate when compression is on', async () => {
        const { url } = await start({ '/deflate': { ...echo, compression: true } });
        const peer = await Peer.connect(`${url}/deflate`, { perMessageDeflate: true });
        expect(peer.ws.extensions).to.include('permessage-deflate');
        const text = 'compressible '.repeat(200);
        peer.ws.send(text);
        expect(await peer.text()).to.equal(text);
      });
    });

    describe('the upgrade', () => {
      interface User {
        name: string;
        room: string;
      }
      const authenticated: WebSocketBehavior<User> = {
        upgrade(req) {
          if (req.header('authorization') !== 'Bearer good') return rejectUpgrade(401, 'who are you?\n', { 'WWW-Authenticate': 'Bearer' });
          return { name: 'ada', room: new URLSearchParams(req.query).get('room') ?? '' };
        },
        open: (socket) => void socket.send(JSON.stringify(socket.data)),
      };

      it('refuses with the status the hook chose, and the client sees it', async () => {
        const { url } = await start({ '/auth': authenticated });
        const refused = await Peer.connect(`${url}/auth`).then(
          () => expect.fail('the upgrade should have been refused'),
          (error: { status: number; headers: Record<string, string>; body: string }) => error,
        );
        expect(refused.status).to.equal(401);
        expect(refused.headers['www-authenticate']).to.equal('Bearer');
        expect(refused.body).to.equal('who are you?\n');
      });

      it('accepts with the user data the hook returned', async () => {
        const { url } = await start({ '/auth': authenticated });
        const peer = await Peer.connect(`${url}/auth?room=42`, { headers: { authorization: 'Bearer good' } });
        expect(JSON.parse(await peer.text())).to.deep.equal({ name: 'ada', room: '42' });
      });

      it('gives the hook the route’s parameters', async () => {
        const { url } = await start({
          '/rooms/:room/users/:user': {
            upgrade: (req) => ({ ...req.params }),
            open: (socket: WebSocketConnection<Record<string, string>>) => void socket.send(JSON.stringify(socket.data)),
          },
        });
        const peer = await Peer.connect(`${url}/rooms/lobby/users/ada`);
        expect(JSON.parse(await peer.text())).to.deep.equal({ room: 'lobby', user: 'ada' });
      });

      it('lets the hook go asynchronous, with the request still readable after the await', async () => {
        const { url } = await start({
          '/async': {
            async upgrade(req: UpgradeRequest) {
              await sleep(20);
              // The native request died when uWS's callback returned; this is percore's copy.
              if (req.header('x-token') !== 'yes') return rejectUpgrade(403);
              return { path: req.path, query: req.query, token: req.headers['x-token'] };
            },
            open: (socket: WebSocketConnection<{ path: string }>) => void socket.send(JSON.stringify(socket.data)),
          },
        });
        const peer = await Peer.connect(`${url}/async?a=1`, { headers: { 'x-token': 'yes' } });
        expect(JSON.parse(await peer.text())).to.deep.equal({ path: '/async', query: 'a=1', token: 'yes' });
        const refused = await Peer.connect(`${url}/async`).catch((error: { status: number }) => error);
        expect((refused as { status: number }).status).to.equal(403);
      });

      it('survives a client that leaves during an asynchronous upgrade, and aborts the hook’s signal', async () => {
        let signal: AbortSignal | null = null;
        let settled = false;
        const { url } = await start({
          '/slow': {
            async upgrade(req) {
              signal = req.signal;
              await sleep(150);
              settled = true;
              return {};
            },
            open: (socket) => void socket.send('opened'),
          },
        });
        const leaving = new WebSocket(`${url}/slow`);
        peers.add(leaving);
        leaving.on('error', () => {});
        await eventually(() => signal !== null, 'the hook to start');
        leaving.terminate();
        await eventually(() => signal!.aborted, 'the signal to abort');
        await eventually(() => settled, 'the hook to finish');
        // Nothing was written to the dead response (rule 2), and the server serves on.
        const peer = await Peer.connect(`${url}/slow`);
        expect(await peer.text()).to.equal('opened');
      });

      it('answers 500 when the hook throws, and logs it', async () => {
        const { url, logged } = await start({
          '/broken': {
            upgrade() {
              throw new Error('hook bug');
            },
          },
        });
        const refused = await Peer.connect(`${url}/broken`).catch((error: { status: number }) => error);
        expect((refused as { status: number }).status).to.equal(500);
        expect(logged).to.deep.equal(['PERCORE_ERR_UPGRADE_FAILED']);
      });

      it('picks the client’s first subprotocol by default, or the one selectProtocol chooses', async () => {
        const { url } = await start({
          '/first': { open: (socket) => void socket.send(socket.protocol) },
          '/chosen': {
            selectProtocol: (offered) => offered.find((name) => name === 'v2'),
            open: (socket) => void socket.send(socket.protocol),
          },
        });
        const first = await Peer.connect(`${url}/first`, {}, ['v1', 'v2']);
        expect(first.ws.protocol).to.equal('v1');
        expect(await first.text()).to.equal('v1');
        const chosen = await Peer.connect(`${url}/chosen`, {}, ['v1', 'v2']);
        expect(chosen.ws.protocol).to.equal('v2');
        expect(await chosen.text()).to.equal('v2');
      });

      it('leaves plain HTTP to the handler, on the WebSocket path and elsewhere', async () => {
        const { url, http } = await start({ '/chat': echo }, (req, res) => res.end(`http ${req.method} ${req.path}`));
        // uWS matches a ws route only for an upgrade: a plain GET falls through to any('/*').
        const plain = await fetch(`${http}/chat`);
        expect(await plain.text()).to.equal('http GET /chat');
        // An upgrade where no ws route is gets the HTTP handler's answer, not a WebSocket.
        const elsewhere = await Peer.connect(`${url}/nowhere`).catch((error: { status: number; body: string }) => error);
        expect((elsewhere as { status: number }).status).to.equal(200);
        expect((elsewhere as { body: string }).body).to.equal('http GET /nowhere');
        // And the ws route itself still upgrades with the catch-all registered first.
        const peer = await Peer.connect(`${url}/chat`);
        peer.ws.send('still ws');
        expect(await peer.text()).to.equal('still ws');
      });

      it('answers 426 with the version it speaks to a WebSocket version other than 13', async () => {
        const { port } = await start({ '/chat': echo });
        const client = await RawClient.connect(port);
        // RFC 6455 4.4: a server that does not speak the client's version answers with the ones it does.
        await client.write(upgradeRequest('/chat', { 'Sec-WebSocket-Version': '8' }));
        const response = await client.readResponse();
        expect(response.status).to.equal(426);
        expect(response.headers['sec-websocket-version']).to.equal('13');
      });

      it('refuses settings that uWS would abort the process for', async () => {
        const { server } = await start({});
        for (const [pattern, behavior] of [
          ['/idle', { idleTimeout: 3 }],
          ['/idle', { idleTimeout: 1000 }],
          ['/life', { maxLifetime: 241 }],
          ['/payload', { maxPayloadLength: 0 }],
          ['no-slash', {}],
          ['/handler', { message: 'not a function' }],
        ] as Array<[string, WebSocketBehavior]>) {
          expect(
            () => (engine === 'uws' ? (server as UwsEngine).ws(pattern, behavior) : new NetEngine({ websockets: { [pattern]: behavior } })),
            `${pattern} ${JSON.stringify(behavior)}`,
          )
            .to.throw()
            .with.property('code', 'PERCORE_ERR_INVALID_OPTION');
        }
      });
    });

    describe('pub/sub', () => {
      it('publishes to subscribers only; a socket’s own publish skips that socket', async () => {
        const { server, url } = await start({
          '/pubsub': {
            message(socket, message) {
              const [verb, topic, text] = message.toString().split(' ');
              if (verb === 'sub') socket.subscribe(topic!);
              if (verb === 'unsub') socket.unsubscribe(topic!);
              if (verb === 'pub') socket.publish(topic!, text!);
              socket.send(`ok ${verb}`);
            },
          },
        });
        const [a, b, c] = await Promise.all([1, 2, 3].map(() => Peer.connect(`${url}/pubsub`)));
        for (const peer of [a!, b!]) {
          peer.ws.send('sub news');
          expect(await peer.text()).to.equal('ok sub');
        }
        expect(server.pubsub!.numSubscribers('news')).to.equal(2);

        expect(server.pubsub!.publish('news', 'extra!')).to.equal(true);
        expect(await a!.text()).to.equal('extra!');
        expect(await b!.text()).to.equal('extra!');

        a!.ws.send('pub news from-a');
        expect(await a!.text()).to.equal('ok pub');
        expect(await b!.text()).to.equal('from-a');

        b!.ws.send('unsub news');
        expect(await b!.text()).to.equal('ok unsub');
        server.pubsub!.publish('news', Buffer.from([1, 2, 3]));
        const binary = await a!.next();
        expect(binary.isBinary).to.equal(true);
        expect([...binary.data]).to.deep.equal([1, 2, 3]);

        // A sentinel through each socket: nothing else was queued before it.
        for (const peer of [a!, b!, c!]) {
          peer.ws.send('ping');
          expect(await peer.text()).to.equal('ok ping');
          expect(peer.received).to.deep.equal([]);
        }
      });
    });

    describe('a closed socket', () => {
      it('turns every use into a no-op instead of the throw uWS would raise', async () => {
        let kept: WebSocketConnection | null = null;
        let closedWith = 0;
        let sendInClose = -1;
        const { server, url, logged } = await start({
          '/gone': {
            open: (socket) => {
              kept = socket;
              socket.subscribe('t');
            },
            close: (socket, code) => {
              closedWith = code;
              // Inside close, as after it: uWS's socket is gone.
              sendInClose = socket.send('too late');
            },
          },
        });
        const peer = await Peer.connect(`${url}/gone`);
        await eventually(() => kept !== null, 'open');
        peer.ws.close(4000, 'bye');
        await eventually(() => closedWith !== 0, 'the server to see the close');
        expect(closedWith).to.equal(4000);
        expect(sendInClose).to.equal(SendStatus.DROPPED);
        const socket = kept! as WebSocketConnection;
        expect(socket.closed).to.equal(true);
        expect(socket.send('hello?')).to.equal(SendStatus.DROPPED);
        expect(socket.ping()).to.equal(SendStatus.DROPPED);
        expect(socket.getBufferedAmount()).to.equal(0);
        expect(socket.subscribe('t')).to.equal(false);
        expect(socket.topics).to.deep.equal([]);
        socket.close(1000);
        socket.terminate();
        socket.cork(() => socket.send('corked'));
        // A closed socket's publish goes to every subscriber (there is no sender left to skip).
        socket.publish('t', 'x');
        expect(server.pubsub!.numSubscribers('t')).to.equal(0);
        expect(logged).to.deep.equal([]);
      });

      it('refuses close codes RFC 6455 reserves', async () => {
        let kept: WebSocketConnection | null = null;
        const { url } = await start({ '/codes': { open: (socket) => void (kept = socket) } });
        const peer = await Peer.connect(`${url}/codes`);
        await eventually(() => kept !== null, 'open');
        // 1005 and 1006 must never be sent (RFC 6455 7.4.1); 2000-2999 are reserved for extensions.
        for (const code of [1005, 1006, 2000, 999, 5000]) {
          expect(() => kept!.close(code))
            .to.throw()
            .with.property('code', 'PERCORE_ERR_INVALID_CLOSE');
        }
        kept!.close(4001, 'app says bye');
        expect(await peer.closed()).to.deep.equal({ code: 4001, reason: 'app says bye' });
      });
    });

    describe('backpressure', () => {
      const CHUNK = Buffer.alloc(64 * 1024, 0x61);
      const LIMIT = 256 * 1024;

      /** Sends CHUNK until uWS drops 3 in a row (bounded), recording what send said and the most buffered. */
      function flood(socket: WebSocketConnection, report: { statuses: number[]; maxBuffered: number }) {
        for (let i = 0; i < 4096 && report.statuses.filter((s) => s === SendStatus.DROPPED).length < 3; i++) {
          report.statuses.push(socket.send(CHUNK));
          report.maxBuffered = Math.max(report.maxBuffered, socket.getBufferedAmount());
        }
      }

      /** Stops reading on the client's TCP socket, so the server's buffers fill. */
      const pauseReading = (peer: Peer) => (peer.ws as unknown as { _socket: Socket })._socket.pause();
      const resumeReading = (peer: Peer) => (peer.ws as unknown as { _socket: Socket })._socket.resume();

      it('drops messages past maxBackpressure, keeps the buffer bounded, and reports the drain', async () => {
        const report = { statuses: [] as number[], maxBuffered: 0 };
        let dropped = 0;
        const drains: number[] = [];
        const { url } = await start({
          '/slow': {
            maxBackpressure: LIMIT,
            message: (socket, message) => {
              if (message.toString() === 'flood') flood(socket, report);
              else socket.send('end');
            },
            dropped: () => void dropped++,
            drain: (socket) => void drains.push(socket.getBufferedAmount()),
          },
        });
        const peer = await Peer.connect(`${url}/slow`);
        pauseReading(peer);
        peer.ws.send('flood');
        await eventually(() => report.statuses.length > 0, 'the flood');

        const count = (status: number) => report.statuses.filter((s) => s === status).length;
        expect(count(SendStatus.BACKPRESSURE), 'some sends were buffered').to.be.greaterThan(0);
        expect(count(SendStatus.DROPPED)).to.equal(3);
        expect(dropped, 'the dropped handler ran for each').to.equal(3);
        // Bounded: uWS refuses a send once past the limit, so at most one chunk more is held.
        expect(report.maxBuffered).to.be.greaterThan(0);
        expect(report.maxBuffered).to.be.at.most(LIMIT + CHUNK.length + 1024);

        resumeReading(peer);
        const delivered = count(SendStatus.SUCCESS) + count(SendStatus.BACKPRESSURE);
        await eventually(() => drains.includes(0), 'the drain handler with an empty buffer');
        peer.ws.send('sentinel');
        await eventually(() => peer.received.some((m) => m.data.toString() === 'end'), 'the sentinel', 5000);
        // Exactly what was accepted arrived, then the sentinel: the dropped ones never left.
        expect(peer.received.length).to.equal(delivered + 1);
      });

      it('cuts a slow consumer past the limit with closeOnBackpressureLimit', async () => {
        const report = { statuses: [] as number[], maxBuffered: 0 };
        const closes: number[] = [];
        let kept: WebSocketConnection | null = null;
        const { url } = await start({
          '/cut': {
            maxBackpressure: LIMIT,
            closeOnBackpressureLimit: true,
            open: (socket) => void (kept = socket),
            message: (socket) => flood(socket, report),
            close: (_socket, code) => closes.push(code),
          },
        });
        const peer = await Peer.connect(`${url}/cut`);
        pauseReading(peer);
        peer.ws.send('flood');
        await eventually(() => report.statuses.includes(SendStatus.DROPPED), 'a drop');
        expect(report.maxBuffered).to.be.at.most(LIMIT + CHUNK.length + 1024);
        // uWS cuts it without a close frame: there is no room to send one.
        await eventually(() => closes.length === 1, 'the server to close the socket');
        expect(closes).to.deep.equal([1006]);
        expect(kept!.closed).to.equal(true);
        expect(kept!.send('more')).to.equal(SendStatus.DROPPED);
        resumeReading(peer);
        expect((await peer.closed()).code).to.equal(1006);
      });
    });

    describe('shutdown', () => {
      it('close() lets a socket with buffered data drain, then sends its 1001 after the data', async () => {
        const chunk = Buffer.alloc(64 * 1024, 0x62);
        let sent = 0;
        const closes: number[] = [];
        const { server, url } = await start({
          '/backlog': {
            maxBackpressure: 64 * 1024 * 1024,
            message(socket) {
              // Until uWS holds a backlog of its own beyond what the kernel took (bounded).
              while (sent < 2048 && socket.getBufferedAmount() < 512 * 1024) {
                socket.send(chunk);
                sent++;
              }
            },
            close: (_socket, code) => closes.push(code),
          },
        });
        const peer = await Peer.connect(`${url}/backlog`);
        (peer.ws as unknown as { _socket: Socket })._socket.pause();
        peer.ws.send('fill');
        await eventually(() => sent > 0, 'the backlog');
        const closing = server.close({ graceMs: 5000 });
        await sleep(50);
        // Still open: a close frame now would queue behind the backlog, and uWS gives an ended
        // socket only seconds before it cuts it.
        expect(websocketCount(server)).to.equal(1);
        expect(closes).to.deep.equal([]);
        (peer.ws as unknown as { _socket: Socket })._socket.resume();
        expect(await peer.closed()).to.deep.equal({ code: 1001, reason: 'going away' });
        expect(peer.received.length, 'every message arrived before the close').to.equal(sent);
        expect(closes).to.deep.equal([1001]);
        await closing;
      });

      it('refuses an upgrade with 503 while the server drains', async () => {
        let release: () => void = () => {};
        const { server, port } = await start({ '/chat': echo }, async (req, res) => {
          if (req.path === '/slow') await new Promise<void>((resolve) => (release = resolve));
          res.end('done');
        });
        // A keep-alive connection opened before the drain may still ask for an upgrade.
        const idle = await RawClient.connect(port);
        await idle.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
        expect((await idle.readResponse()).status).to.equal(200);
        const slow = await RawClient.connect(port);
        await slow.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
        await sleep(20);
        const closing = server.close({ graceMs: 2000 }); // draining: the slow exchange holds it open
        await idle.write(upgradeRequest('/chat'));
        expect((await idle.readResponse()).status).to.equal(503);
        release();
        expect((await slow.readResponse()).status).to.equal(200);
        await closing;
      });

      it('close() sends every open socket 1001 and refuses new upgrades', async () => {
        const closes: number[] = [];
        const { server, url } = await start({ '/chat': { ...echo, close: (_socket, code) => closes.push(code) } });
        const peers = await Promise.all([1, 2].map(() => Peer.connect(`${url}/chat`)));
        expect(server.stats().connections).to.equal(2);
        await server.close({ graceMs: 2000 });
        for (const peer of peers) {
          // RFC 6455 7.4.1: 1001, the endpoint is going away.
          expect(await peer.closed()).to.deep.equal({ code: 1001, reason: 'going away' });
        }
        expect(closes).to.deep.equal([1001, 1001]);
        expect(websocketCount(server)).to.equal(0);
        await Peer.connect(`${url}/chat`).then(
          () => expect.fail('connected after close'),
          () => {},
        );
      });
    });
  });
