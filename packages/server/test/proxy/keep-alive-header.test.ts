/**
 * The `Keep-Alive: timeout=N` field on the net engine (RFC 2068 19.7.1.1, the de facto Keep-Alive
 * header): a kept-alive response tells the client how long the server will keep the idle
 * connection, N = floor(keepAliveTimeout / 1000) so a client never waits past the server's close;
 * a response that closes the connection says nothing of the kind.
 */
import { expect } from 'chai';
import { behindLoadBalancer } from '../../src/http/options.js';
import { startServer, useCleanup, type HttpServerOptions } from '../support/servers.js';
import type { Handler } from '../../src/http/api.js';

const hello: Handler = (_req, res) => res.end('hello');

async function exchange(options: HttpServerOptions, request: string) {
  const server = await startServer(hello, options);
  const client = await server.connect();
  await client.write(request);
  const response = await client.readResponse();
  return { response, client };
}

describe('proxy/Keep-Alive: timeout=N on a direct kept-alive response (net)', function () {
  useCleanup();

  it('HTTP/1.1: timeout in whole seconds, rounded down (2500 ms -> 2), and the connection stays open', async function () {
    const { response, client } = await exchange({ keepAliveTimeout: 2500 }, 'GET / HTTP/1.1\r\nHost: test\r\n\r\n');
    expect(response.status).to.equal(200);
    expect(response.headers['keep-alive']).to.equal('timeout=2');
    expect(response.headers['connection']).to.equal(undefined);
    await client.write('GET /again HTTP/1.1\r\nHost: test\r\n\r\n');
    expect((await client.readResponse()).text).to.equal('hello');
  });

  it('HTTP/1.0 with Connection: keep-alive: Connection: keep-alive and the timeout', async function () {
    const { response, client } = await exchange({ keepAliveTimeout: 3000 }, 'GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    expect(response.httpVersion).to.equal('1.1');
    expect(response.headers['connection']).to.equal('keep-alive');
    expect(response.headers['keep-alive']).to.equal('timeout=3');
    await client.write('GET /again HTTP/1.0\r\nConnection: keep-alive\r\n\r\n');
    expect((await client.readResponse()).text).to.equal('hello');
  });

  it('the default says timeout=5, and behindLoadBalancer timeout=65', async function () {
    const plain = await exchange({}, 'GET / HTTP/1.1\r\nHost: test\r\n\r\n');
    expect(plain.response.headers['keep-alive']).to.equal('timeout=5');
    const balanced = await exchange({ ...behindLoadBalancer }, 'GET / HTTP/1.1\r\nHost: test\r\n\r\n');
    expect(balanced.response.headers['keep-alive']).to.equal('timeout=65');
  });

  it('Connection: close: the response says close, has no Keep-Alive, and the server closes', async function () {
    const { response, client } = await exchange({ keepAliveTimeout: 2500 }, 'GET / HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n');
    expect(response.headers['connection']).to.equal('close');
    expect(response.headers).to.not.have.property('keep-alive');
    expect(await client.waitForClose()).to.equal(true);
  });

  it('HTTP/1.0 without keep-alive: no Keep-Alive, and the server closes', async function () {
    const { response, client } = await exchange({ keepAliveTimeout: 2500 }, 'GET / HTTP/1.0\r\n\r\n');
    expect(response.headers).to.not.have.property('keep-alive');
    expect(await client.waitForClose()).to.equal(true);
  });

  it('noKeepAlive and keepAliveTimeout 0: no Keep-Alive field', async function () {
    const never = await exchange({ noKeepAlive: true }, 'GET / HTTP/1.1\r\nHost: test\r\n\r\n');
    expect(never.response.headers).to.not.have.property('keep-alive');
    const untimed = await exchange({ keepAliveTimeout: 0 }, 'GET / HTTP/1.1\r\nHost: test\r\n\r\n');
    expect(untimed.response.headers).to.not.have.property('keep-alive');
  });
});
