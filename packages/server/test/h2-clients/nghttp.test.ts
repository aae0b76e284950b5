/**
 * nghttp -v (nghttp2's client, printing every frame) against the net engine on TLS: a drain
 * (engine.close({ graceMs }), what SIGTERM does in a worker) sends GOAWAY while a slow stream is
 * in flight, and that stream still completes with its whole body; a handler that fails after the
 * head is out shows as RST_STREAM INTERNAL_ERROR.
 */
import { expect } from 'chai';
import type { Handler } from '../../src/http/api.js';
import { deferred } from '../../src/util/deferred.js';
import { startEngine, useEngineCleanup } from '../support/engines.js';
import { requireCommand, runCommand } from '../support/h2-tools.js';
import { delay } from '../support/raw-client.js';
import { within } from '../support/servers.js';

/**
 * nghttp -nv: every frame printed, the body discarded (nghttp does not verify certificates);
 * --no-dep: no priority streams first, so the request is stream 1.
 */
function nghttp(port: number, path: string): ReturnType<typeof runCommand> {
  return runCommand('nghttp', ['-nv', '--no-dep', `https://127.0.0.1:${port}${path}`], { timeoutMs: 15_000 });
}

/** The DATA frames received on stream 1: [length, END_STREAM] each. */
function dataFrames(output: string): Array<[number, boolean]> {
  return [...output.matchAll(/recv DATA frame <length=(\d+), flags=0x0([01]), stream_id=1>/g)].map((match) => [
    Number(match[1]),
    match[2] === '1',
  ]);
}

describe('h2 clients: nghttp', function () {
  this.timeout(20_000);
  before(function () {
    requireCommand(this, 'nghttp');
  });
  useEngineCleanup();

  it('shows GOAWAY on a drain while a slow stream is in flight, and the stream completes with its body', async function () {
    const inHandler = deferred();
    const release = deferred();
    const handler: Handler = async (_req, res) => {
      res.setHeader('Content-Type', 'text/plain');
      res.write('first half, ');
      inHandler.resolve();
      await release.promise;
      res.end('second half');
    };
    const server = await startEngine('net-h2', handler);
    const run = nghttp(server.port, '/slow');
    await within(inHandler.promise, 5000, 'the slow stream to reach the handler');
    const closed = server.close(5000);
    // The drain has begun (GOAWAY sent) before the handler finishes its response.
    await delay(100);
    release.resolve();
    const result = await run;
    await closed;
    expect(result.code, result.stderr).to.equal(0);
    expect(result.stdout).to.match(
      /recv GOAWAY frame <length=\d+, flags=0x00, stream_id=0>\n\s+\(last_stream_id=1, error_code=NO_ERROR\(0x00\)/,
    );
    // The whole body, in DATA frames, the last with END_STREAM: the stream completed.
    const frames = dataFrames(result.stdout);
    expect(frames.reduce((sum, [length]) => sum + length, 0)).to.equal(Buffer.byteLength('first half, second half'));
    expect(frames.map(([, last]) => last)).to.deep.equal([...Array<boolean>(frames.length - 1).fill(false), true]);
    expect(result.stdout.indexOf('recv GOAWAY'), 'GOAWAY came before the end of the stream').to.be.below(
      result.stdout.indexOf('recv DATA frame <length=11, flags=0x01, stream_id=1>'),
    );
  });

  it('shows RST_STREAM INTERNAL_ERROR for a handler that throws after the head is out', async function () {
    const server = await startEngine('net-h2', (_req, res) => {
      res.write('partial');
      throw new Error('after the head');
    });
    const result = await nghttp(server.port, '/');
    expect(result.stdout).to.match(/recv HEADERS frame <length=\d+, flags=0x04, stream_id=(\d+)>/);
    expect(result.stdout).to.match(/recv RST_STREAM frame <length=4, flags=0x00, stream_id=\d+>\n\s+\(error_code=INTERNAL_ERROR\(0x02\)\)/);
    expect(server.codes()).to.deep.equal(['PERCORE_ERR_HANDLER_FAILED']);
  });
});
