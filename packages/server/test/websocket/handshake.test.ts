import { expect } from 'chai';
import type { ErrorCode } from '../../src/errors.js';
import type { Handler } from '../../src/http/api.js';
import { NetEngine } from '../../src/net/engine.js';
import { UwsEngine } from '../../src/uws/engine.js';
import { rejectUpgrade, type WebSocketBehavior } from '../../src/websocket/api.js';
import { ENGINES, type EngineName } from '../support/engines.js';
import { destroyAllClients, RawClient, type RawResponse } from '../support/raw-client.js';
import { requireUws } from '../support/uws.js';

/**
 * The opening handshake's checks (RFC 6455 4.2.1, 4.2.2, 4.4) on both engines, through raw
 * requests. The uws wrapper applies the same checks (websocket/handshake.ts) before uWS upgrades,
 * so a request uWS alone would upgrade or hand to HTTP as a plain GET gets the same refusal.
 *
 * What stays uWS's own (docs/uws-rules.md): uWS answers any HTTP/1.0 request with 505 before
 * JavaScript runs, so the net engine's 400 for an HTTP/1.0 handshake has no uws twin; and uWS
 * parses the request head itself (a malformed head is its 400, never reaching the wrapper).
 */

const SAMPLE_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const SAMPLE_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

const servers: (UwsEngine | NetEngine)[] = [];
let engine: EngineName = 'net';

async function start(routes: Record<string, WebSocketBehavior<any>>, handler: Handler): Promise<number> {
  const logged: ErrorCode[] = [];
  const logger = { error: (code: ErrorCode) => logged.push(code) };
  const server =
    engine === 'uws'
      ? new UwsEngine({ handler, logger, websockets: routes })
      : new NetEngine({ handler, logger, websockets: routes, scheduler: { timerResolutionMs: 10 } });
  servers.push(server);
  return (await server.listen({ host: '127.0.0.1', port: 0 })).port;
}

/** A request head; `null` for a header leaves it out. */
function request(method: string, path: string, headers: Record<string, string | null>, version = '1.1'): string {
  const fields: Record<string, string | null> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': SAMPLE_KEY,
    'Sec-WebSocket-Version': '13',
    ...headers,
  };
  const lines = Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  return `${method} ${path} HTTP/${version}\r\n${lines}\r\n`;
}

/** Sends `head` on a fresh connection and reads the one response. */
async function exchange(port: number, head: string): Promise<RawResponse> {
  const client = await RawClient.connect(port);
  await client.write(head);
  return client.readResponse(head.startsWith('HEAD') ? 'HEAD' : 'GET');
}

const plainHttp: Handler = (req, res) => res.end(`http ${req.method} ${req.path}`);
const echo: WebSocketBehavior = { message: (socket, message, isBinary) => void socket.send(message, isBinary) };

