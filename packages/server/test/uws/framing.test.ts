/**
 * Framing and routing fields on the `uws` engine, by raw socket: what uWebSockets.js refuses
 * itself, and what it lets through that the wrapper refuses before any handler runs (the table in
 * docs/uws-rules.md). Each case is sent whole, and with its head one byte per write.
 */
import { expect } from 'chai';
import type { Handler } from '../../src/http/api.js';
import { validHost } from '../../src/uws/framing.js';
import { startEngine, useEngineCleanup, type EngineServer } from '../support/engines.js';
import type { RawClient } from '../support/raw-client.js';
import { requireUws } from '../support/uws.js';

interface Seen {
  method: string;
  host: string | undefined;
  body: string;
}

interface Case {
  name: string;
  head: string;
  body?: string;
  status: number;
  /** The code the wrapper's canned reply names; absent where uWS answers itself or the handler does. */
  code?: string;
}

const refusedByWrapper: Case[] = [
  {
    name: 'Transfer-Encoding: chunked, gzip (chunked not final)',
    head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n',
    body: '5\r\nhello\r\n0\r\n\r\n',
    status: 400,
    code: 'PERCORE_ERR_CHUNKED_NOT_FINAL',
  },
  {
    name: 'Transfer-Encoding: gzip, with a chunked body uWS would decode',
    head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n',
    body: '5\r\nhello\r\n0\r\n\r\n',
    status: 400,
    code: 'PERCORE_ERR_CHUNKED_NOT_FINAL',
  },
  {
    name: 'Transfer-Encoding: xchunked',
    head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: xchunked\r\n\r\n',
    body: '5\r\nhello\r\n0\r\n\r\n',
    status: 400,
    code: 'PERCORE_ERR_CHUNKED_NOT_FINAL',
  },
  {
    name: 'Transfer-Encoding: chunked in two field lines (applied twice)',
    head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n',
    body: '5\r\nhello\r\n0\r\n\r\n',
    status: 400,
    code: 'PERCORE_ERR_CHUNKED_NOT_FINAL',
  },
  {
    name: 'Transfer-Encoding: chunked, then a second field line gzip',
    head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n',
    body: '5\r\nhello\r\n0\r\n\r\n',
    status: 400,
    code: 'PERCORE_ERR_CHUNKED_NOT_FINAL',
  },
  {
    name: 'Transfer-Encoding: gzip, chunked (a coding this server does not decode)',
    head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n',
    body: '5\r\nhello\r\n0\r\n\r\n',
    status: 501,
    code: 'PERCORE_ERR_UNSUPPORTED_TRANSFER_CODING',
  },
  {
    name: 'Transfer-Encoding: chunked with an empty Content-Length',
    head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: \r\n\r\n',
    body: '5\r\nhello\r\n0\r\n\r\n',
    status: 400,
    code: 'PERCORE_ERR_INVALID_CONTENT_LENGTH',
  },
  {
    name: 'two Content-Length field lines, 5 and 6',
    head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n',
    body: 'hello!',
    status: 400,
    code: 'PERCORE_ERR_DUPLICATE_CONTENT_LENGTH',
  },
  {
    name: 'two Content-Length field lines, 6 and 5',
    head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 6\r\nContent-Length: 5\r\n\r\n',
    body: 'hello!',
    status: 400,
    code: 'PERCORE_ERR_DUPLICATE_CONTENT_LENGTH',
  },
  {
    name: 'two equal Content-Length field lines',
    head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n',
    body: 'hello',
    status: 400,
    code: 'PERCORE_ERR_DUPLICATE_CONTENT_LENGTH',
  },
  ...['local host', 'localhost/admin', 'user@a', 'a:x', 'a?b', 'a#b', 'a\\b', '[::1', '%4'].map((host) => ({
    name: `Host: ${host}`,
    head: `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
    status: 400,
    code: 'PERCORE_ERR_INVALID_HOST',
  })),
  {
    name: 'a method that is not a token (G@T)',
    head: 'G@T / HTTP/1.1\r\nHost: a\r\n\r\n',
    status: 400,
    code: 'PERCORE_ERR_INVALID_METHOD',
  },
  {
    name: 'CONNECT with an origin-form target',
    head: 'CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n',
    status: 501,
    code: 'PERCORE_ERR_METHOD_NOT_IMPLEMENTED',
  },
];

/** uWS 20.51 answers these itself, before the wrapper sees them: pinned, so an upgrade that changes it shows. */
const refusedByUws: Case[] = [
  {
    name: 'Transfer-Encoding with Content-Length',
    head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n',
    body: '5\r\nhello\r\n0\r\n\r\n',
    status: 400,
  },
  { name: 'Content-Length: 5, 6', head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n', body: 'hello!', status: 400 },
  { name: 'Content-Length: +5', head: 'POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n', body: 'hello', status: 400 },
  {
    name: 'Transfer-Encoding: identity',
    head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n',
    body: 'hello',
    status: 400,
  },
  { name: 'obs-fold', head: 'GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n', status: 400 },
  { name: 'a bare LF in a field line', head: 'GET / HTTP/1.1\r\nHost: a\nX-A: b\r\n\r\n', status: 400 },
  { name: 'whitespace before the colon', head: 'GET / HTTP/1.1\r\nHost : a\r\n\r\n', status: 400 },
  { name: 'a control byte in a value', head: 'GET / HTTP/1.1\r\nHost: a\r\nX-A: b\x01c\r\n\r\n', status: 400 },
  { name: 'no Host', head: 'GET / HTTP/1.1\r\n\r\n', status: 400 },
  { name: 'two Host field lines', head: 'GET / HTTP/1.1\r\nHost: a\r\nHOST: b\r\n\r\n', status: 400 },
  { name: 'HTTP/1.0', head: 'GET / HTTP/1.0\r\nHost: a\r\n\r\n', status: 505 },
  { name: 'a request line ending in bare LF', head: 'GET / HTTP/1.1\nHost: a\r\n\r\n', status: 505 },
  { name: 'an absolute-form target', head: 'GET http://a/x HTTP/1.1\r\nHost: a\r\n\r\n', status: 505 },
  {
    name: 'a chunk extension (which RFC 9112 7.1.1 allows)',
    head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n',
    body: '5;x=y\r\nhello\r\n0\r\n\r\n',
    status: 400,
  },
];

const accepted: Array<Case & { method: string; sentHost: string; sentBody: string }> = [
  ...['a:80', '[::1]:8080', '%41', '', 'localhost', '127.0.0.1:8080', 'a:', "a-b.c_d~!$&'()*+,;="].map((host) => ({
    name: `Host: ${host === '' ? '(empty)' : host}`,
    head: `GET / HTTP/1.1\r\nHost: ${host}\r\n\r\n`,
    status: 200,
    method: 'GET',
    sentHost: host,
    sentBody: '',
  })),
  {
    name: 'a lower-case method, a method of its own (RFC 9110 9.1)',
    head: 'get / HTTP/1.1\r\nHost: a\r\n\r\n',
    status: 200,
    method: 'get',
    sentHost: 'a',
    sentBody: '',
  },
  {
    name: 'Transfer-Encoding: Chunked (coding names are case-insensitive)',
    head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n',
    body: '5\r\nhello\r\n0\r\n\r\n',
    status: 200,
    method: 'POST',
    sentHost: 'a',
    sentBody: 'hello',
  },
  {
    name: 'Transfer-Encoding: chunked, (an empty list element, RFC 9110 5.6.1)',
    head: 'POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked,\r\n\r\n',
    body: '5\r\nhello\r\n0\r\n\r\n',
    status: 200,
    method: 'POST',
    sentHost: 'a',
    sentBody: 'hello',
  },
  {
    name: 'Content-Length: 05',
    head: 'PUT / HTTP/1.1\r\nHost: a\r\nContent-Length: 05\r\n\r\n',
    body: 'hello',
    status: 200,
    method: 'PUT',
    sentHost: 'a',
    sentBody: 'hello',
  },
];

describe('uws/framing', function () {
  before(function () {
    requireUws(this);
  });
  useEngineCleanup();

  let seen: Seen[];
  const handler: Handler = async (req, res) => {
    seen.push({ method: req.method, host: req.header('host'), body: (await req.text()) as string });
    res.end('ok');
  };
  let server: EngineServer;
  beforeEach(async () => {
    seen = [];
    server = await startEngine('uws', handler);
  });

  /** `early`: uWS may answer and close before the head is all there, so later writes may fail. */
  async function send(client: RawClient, c: Case, bytewise: boolean, early = false): Promise<void> {
    if (!bytewise) {
      await client.write(c.head + (c.body ?? ''));
      return;
    }
    const head = client.writeBytewise(c.head);
    await (early ? head.catch(() => undefined) : head);
    // The server may have closed at the head: the body's write may fail.
    if (c.body !== undefined) await client.write(c.body).catch(() => undefined);
  }

  for (const bytewise of [false, true]) {
    const how = bytewise ? ', head byte by byte' : '';
    describe(`refused by the wrapper, before the handler${how}`, () => {
      for (const c of refusedByWrapper) {
        it(`${c.name}: ${c.status}, connection closed`, async () => {
          const client = await server.connect();
          await send(client, c, bytewise);
          const result = await client.readUntilClose();
          expect(result.closed, 'closed').to.equal(true);
          expect(result.responses).to.have.length(1);
          const response = result.responses[0]!;
          expect(response.status).to.equal(c.status);
          expect(response.headers['connection']).to.equal('close');
          expect(response.text).to.contain(c.code!);
          expect(seen, 'handler calls').to.deep.equal([]);
        });
      }
    });

    describe(`refused by uWS itself${how}`, () => {
      for (const c of refusedByUws) {
        it(`${c.name}: ${c.status}`, async () => {
          const client = await server.connect();
          await send(client, c, bytewise, true);
          const result = await client.readUntilClose();
          expect(result.closed, 'closed').to.equal(true);
          expect(result.responses[0]?.status).to.equal(c.status);
          expect(seen, 'handler calls').to.deep.equal([]);
        });
      }
    });

    describe(`handed to the handler${how}`, () => {
      for (const c of accepted) {
        it(`${c.name}: ${c.status}`, async () => {
          const client = await server.connect();
          await send(client, c, bytewise);
          const response = await client.readResponse();
          expect(response.status).to.equal(200);
          expect(response.text).to.equal('ok');
          expect(seen).to.deep.equal([{ method: c.method, host: c.sentHost, body: c.sentBody }]);
        });
      }
    });
  }

  it('keeps the connection after an accepted request: the check leaves keep-alive alone', async () => {
    const client = await server.connect();
    await client.write('GET / HTTP/1.1\r\nHost: a\r\n\r\nPOST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\n\r\nhi');
    const responses = await client.readResponses(2);
    expect(responses.map((r) => r.status)).to.deep.equal([200, 200]);
    expect(client.serverClosed).to.equal(false);
    expect(seen.map((s) => s.body)).to.deep.equal(['', 'hi']);
  });
});

describe('uws/framing on a WebSocket route', function () {
  before(function () {
    requireUws(this);
  });
  useEngineCleanup();

  const upgradeRequest = (host: string) =>
    `GET /ws HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

  async function withWebSocketRoute(): Promise<{ server: EngineServer; upgrades: () => number }> {
    let upgrades = 0;
    const server = await startEngine('uws', (_req, res) => res.end('http'));
    server.uws!.ws('/ws', {
      upgrade: () => {
        upgrades++;
        return {};
      },
    });
    return { server, upgrades: () => upgrades };
  }

  it('refuses an upgrade request with an invalid Host before the upgrade hook runs', async () => {
    const { server, upgrades } = await withWebSocketRoute();
    const client = await server.connect();
    await client.write(upgradeRequest('local host'));
    const result = await client.readUntilClose();
    expect(result.responses[0]?.status).to.equal(400);
    expect(result.responses[0]?.text).to.contain('PERCORE_ERR_INVALID_HOST');
    expect(upgrades()).to.equal(0);
  });

  it('upgrades the same request with a valid Host', async () => {
    const { server, upgrades } = await withWebSocketRoute();
    const client = await server.connect();
    await client.write(upgradeRequest('localhost'));
    await client.waitForText('HTTP/1.1 101');
    expect(upgrades()).to.equal(1);
  });
});

describe('uws/framing validHost', () => {
  it('takes uri-host [ ":" port ] and nothing else, IP-literals by the net parser\'s shape (RFC 9112 3.2, RFC 3986 3.2.2)', () => {
    for (const host of [
      '',
      'a',
      'a:',
      'a:1',
      'localhost:8080',
      '10.0.0.1',
      '[::1]',
      '[2001:db8::1]:443',
      '[::ffff:1.2.3.4]',
      '[v1.x]:1',
      '%7e',
      'xn--bcher-kva.example',
    ]) {
      expect(validHost(host), host).to.equal(true);
    }
    for (const host of [
      ' a',
      'a b',
      'a/b',
      'a@b',
      'a:1:2',
      'a:1a',
      '[]',
      '[::1',
      '[::1]x',
      '[a/b]',
      '[example]',
      '[v1]',
      '[v.x]',
      '[vz.x]',
      '[1.2.3.4]',
      '%',
      '%4g',
      'é',
      'a\tb',
    ]) {
      expect(validHost(host), host).to.equal(false);
    }
  });
});
