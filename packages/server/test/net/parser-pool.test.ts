/**
 * Connections hold a parser only while they read or answer a request, and give it back between
 * requests (net/parser-pool.ts): parsers passed from connection to connection must carry
 * nothing of the last one's request, and a connection idle halfway through a head keeps its own.
 */
import { expect } from 'chai';
import type { Handler } from '../../src/http/api.js';
import { defaultHttpOptions } from '../../src/http/options.js';
import { ParserPool } from '../../src/net/parser-pool.js';
import { ParseEvent } from '../../src/net/parser.js';
import { startServer, useCleanup } from '../support/servers.js';

const echo: Handler = async (req, res) => {
  const body = await req.text();
  res.end(`${req.method} ${req.path} id=${req.header('x-id') ?? '-'} host=${req.header('host')} body=${body}`);
};

describe('net/parser-pool', function () {
  useCleanup();

  it('a parser taken from the pool feeds its new owner and starts a fresh message', () => {
    const pool = new ParserPool(defaultHttpOptions);
    const first: Buffer[] = [];
    const parser = pool.take({ onBody: (chunk) => first.push(Buffer.from(chunk)) });
    parser.execute(Buffer.from('POST /a HTTP/1.1\r\nHost: a\r\nX-Id: 1\r\nContent-Length: 2\r\n\r\nhi'), 0);
    expect(parser.event).to.equal(ParseEvent.HeadComplete);
    parser.execute(Buffer.from('hi'), 0);
    expect(parser.event).to.equal(ParseEvent.MessageComplete);
    expect(parser.idle).to.equal(true);
    parser.releaseMessage();
    pool.give(parser);

    const second: Buffer[] = [];
    const again = pool.take({ onBody: (chunk) => second.push(Buffer.from(chunk)) });
    expect(again, 'the spare parser').to.equal(parser);
    expect(again.fields, 'none of the last head').to.deep.equal([]);
    again.execute(Buffer.from('PUT /b HTTP/1.1\r\nHost: b\r\nContent-Length: 3\r\n\r\nabc'), 0);
    expect(again.event).to.equal(ParseEvent.HeadComplete);
    expect([again.method, again.target, again.contentLength]).to.deep.equal(['PUT', '/b', 3]);
    again.execute(Buffer.from('abc'), 0);
    expect(Buffer.concat(first).toString()).to.equal('hi');
    expect(Buffer.concat(second).toString()).to.equal('abc');
    expect(pool.take({ onBody: () => {} }), 'an empty pool makes a new parser').to.not.equal(parser);
  });

  it('answers interleaved keep-alive connections each from its own request', async function () {
    const { connect } = await startServer(echo);
    const [a, b, c] = await Promise.all([connect(), connect(), connect()]);
    // a is halfway through its head (it keeps its parser) while b and c go through whole
    // exchanges on parsers passed between them.
    await a!.write('POST /a HTTP/1.1\r\nHost: host-a\r\nX-Id: a1\r\n');
    for (let round = 1; round <= 3; round++) {
      await b!.write(`GET /b${round} HTTP/1.1\r\nHost: host-b\r\nX-Id: b${round}\r\n\r\n`);
      expect((await b!.readResponse()).text).to.equal(`GET /b${round} id=b${round} host=host-b body=`);
      await c!.write(`GET /c${round} HTTP/1.1\r\nHost: host-c\r\n\r\n`);
      expect((await c!.readResponse()).text, 'no X-Id left over from b').to.equal(`GET /c${round} id=- host=host-c body=`);
    }
    await a!.write('Content-Length: 4\r\n\r\nbody');
    expect((await a!.readResponse()).text).to.equal('POST /a id=a1 host=host-a body=body');
    // And a again, after going idle: its next request takes whichever parser is spare.
    await a!.write('GET /a2 HTTP/1.1\r\nHost: host-a\r\n\r\n');
    expect((await a!.readResponse()).text).to.equal('GET /a2 id=- host=host-a body=');
  });
});
