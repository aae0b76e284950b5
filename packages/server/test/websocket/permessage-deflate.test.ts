/** permessage-deflate (RFC 7692): options, negotiation, and one connection's inflate and deflate. */
import { expect } from 'chai';
import { createRequire } from 'node:module';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { PercoreError } from '../../src/errors.js';
import {
  PerMessageDeflate,
  SYNC_BELOW_BYTES,
  closeCodeOf,
  negotiateDeflate,
  resolveDeflateOptions,
  type DeflateParams,
  type PerMessageDeflateOptions,
} from '../../src/websocket/permessage-deflate.js';
import { sharedZlibLimiter } from '../../src/websocket/zlib-limiter.js';

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const SYNC_FLUSH = { finishFlush: zlib.constants.Z_SYNC_FLUSH };
const DEFAULT_PARAMS: DeflateParams = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

/** The peer's deflate (RFC 7692 7.2.1): a sync flush with the tail removed. */
const peerDeflate = (message: Buffer): Buffer => zlib.deflateRawSync(message, SYNC_FLUSH).subarray(0, -4);
/** The peer's inflate (RFC 7692 7.2.2): the tail put back. */
const peerInflate = (compressed: Buffer, windowBits = 15): Buffer =>
  zlib.inflateRawSync(Buffer.concat([compressed, TAIL]), { ...SYNC_FLUSH, windowBits });

/** JSON-like text of `size` bytes; `seed` varies the content. */
function text(size: number, seed = 1): Buffer {
  let out = '';
  for (let i = 0; out.length < size; i++)
    out += `{"id":${(i * 7919 + seed * 104729) % 100000},"name":"user${(i * seed) % 977}","ok":${i % 3 === 0}},`;
  return Buffer.from(out.slice(0, size));
}

function pmd(params: Partial<DeflateParams> = {}, options: PerMessageDeflateOptions = {}, maxPayloadLength = 1 << 24): PerMessageDeflate {
  return new PerMessageDeflate({ ...DEFAULT_PARAMS, ...params }, resolveDeflateOptions(options), maxPayloadLength);
}

function compress(deflate: PerMessageDeflate, message: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => deflate.compress(message, (error, out) => (error ? reject(error) : resolve(out!))));
}

function decompress(deflate: PerMessageDeflate, fragment: Buffer, fin = true): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => deflate.decompress(fragment, fin, (error, out) => (error ? reject(error) : resolve(out))));
}

function decompressError(deflate: PerMessageDeflate, fragment: Buffer, fin = true): Promise<PercoreError> {
  return new Promise((resolve, reject) =>
    deflate.decompress(fragment, fin, (error) => (error ? resolve(error) : reject(new Error('expected an error')))),
  );
}

const turns = (n: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, n));

