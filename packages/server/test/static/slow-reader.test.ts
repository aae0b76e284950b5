/**
 * A 1 GiB file (sparse: it costs no disk) sent to a client that stops reading for seconds: the
 * server streams it with backpressure, so its RSS grows by no more than a few MiB, and it serves
 * other clients meanwhile. The server runs in a child process so the RSS measured is its own.
 */
import { expect } from 'chai';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENGINES } from '../support/engines.js';
import { reapAll, startProcess } from '../support/processes.js';
import { delay } from '../support/raw-client.js';
import { requireUws } from '../support/uws.js';

const GIB = 1024 * 1024 * 1024;
const MIB = 1024 * 1024;
/** "A few MiB": the most the server's RSS may grow while the reader stalls. */
const RSS_BOUND = 8 * MIB;

async function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: await response.text() };
}

async function rss(port: number): Promise<number> {
  return Number((await httpGet(port, '/__rss')).body);
}

/** A raw download that counts the bytes it gets and can stop reading. */
class Download {
  received = 0;
  private readonly socket: Socket;
  private waiters: Array<() => void> = [];

  constructor(port: number, path: string) {
    this.socket = connect(port, '127.0.0.1', () => this.socket.write(`GET ${path} HTTP/1.1\r\nHost: test\r\n\r\n`));
    this.socket.on('data', (chunk: Buffer) => {
      this.received += chunk.length;
      for (const wake of this.waiters.splice(0)) wake();
    });
    this.socket.on('error', () => undefined);
  }

  /** Resolves once `bytes` have arrived in all (rejects after 10 s). */
  async until(bytes: number): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (this.received < bytes) {
      if (Date.now() > deadline) throw new Error(`only ${this.received} of ${bytes} bytes arrived`);
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 100);
      });
    }
  }

  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

for (const engine of ENGINES) {
  describe(`static/slow reader: ${engine}`, function () {
    this.timeout(40_000);
    if (engine === 'uws') {
      before(function () {
        requireUws(this);
      });
    }
    let base: string;
    beforeEach(function () {
      base = mkdtempSync(join(tmpdir(), 'percore-slow-'));
      writeFileSync(join(base, 'big.bin'), '');
      truncateSync(join(base, 'big.bin'), GIB);
      writeFileSync(join(base, 'small.txt'), 'small\n');
    });
    afterEach(function () {
      reapAll();
      rmSync(base, { recursive: true, force: true });
    });

    it('a 1 GiB download that stalls for seconds grows RSS by less than a few MiB; others are served meanwhile', async function () {
      const server = await startProcess(new URL('./fixtures/static-server.ts', import.meta.url).href, { args: [engine, base] });
      const port = server.ready.port as number;
      // Warm the paths measured: small files, and a streamed range of the big one read whole.
      for (let i = 0; i < 20; i++) expect((await httpGet(port, '/small.txt')).status).to.equal(200);
      const warm = await fetch(`http://127.0.0.1:${port}/big.bin`, { headers: { Range: `bytes=0-${32 * MIB - 1}` } });
      expect((await warm.arrayBuffer()).byteLength).to.equal(32 * MIB);
      await delay(300);
      const before = await rss(port);

      const download = new Download(port, '/big.bin');
      await download.until(4 * MIB);
      const samples: number[] = [];
      for (let round = 0; round < 2; round++) {
        download.pause();
        const stalledAt = download.received;
        // Stalled for 3 s: the server must be waiting, not reading the file into memory.
        for (let i = 0; i < 6; i++) {
          await delay(500);
          const other = await httpGet(port, '/small.txt');
          expect(other.status).to.equal(200);
          expect(other.body).to.equal('small\n');
          samples.push(await rss(port));
        }
        expect(download.received - stalledAt).to.be.below(64 * MIB);
        download.resume();
        await download.until(download.received + 64 * MIB);
      }
      download.destroy();
      const growth = Math.max(...samples) - before;
      console.log(
        `      ${engine}: RSS before ${(before / MIB).toFixed(1)} MiB, max while stalled ${(Math.max(...samples) / MIB).toFixed(1)} MiB (+${(growth / MIB).toFixed(2)} MiB); ${(download.received / MIB).toFixed(0)} MiB received of 1024`,
      );
      expect(download.received).to.be.below(GIB);
      expect(growth).to.be.below(RSS_BOUND);
    });
  });
}