for (const engineName of ENGINES)
  describe(`${engineName}: the WebSocket opening handshake`, function () {
    this.timeout(10_000);
    before(function () {
      engine = engineName;
      if (engineName === 'uws') requireUws(this);
    });

    afterEach(async () => {
      destroyAllClients();
      await Promise.all(servers.splice(0).map((server) => server.close({ graceMs: 0 })));
    });

    let port = 0;
    beforeEach(async () => {
      port = await start({ '/ws': echo }, plainHttp);
    });

    describe('refused with 400 (RFC 6455 4.2.1)', () => {
      const cases: [string, string][] = [
        ['a POST with the upgrade headers', request('POST', '/ws', { 'Content-Length': '0' })],
        ['no Upgrade: websocket', request('GET', '/ws', { Upgrade: null })],
        ['Upgrade: h2c instead of websocket', request('GET', '/ws', { Upgrade: 'h2c' })],
        ['Connection: keep-alive without upgrade', request('GET', '/ws', { Connection: 'keep-alive' })],
        ['no Connection field', request('GET', '/ws', { Connection: null })],
        ['a key of 24 "!"', request('GET', '/ws', { 'Sec-WebSocket-Key': '!'.repeat(24) })],
        ['a key of 20 bytes in base64', request('GET', '/ws', { 'Sec-WebSocket-Key': Buffer.alloc(20, 7).toString('base64') })],
        ['a key of 15 bytes in base64', request('GET', '/ws', { 'Sec-WebSocket-Key': Buffer.alloc(15, 7).toString('base64') })],
        ['no key', request('GET', '/ws', { 'Sec-WebSocket-Key': null })],
      ];
      for (const [name, head] of cases) {
        it(name, async () => {
          const response = await exchange(port, head);
          expect(response.status, response.text).to.equal(400);
          expect(response.headers['sec-websocket-accept']).to.equal(undefined);
          expect(response.text).to.not.match(/^http /);
        });
      }
    });

    describe('refused with 426 and the version spoken (RFC 6455 4.2.2, 4.4)', () => {
      for (const [name, version] of [
        ['version 8', '8'],
        ['no version', null],
      ] as const) {
        it(name, async () => {
          const response = await exchange(port, request('GET', '/ws', { 'Sec-WebSocket-Version': version }));
          expect(response.status, response.text).to.equal(426);
          expect(response.headers['sec-websocket-version']).to.equal('13');
        });
      }
    });

    describe('accepted with 101', () => {
      const cases: [string, Record<string, string>][] = [
        ['the plain handshake', {}],
        ['Connection: keep-alive, Upgrade', { Connection: 'keep-alive, Upgrade' }],
        ['Upgrade: WebSocket (mixed case, RFC 9110 7.8)', { Upgrade: 'WebSocket' }],
        ['Connection: upgrade (lower case)', { Connection: 'upgrade' }],
      ];
      for (const [name, headers] of cases) {
        it(name, async () => {
          const response = await exchange(port, request('GET', '/ws', headers));
          expect(response.status, response.text).to.equal(101);
          expect(response.headers['upgrade']?.toLowerCase()).to.equal('websocket');
          expect(response.headers['sec-websocket-accept']).to.equal(SAMPLE_ACCEPT);
        });
      }
    });

    describe('left to the HTTP handler', () => {
      it('a plain GET on the WebSocket route', async () => {
        const response = await exchange(port, 'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        expect(response.status).to.equal(200);
        expect(response.text).to.equal('http GET /ws');
      });

      it('an upgrade on a path with no WebSocket route', async () => {
        const response = await exchange(port, request('GET', '/elsewhere', {}));
        expect(response.status).to.equal(200);
        expect(response.text).to.equal('http GET /elsewhere');
      });
    });

    it(
      engineName === 'net'
        ? 'refuses an HTTP/1.0 handshake with 400 (RFC 6455 4.1: HTTP/1.1 or later)'
        : 'answers an HTTP/1.0 handshake with uWS’s own 505 (uWS speaks no HTTP/1.0)',
      async () => {
        const response = await exchange(port, request('GET', '/ws', {}, '1.0'));
        expect(response.status, response.text).to.equal(engineName === 'net' ? 400 : 505);
        expect(response.headers['sec-websocket-accept']).to.equal(undefined);
      },
    );

    describe('subprotocols (RFC 6455 4.2.2)', () => {
      it('answers with the client’s first choice by default', async () => {
        const response = await exchange(port, request('GET', '/ws', { 'Sec-WebSocket-Protocol': 'chat.v2, chat.v1' }));
        expect(response.status).to.equal(101);
        expect(response.headers['sec-websocket-protocol']).to.equal('chat.v2');
      });

      it('answers with the one selectProtocol chose', async () => {
        const chosenPort = await start({ '/ws': { ...echo, selectProtocol: (offered) => offered.find((p) => p === 'chat.v1') } }, plainHttp);
        const response = await exchange(chosenPort, request('GET', '/ws', { 'Sec-WebSocket-Protocol': 'chat.v2, chat.v1' }));
        expect(response.status).to.equal(101);
        expect(response.headers['sec-websocket-protocol']).to.equal('chat.v1');
      });

      it('sends no Sec-WebSocket-Protocol when none was offered', async () => {
        const response = await exchange(port, request('GET', '/ws', {}));
        expect(response.status).to.equal(101);
        expect(response.headers['sec-websocket-protocol']).to.equal(undefined);
      });
    });

    describe('an Origin check in the upgrade hook (RFC 6455 10.2)', () => {
      let originPort = 0;
      const origins: (string | undefined)[] = [];
      beforeEach(async () => {
        origins.length = 0;
        originPort = await start(
          {
            '/ws': {
              ...echo,
              upgrade(req) {
                const origin = req.header('origin');
                origins.push(origin);
                return origin === 'https://app.example' ? {} : rejectUpgrade(403);
              },
            },
          },
          plainHttp,
        );
      });

      it('refuses a foreign origin with 403', async () => {
        const response = await exchange(originPort, request('GET', '/ws', { Origin: 'https://evil.example' }));
        expect(response.status).to.equal(403);
        expect(response.headers['sec-websocket-accept']).to.equal(undefined);
        expect(origins).to.deep.equal(['https://evil.example']);
      });

      it('accepts its own origin', async () => {
        const response = await exchange(originPort, request('GET', '/ws', { Origin: 'https://app.example' }));
        expect(response.status).to.equal(101);
        expect(origins).to.deep.equal(['https://app.example']);
      });

      it('does not run the hook for a handshake the checks refuse', async () => {
        const response = await exchange(originPort, request('GET', '/ws', { Origin: 'https://app.example', 'Sec-WebSocket-Version': '8' }));
        expect(response.status).to.equal(426);
        expect(origins).to.deep.equal([]);
      });
    });
  });
