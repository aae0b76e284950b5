import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { reapExamples, startExample } from './run-example.js';

/** POSTs `body` in pieces (chunked) and collects the reply, first not reading it for `stallMs` (so the server must wait for drain). */
function post(
  url: string,
  body: Buffer,
  pieceSize: number,
  stallMs = 0,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/x-test' } }, (res) => {
      const chunks: Buffer[] = [];
      if (stallMs > 0) {
        res.pause();
        setTimeout(() => res.resume(), stallMs);
      }
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    let offset = 0;
    const writeMore = () => {
      while (offset < body.length) {
        const piece = body.subarray(offset, offset + pieceSize);
        offset += piece.length;
        if (!req.write(piece)) return void req.once('drain', writeMore);
      }
      req.end();
    };
    writeMore();
  });
}

describe('examples/streaming-echo', function () {
  this.timeout(30_000);
  afterEach(reapExamples);

  it('echoes a multi-megabyte chunked body back byte for byte, chunked, and exits 0 on SIGTERM', async function () {
    const example = await startExample('streaming-echo');
    const body = randomBytes(8 * 1024 * 1024 + 13);
    const reply = await post(`${example.url}/`, body, 64 * 1024, 500);
    expect(reply.status).to.equal(200);
    expect(reply.headers['transfer-encoding']).to.equal('chunked');
    expect(reply.headers['content-type']).to.equal('application/x-test');
    expect(reply.body.length).to.equal(body.length);
    expect(reply.body.equals(body), 'the same bytes').to.equal(true);
    expect(await example.stop()).to.equal(0);
  });

  it('answers an empty body with an empty reply', async function () {
    const example = await startExample('streaming-echo');
    const reply = await post(`${example.url}/`, Buffer.alloc(0), 1);
    expect(reply.status).to.equal(200);
    expect(reply.body.length).to.equal(0);
  });
});