describe('websocket/permessage-deflate', () => {
  describe('resolveDeflateOptions', () => {
    it('fills the defaults', () => {
      expect(resolveDeflateOptions(true)).to.deep.equal({
        clientNoContextTakeover: false,
        serverNoContextTakeover: false,
        serverMaxWindowBits: 15,
        clientMaxWindowBits: 15,
        threshold: 1024,
        level: 1,
        memLevel: 8,
        concurrency: 10,
      });
      expect(resolveDeflateOptions({ level: 6, serverMaxWindowBits: undefined }).level).to.equal(6);
      expect(resolveDeflateOptions({ level: 6, serverMaxWindowBits: undefined }).serverMaxWindowBits).to.equal(15);
    });

    const bad: [string, PerMessageDeflateOptions][] = [
      ['serverMaxWindowBits 7', { serverMaxWindowBits: 7 }],
      ['serverMaxWindowBits 16', { serverMaxWindowBits: 16 }],
      ['clientMaxWindowBits 9.5', { clientMaxWindowBits: 9.5 }],
      ['clientMaxWindowBits "x"', { clientMaxWindowBits: 'x' as unknown as number }],
      ['level 10', { level: 10 }],
      ['memLevel 0', { memLevel: 0 }],
      ['threshold -1', { threshold: -1 }],
      ['concurrency 0', { concurrency: 0 }],
      ['serverNoContextTakeover "yes"', { serverNoContextTakeover: 'yes' as unknown as boolean }],
      ['null', null as unknown as PerMessageDeflateOptions],
    ];
    for (const [name, options] of bad) {
      it(`throws PERCORE_ERR_INVALID_OPTION for ${name}`, () => {
        expect(() => resolveDeflateOptions(options))
          .to.throw(PercoreError)
          .with.property('code', 'PERCORE_ERR_INVALID_OPTION');
      });
    }
  });

  describe('negotiateDeflate (RFC 7692 5, 7.1)', () => {
    const defaults = resolveDeflateOptions(true);
    const negotiate = (header: string | undefined, options: PerMessageDeflateOptions = {}) =>
      negotiateDeflate(header, resolveDeflateOptions(options));

    it('returns null without an offer, or when only other extensions are offered', () => {
      expect(negotiateDeflate(undefined, defaults)).to.equal(null);
      expect(negotiateDeflate('', defaults)).to.equal(null);
      expect(negotiateDeflate('x-webkit-deflate-frame, foo; a=1', defaults)).to.equal(null);
    });

    it('accepts a plain offer with the default params', () => {
      expect(negotiate('permessage-deflate')).to.deep.equal({ params: DEFAULT_PARAMS, response: 'permessage-deflate' });
    });

    it('takes the first acceptable offer', () => {
      const result = negotiate('foo, permessage-deflate; bogus, permessage-deflate; server_max_window_bits=12, permessage-deflate');
      expect(result!.response).to.equal('permessage-deflate; server_max_window_bits=12');
      expect(result!.params.serverMaxWindowBits).to.equal(12);
    });

    it('honours server_no_context_takeover (no value)', () => {
      const result = negotiate('permessage-deflate; server_no_context_takeover');
      expect(result!.params.serverNoContextTakeover).to.equal(true);
      expect(result!.response).to.equal('permessage-deflate; server_no_context_takeover');
    });

    it('takes up client_no_context_takeover (no value)', () => {
      const result = negotiate('permessage-deflate; client_no_context_takeover');
      expect(result!.params.clientNoContextTakeover).to.equal(true);
      expect(result!.response).to.equal('permessage-deflate; client_no_context_takeover');
    });

    it('declines no_context_takeover params that carry a value', () => {
      expect(negotiate('permessage-deflate; server_no_context_takeover=1')).to.equal(null);
      expect(negotiate('permessage-deflate; client_no_context_takeover="x"')).to.equal(null);
    });

    it('answers server_max_window_bits with the same or a smaller value', () => {
      expect(negotiate('permessage-deflate; server_max_window_bits=10')!.response).to.equal('permessage-deflate; server_max_window_bits=10');
      const smaller = negotiate('permessage-deflate; server_max_window_bits=12', { serverMaxWindowBits: 10 })!;
      expect(smaller.params.serverMaxWindowBits).to.equal(10);
      expect(smaller.response).to.equal('permessage-deflate; server_max_window_bits=10');
    });

    it('declines server_max_window_bits without a value', () => {
      expect(negotiate('permessage-deflate; server_max_window_bits')).to.equal(null);
    });

    it('tells a smaller server window even when none was offered', () => {
      const result = negotiate('permessage-deflate', { serverMaxWindowBits: 11 })!;
      expect(result.params.serverMaxWindowBits).to.equal(11);
      expect(result.response).to.equal('permessage-deflate; server_max_window_bits=11');
    });

    it('client_max_window_bits without a value: asks for the configured size, or leaves it out at 15', () => {
      expect(negotiate('permessage-deflate; client_max_window_bits')!.response).to.equal('permessage-deflate');
      const asked = negotiate('permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 10 })!;
      expect(asked.params.clientMaxWindowBits).to.equal(10);
      expect(asked.response).to.equal('permessage-deflate; client_max_window_bits=10');
    });

    it('client_max_window_bits with a value: answers it, or the smaller configured size', () => {
      const offered = negotiate('permessage-deflate; client_max_window_bits=12')!;
      expect(offered.params.clientMaxWindowBits).to.equal(12);
      expect(offered.response).to.equal('permessage-deflate; client_max_window_bits=12');
      expect(negotiate('permessage-deflate; client_max_window_bits=12', { clientMaxWindowBits: 9 })!.response).to.equal(
        'permessage-deflate; client_max_window_bits=9',
      );
    });

    it('declines an offer without client_max_window_bits when a smaller client window is configured (RFC 7692 7.1.2.2)', () => {
      const result = negotiate('permessage-deflate, permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 10 })!;
      expect(result.response).to.equal('permessage-deflate; client_max_window_bits=10');
      expect(negotiate('permessage-deflate', { clientMaxWindowBits: 10 })).to.equal(null);
    });

    it('declines repeated params', () => {
      expect(negotiate('permessage-deflate; server_no_context_takeover; server_no_context_takeover')).to.equal(null);
      expect(negotiate('permessage-deflate; server_max_window_bits=10; server_max_window_bits=10')).to.equal(null);
      expect(negotiate('permessage-deflate; client_max_window_bits; client_max_window_bits=10')).to.equal(null);
    });

    it('declines unknown params', () => {
      expect(negotiate('permessage-deflate; foo')).to.equal(null);
      expect(negotiate('permessage-deflate; client_max_window_bits; x=1')).to.equal(null);
    });

    for (const value of ['7', '16', 'x', '08', '010', '-9', '9.0']) {
      it(`declines window bits ${JSON.stringify(value)}`, () => {
        expect(negotiate(`permessage-deflate; server_max_window_bits=${value}`)).to.equal(null);
        expect(negotiate(`permessage-deflate; client_max_window_bits=${value}`)).to.equal(null);
      });
    }

    it('accepts quoted values', () => {
      const result = negotiate('permessage-deflate; server_max_window_bits="10"; client_max_window_bits="11"')!;
      expect(result.params).to.deep.equal({ ...DEFAULT_PARAMS, serverMaxWindowBits: 10, clientMaxWindowBits: 11 });
      expect(result.response).to.equal('permessage-deflate; server_max_window_bits=10; client_max_window_bits=11');
    });

    for (const header of ['permessage-deflate;', 'permessage-deflate; a="b', 'permessage-deflate foo', 'permessage-deflate; =1']) {
      it(`throws PERCORE_ERR_WEBSOCKET_INVALID_EXTENSION for ${JSON.stringify(header)}`, () => {
        expect(() => negotiateDeflate(header, defaults))
          .to.throw(PercoreError)
          .with.property('code', 'PERCORE_ERR_WEBSOCKET_INVALID_EXTENSION');
      });
    }

    it('server options force no_context_takeover even when not offered', () => {
      const result = negotiate('permessage-deflate; client_max_window_bits', {
        serverNoContextTakeover: true,
        clientNoContextTakeover: true,
      })!;
      expect(result.params.serverNoContextTakeover).to.equal(true);
      expect(result.params.clientNoContextTakeover).to.equal(true);
      expect(result.response).to.equal('permessage-deflate; server_no_context_takeover; client_no_context_takeover');
    });

    it('answers server_max_window_bits=8 as 8 and still interoperates with zlib at windowBits 8', async () => {
      const result = negotiate('permessage-deflate; server_max_window_bits=8')!;
      expect(result.response).to.equal('permessage-deflate; server_max_window_bits=8');
      // Repeats 300-400 bytes apart: past a 256-byte window.
      const block = Buffer.from(Array.from({ length: 350 }, (_, i) => (i * 37) % 251));
      const message = Buffer.concat([block, block, block, block]);
      const deflate = new PerMessageDeflate(result.params, defaults, 1 << 20);
      expect(peerInflate(await compress(deflate, message), 8).equals(message)).to.equal(true);
      deflate.close();
    });
  });

  describe('PerMessageDeflate', () => {
    const sizes = [0, 1, 100, 5000, SYNC_BELOW_BYTES - 1, SYNC_BELOW_BYTES, 100_000, 300_000];

    for (const size of sizes) {
      it(`round-trips ${size} bytes with node's zlib as the peer`, async () => {
        const deflate = pmd();
        const message = text(size);
        expect(peerInflate(await compress(deflate, message)).equals(message)).to.equal(true);
        expect((await decompress(deflate, peerDeflate(message)))!.equals(message)).to.equal(true);
        deflate.close();
      });
    }

    it('removes the 00 00 FF FF tail from what it sends (RFC 7692 7.2.1)', async () => {
      const deflate = pmd();
      const compressed = await compress(deflate, text(2000));
      expect(compressed.subarray(-4).equals(TAIL)).to.equal(false);
      expect(Buffer.concat([compressed, TAIL]).equals(zlib.deflateRawSync(text(2000), { ...SYNC_FLUSH, level: 1 }))).to.equal(true);
      deflate.close();
    });

    // 100 000 bytes takes the async path; the window (32 KiB) only reaches back into the end of the first.
    for (const size of [2000, 20_000, 100_000]) {
      it(`keeps its context across messages by default, and not with serverNoContextTakeover (${size} bytes)`, async () => {
        const message = text(size);
        const takeover = pmd();
        const first = await compress(takeover, message);
        const second = await compress(takeover, message);
        if (size <= 20_000) expect(second.length).to.be.below(first.length / 4);
        // Read alone, the second refers to bytes the peer has not seen.
        expect(() => peerInflate(second)).to.throw();
        // The peer needs the first message to read the second.
        const peer = zlib.createInflateRaw();
        const read = (compressed: Buffer) =>
          new Promise<Buffer>((resolve) => {
            const chunks: Buffer[] = [];
            const onData = (c: Buffer) => chunks.push(c);
            peer.on('data', onData);
            peer.write(Buffer.concat([compressed, TAIL]));
            peer.flush(zlib.constants.Z_SYNC_FLUSH, () => {
              peer.removeListener('data', onData);
              resolve(Buffer.concat(chunks));
            });
          });
        expect((await read(first)).equals(message)).to.equal(true);
        expect((await read(second)).equals(message)).to.equal(true);
        peer.close();
        takeover.close();

        const fresh = pmd({ serverNoContextTakeover: true });
        const a = await compress(fresh, message);
        const b = await compress(fresh, message);
        expect(b.equals(a)).to.equal(true);
        expect(peerInflate(b).equals(message)).to.equal(true); // alone, without the first
        fresh.close();
      });
    }

    it('reads a client that keeps its context, and resets with clientNoContextTakeover', async () => {
      const message = text(3000);
      const client = zlib.createDeflateRaw();
      const clientSend = (m: Buffer) =>
        new Promise<Buffer>((resolve) => {
          const chunks: Buffer[] = [];
          const onData = (c: Buffer) => chunks.push(c);
          client.on('data', onData);
          client.write(m);
          client.flush(zlib.constants.Z_SYNC_FLUSH, () => {
            client.removeListener('data', onData);
            resolve(Buffer.concat(chunks).subarray(0, -4));
          });
        });
      const first = await clientSend(message);
      const second = await clientSend(message); // refers back into the first
      client.close();

      const keeps = pmd();
      expect((await decompress(keeps, first))!.equals(message)).to.equal(true);
      expect((await decompress(keeps, second))!.equals(message)).to.equal(true);
      keeps.close();

      const resets = pmd({ clientNoContextTakeover: true });
      expect((await decompress(resets, first))!.equals(message)).to.equal(true);
      const error = await decompressError(resets, second);
      expect(error.code).to.equal('PERCORE_ERR_WEBSOCKET_INVALID_DEFLATE');
      expect(closeCodeOf(error)).to.equal(1007);
      resets.close();
    });

    for (const [size, piece] of [
      [3000, 1],
      [3000, 7],
      [200_000, 1000],
      [200_000, 40_000],
      [-300_000, 100_000],
    ] as const) {
      const what = size < 0 ? `${-size}-byte random` : `${size}-byte`;
      it(`inflates a ${what} message sent in fragments of ${piece} compressed bytes`, async () => {
        // Negative: random bytes, whose fragments are past SYNC_BELOW_BYTES (the async path).
        const message = size < 0 ? randomBytes(-size) : text(size, 3);
        const compressed = peerDeflate(message);
        const deflate = pmd();
        const results: (Buffer | undefined)[] = [];
        for (let at = 0; at < compressed.length; at += piece) {
          const end = Math.min(at + piece, compressed.length);
          results.push(await decompress(deflate, compressed.subarray(at, end), end === compressed.length));
        }
        expect(results.slice(0, -1).every((r) => r === undefined)).to.equal(true);
        expect(results.at(-1)!.equals(message)).to.equal(true);
        // The next message starts clean.
        expect((await decompress(deflate, peerDeflate(Buffer.from('next'))))!.toString()).to.equal('next');
        deflate.close();
      });
    }

    it('inflates a message whose fragments arrive before any callback', async () => {
      const message = Buffer.concat([text(100_000, 5), randomBytes(100_000)]);
      const compressed = peerDeflate(message);
      const deflate = pmd();
      // Small (sync) and large (async) pieces mixed.
      const pieces = [
        compressed.subarray(0, 10),
        compressed.subarray(10, 90_000),
        compressed.subarray(90_000, 90_100),
        compressed.subarray(90_100),
      ];
      const results = await Promise.all(pieces.map((p, i) => decompress(deflate, p, i === pieces.length - 1)));
      expect(results.at(-1)!.equals(message)).to.equal(true);
      deflate.close();
    });

    it('reads a peer that ends its stream with a final block (RFC 7692 7.2.3.4)', async () => {
      const deflate = pmd();
      expect((await decompress(deflate, zlib.deflateRawSync(Buffer.from('final'))))!.toString()).to.equal('final');
      expect((await decompress(deflate, peerDeflate(Buffer.from('after'))))!.toString()).to.equal('after');
      const big = text(50_000);
      expect((await decompress(deflate, zlib.deflateRawSync(big)))!.equals(big)).to.equal(true);
      expect((await decompress(deflate, peerDeflate(Buffer.from('after big'))))!.toString()).to.equal('after big');
      deflate.close();
    });

    describe('a zip bomb (100 MB of zeros) against maxPayloadLength 64 KiB', () => {
      const bomb = peerDeflate(Buffer.alloc(100_000_000));
      const limit = 64 * 1024;

      it('is about 100 KB compressed', () => {
        expect(bomb.length).to.be.within(50_000, 200_000);
      });

      for (const [name, piece] of [
        ['in one frame (async path)', bomb.length],
        ['in 4 KiB fragments (sync path)', 4096],
      ] as const) {
        it(`fails with 1009 ${name}, allocating little`, async () => {
          const deflate = pmd({}, {}, limit);
          const before = process.memoryUsage().arrayBuffers;
          let error: PercoreError | undefined;
          let callbacks = 0;
          for (let at = 0; at < bomb.length && !error; at += piece) {
            const end = Math.min(at + piece, bomb.length);
            callbacks++;
            await new Promise<void>((resolve) =>
              deflate.decompress(bomb.subarray(at, end), end === bomb.length, (e) => {
                error = e ?? undefined;
                resolve();
              }),
            );
          }
          const grown = process.memoryUsage().arrayBuffers - before;
          expect(error?.code).to.equal('PERCORE_ERR_WEBSOCKET_MESSAGE_TOO_BIG');
          expect(closeCodeOf(error!)).to.equal(1009);
          // 64 KiB allowed, one 16 KiB zlib chunk past it, and zlib's buffers: far below the 100 MB unbounded.
          expect(grown).to.be.below(4 * 1024 * 1024);
          expect(callbacks).to.be.at.most(Math.ceil(bomb.length / piece));
          // The message stream is lost: later fragments fail the same way, in order.
          const later = await decompressError(deflate, peerDeflate(Buffer.from('x')));
          expect(later.code).to.equal('PERCORE_ERR_WEBSOCKET_MESSAGE_TOO_BIG');
          deflate.close();
        });
      }

      it('counts the bound across the fragments of one message', async () => {
        const message = text(50_000);
        const compressed = peerDeflate(message);
        const deflate = pmd({}, {}, 60_000);
        const half = compressed.length >> 1;
        expect(await decompress(deflate, compressed.subarray(0, half), false)).to.equal(undefined);
        expect((await decompress(deflate, compressed.subarray(half)))!.equals(message)).to.equal(true);
        // Two such messages in one would pass 60 000.
        const twice = peerDeflate(Buffer.concat([message, message]));
        const error = await decompressError(deflate, twice);
        expect(closeCodeOf(error)).to.equal(1009);
        deflate.close();
      });

      it('allows exactly maxPayloadLength bytes', async () => {
        const message = text(10_000);
        const deflate = pmd({}, {}, 10_000);
        expect((await decompress(deflate, peerDeflate(message)))!.length).to.equal(10_000);
        const error = await decompressError(deflate, peerDeflate(text(10_001)));
        expect(closeCodeOf(error)).to.equal(1009);
        deflate.close();
      });
    });

    for (const [name, corrupt] of [
      ['a reserved block type (sync path)', Buffer.from([0xff, 0xff, 0xff])],
      ['a reserved block type (async path)', Buffer.alloc(SYNC_BELOW_BYTES + 10, 0xff)],
      ['a bad stored-block length (sync path)', Buffer.from([0x00, 0x05, 0x00, 0x00, 0x00])],
    ] as const) {
      it(`fails corrupt data with 1007: ${name}`, async () => {
        const deflate = pmd();
        const error = await decompressError(deflate, corrupt);
        expect(error.code).to.equal('PERCORE_ERR_WEBSOCKET_INVALID_DEFLATE');
        expect(closeCodeOf(error)).to.equal(1007);
        deflate.close();
      });
    }

    it('calls back in call order across sync and async sizes, both directions', async () => {
      const deflate = pmd();
      const sizes = [100, 200_000, 50, 30_000, 10, 1, 100_000, 20, 90_000, 5];
      // Random bytes do not compress: their compressed form is past SYNC_BELOW_BYTES, so inflate goes async too.
      const messages = sizes.map((size, i) => (i === 8 ? randomBytes(size) : text(size, i + 1)));
      expect(peerDeflate(messages[8]!).length).to.be.above(SYNC_BELOW_BYTES);
      const compressOrder: number[] = [];
      const compressed: Buffer[] = [];
      await new Promise<void>((resolve) => {
        messages.forEach((m, i) =>
          deflate.compress(m, (error, out) => {
            expect(error).to.equal(null);
            compressOrder.push(i);
            compressed[i] = out!;
            if (compressOrder.length === messages.length) resolve();
          }),
        );
      });
      expect(compressOrder).to.deep.equal([...sizes.keys()]);

      // Our output, with context takeover, read back in order by one peer stream.
      const peer = zlib.createInflateRaw();
      for (let i = 0; i < messages.length; i++) {
        const out: Buffer[] = [];
        const onData = (c: Buffer) => out.push(c);
        peer.on('data', onData);
        await new Promise<void>((resolve) => {
          peer.write(Buffer.concat([compressed[i]!, TAIL]));
          peer.flush(zlib.constants.Z_SYNC_FLUSH, () => resolve());
        });
        peer.removeListener('data', onData);
        expect(Buffer.concat(out).equals(messages[i]!)).to.equal(true);
      }
      peer.close();

      const inflateOrder: number[] = [];
      await new Promise<void>((resolve) => {
        messages.forEach((m, i) =>
          deflate.decompress(peerDeflate(m), true, (error, out) => {
            expect(error).to.equal(null);
            expect(out!.equals(m)).to.equal(true);
            inflateOrder.push(i);
            if (inflateOrder.length === messages.length) resolve();
          }),
        );
      });
      expect(inflateOrder).to.deep.equal([...sizes.keys()]);
      deflate.close();
    });

    it('never calls back after close(), and gives its limiter slots back', async () => {
      const limiter = sharedZlibLimiter(10);
      const activeBefore = limiter.active;
      const deflate = pmd();
      let callbacks = 0;
      const big = text(300_000);
      const compressedBig = peerDeflate(randomBytes(100_000));
      for (let i = 0; i < 4; i++) {
        deflate.compress(big, () => callbacks++);
        deflate.decompress(compressedBig, true, () => callbacks++);
        deflate.compress(Buffer.from('small'), () => callbacks++);
      }
      expect(limiter.active).to.be.above(activeBefore);
      deflate.close();
      deflate.close();
      expect(limiter.active).to.equal(activeBefore);
      deflate.compress(Buffer.from('after'), () => callbacks++);
      deflate.decompress(peerDeflate(Buffer.from('after')), true, () => callbacks++);
      await turns(200);
      expect(callbacks).to.equal(0);
      expect(limiter.active).to.equal(activeBefore);
    });

    it('close() inside a callback stops the callbacks of jobs queued behind it', async () => {
      const deflate = pmd();
      const seen: string[] = [];
      deflate.compress(text(100_000), () => {
        seen.push('big');
        deflate.close();
      });
      deflate.compress(Buffer.from('small'), () => seen.push('small'));
      deflate.decompress(peerDeflate(randomBytes(100_000)), true, () => {
        seen.push('inflate');
        deflate.close();
      });
      deflate.decompress(peerDeflate(Buffer.from('x')), true, () => seen.push('inflate small'));
      await turns(100);
      expect(seen).to.have.length(1);
      expect(['big', 'inflate']).to.include(seen[0]);
    });

    it('queues async jobs of many connections behind the process limit', async () => {
      const limiter = sharedZlibLimiter(2);
      try {
        const connections = Array.from({ length: 6 }, () => pmd({}, { concurrency: 2 }));
        const big = text(100_000);
        let peak = 0;
        const done = connections.map(
          (c) =>
            new Promise<void>((resolve) =>
              c.compress(big, (error) => {
                expect(error).to.equal(null);
                resolve();
              }),
            ),
        );
        peak = Math.max(peak, limiter.active);
        expect(limiter.queued).to.equal(4);
        await Promise.all(done);
        expect(peak).to.equal(2);
        expect(limiter.active).to.equal(0);
        for (const c of connections) c.close();
      } finally {
        sharedZlibLimiter(10);
      }
    });

    it('shouldCompress follows the threshold', () => {
      const deflate = pmd({}, { threshold: 100 });
      expect(deflate.shouldCompress(99)).to.equal(false);
      expect(deflate.shouldCompress(100)).to.equal(true);
      expect(pmd().shouldCompress(1023)).to.equal(false);
      expect(pmd().shouldCompress(1024)).to.equal(true);
    });

    it('a callback that throws reaches the caller and does not stall later jobs', async () => {
      const deflate = pmd();
      expect(() =>
        deflate.compress(Buffer.from('boom'), () => {
          throw new Error('handler failed');
        }),
      ).to.throw('handler failed');
      expect(peerInflate(await compress(deflate, Buffer.from('still works'))).toString()).to.equal('still works');
      deflate.close();
    });
  });

  describe('interop with ws 8 lib/permessage-deflate.js as the client', () => {
    const require = createRequire(import.meta.url);
    const wsRoot = path.dirname(require.resolve('ws/package.json'));
    type WsDeflate = {
      offer(): Record<string, unknown>;
      accept(configurations: unknown[]): Record<string, unknown>;
      compress(data: Buffer, fin: boolean, callback: (error: Error | null, data?: Buffer) => void): void;
      decompress(data: Buffer, fin: boolean, callback: (error: Error | null, data?: Buffer) => void): void;
      cleanup(): void;
    };
    const WsPerMessageDeflate = require(path.join(wsRoot, 'lib/permessage-deflate.js')) as new (
      options: Record<string, unknown>,
    ) => WsDeflate;
    const extension = require(path.join(wsRoot, 'lib/extension.js')) as {
      format(extensions: Record<string, unknown>): string;
      parse(header: string): Record<string, unknown[]>;
    };
    const wsCall = (fn: (cb: (error: Error | null, data?: Buffer) => void) => void) =>
      new Promise<Buffer>((resolve, reject) => fn((error, data) => (error ? reject(error) : resolve(data!))));

    for (const [name, clientOptions, serverOptions] of [
      ['defaults', {}, {}],
      [
        'client asks for no context takeover and small windows',
        { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10 },
        {},
      ],
      ['server limits the client window', {}, { clientMaxWindowBits: 9 }],
    ] as const) {
      it(`negotiates and exchanges messages both ways: ${name}`, async () => {
        const client = new WsPerMessageDeflate({ ...clientOptions, isServer: false, maxPayload: 0 });
        const offer = extension.format({ 'permessage-deflate': client.offer() });
        const negotiated = negotiateDeflate(offer, resolveDeflateOptions(serverOptions))!;
        expect(negotiated).to.not.equal(null);
        client.accept(extension.parse(negotiated.response)['permessage-deflate']!);
        const server = new PerMessageDeflate(negotiated.params, resolveDeflateOptions(serverOptions), 1 << 24);
        for (const size of [10, 5000, 100_000, 5000]) {
          const message = text(size, size);
          const fromClient = await wsCall((cb) => client.compress(message, true, cb));
          expect((await decompress(server, fromClient))!.equals(message)).to.equal(true);
          const fromServer = await compress(server, message);
          expect((await wsCall((cb) => client.decompress(fromServer, true, cb))).equals(message)).to.equal(true);
        }
        client.cleanup();
        server.close();
      });
    }
  });
});
