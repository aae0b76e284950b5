/**
 * Host validation (RFC 9112 3.2) and case-sensitive methods (RFC 9110 9.1) on the net engine, over
 * real sockets on 127.0.0.1: the raw bytes go in whole and one byte per write.
 */
import { STATUS_CODES } from 'node:http';
import { expect } from 'chai';
import type { ErrorCode } from '../../src/errors.js';
import type { Handler } from '../../src/http/api.js';
import type { CloseResult } from '../support/raw-client.js';
import { startServer, useCleanup } from '../support/servers.js';

/** Answers with the method and the Host it saw, so a test sees what reached the handler. */
const echo: Handler = (req, res) => {
  res.end(`${req.method} ${req.target} host=${req.header('host') ?? '(none)'}`);
};

type Feeding = 'whole' | 'byte by byte';
const feedings: Feeding[] = ['whole', 'byte by byte'];

/** Sends `raw` on a fresh connection and reads until the server closes (or the deadline passes). */
async function exchange(raw: string, feeding: Feeding, methods: string[] = []): Promise<CloseResult> {
  const { connect } = await startServer(echo);
  const client = await connect();
  if (feeding === 'whole') await client.write(raw);
  else await client.writeBytewise(raw);
  return client.readUntilClose({ methods });
}

/** One canned error reply with the code, then the close, and nothing after it. */
function expectRefused(result: CloseResult, status: number, code: ErrorCode): void {
  expect(result.closed, 'the server closed the connection').to.equal(true);
  expect(result.responses, 'exactly one response').to.have.length(1);
  expect(result.leftover.length, 'no bytes after the error reply').to.equal(0);
  const response = result.responses[0]!;
  expect(response.status).to.equal(status);
  expect(response.statusText).to.equal(STATUS_CODES[status]);
  expect(response.headers.connection).to.equal('close');
  expect(response.text).to.contain(code);
}

describe('net: Host and method rules', function () {
  useCleanup();

  describe('Host (RFC 9112 3.2)', function () {
    const refused: Array<[string, string, ErrorCode]> = [
      ['a space', 'GET / HTTP/1.1\r\nHost: local host\r\n\r\n', 'PERCORE_ERR_INVALID_HOST'],
      ['a path', 'GET / HTTP/1.1\r\nHost: localhost/admin\r\n\r\n', 'PERCORE_ERR_INVALID_HOST'],
      ['userinfo', 'GET / HTTP/1.1\r\nHost: a@b\r\n\r\n', 'PERCORE_ERR_INVALID_HOST'],
      ['a port that is not digits', 'GET / HTTP/1.1\r\nHost: x:abc\r\n\r\n', 'PERCORE_ERR_INVALID_HOST'],
      ['an unclosed IP-literal', 'GET / HTTP/1.1\r\nHost: [::1\r\n\r\n', 'PERCORE_ERR_INVALID_HOST'],
      ['an absolute-form target and an invalid Host', 'GET http://a.example/ HTTP/1.1\r\nHost: a b\r\n\r\n', 'PERCORE_ERR_INVALID_HOST'],
      ['two Host fields', 'GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n', 'PERCORE_ERR_DUPLICATE_HOST'],
      ['no Host in HTTP/1.1', 'GET / HTTP/1.1\r\n\r\n', 'PERCORE_ERR_MISSING_HOST'],
    ];
    for (const [what, raw, code] of refused) {
      for (const feeding of feedings) {
        it(`answers 400 and closes for ${what}, fed ${feeding}`, async function () {
          // Whole, a valid request pipelined after the bad one must never be answered; byte by byte,
          // the refusal comes at the head's last byte, and the server closes there.
          const pipelined = feeding === 'whole' ? 'GET /after HTTP/1.1\r\nHost: a\r\n\r\n' : '';
          expectRefused(await exchange(raw + pipelined, feeding), 400, code);
        });
      }
    }

    const accepted: Array<[string, string]> = [
      ['a reg-name and port', 'example.com:8080'],
      ['IPv4', '127.0.0.1'],
      ['an IPv6 literal', '[::1]'],
      ['an IPv6 literal and port', '[::1]:80'],
      ['an empty value', ''],
    ];
    for (const [what, host] of accepted) {
      for (const feeding of feedings) {
        it(`passes ${what} to the handler, fed ${feeding}`, async function () {
          const result = await exchange(`GET /x HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, feeding);
          expect(result.responses).to.have.length(1);
          expect(result.responses[0]!.status).to.equal(200);
          expect(result.responses[0]!.text).to.equal(`GET /x host=${host}`);
        });
      }
    }

    it('keeps HTTP/1.0 without Host', async function () {
      const result = await exchange('GET / HTTP/1.0\r\n\r\n', 'whole');
      expect(result.responses[0]!.status).to.equal(200);
      expect(result.responses[0]!.text).to.equal('GET / host=(none)');
    });
  });

  describe('methods are case-sensitive (RFC 9110 9.1)', function () {
    for (const feeding of feedings) {
      it(`hands an unknown or lower-case token method to the handler as sent, fed ${feeding}`, async function () {
        const raw =
          'get /a HTTP/1.1\r\nHost: h\r\n\r\nBREW /b HTTP/1.1\r\nHost: h\r\n\r\nGET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n';
        const result = await exchange(raw, feeding);
        expect(result.responses.map((response) => response.text)).to.deep.equal(['get /a host=h', 'BREW /b host=h', 'GET /c host=h']);
      });

      it(`gives HEAD semantics to exact HEAD only: lower-case head gets its body, fed ${feeding}`, async function () {
        const raw = 'head /a HTTP/1.1\r\nHost: h\r\n\r\nHEAD /b HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n';
        const result = await exchange(raw, feeding, ['GET', 'HEAD']);
        expect(result.closed).to.equal(true);
        expect(result.responses).to.have.length(2);
        expect(result.responses[0]!.text).to.equal('head /a host=h');
        // HEAD: the head GET would get, Content-Length included, and no content (RFC 9110 9.3.2).
        expect(result.responses[1]!.headers['content-length']).to.equal(String('HEAD /b host=h'.length));
        expect(result.responses[1]!.body.length).to.equal(0);
        expect(result.leftover.length).to.equal(0);
      });
    }

    it('refuses a method that is not a token with 400 and closes', async function () {
      expectRefused(await exchange('G@T / HTTP/1.1\r\nHost: h\r\n\r\n', 'whole'), 400, 'PERCORE_ERR_INVALID_METHOD');
    });
  });
});
