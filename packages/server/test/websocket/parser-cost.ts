/**
 * What FrameParser.push costs per frame: 1 million masked 16-byte text frames, fed in socket-sized
 * chunks (64 KiB, frames cut across chunk edges) and one frame per push; ws's Receiver (pure JS:
 * no bufferutil or utf-8-validate installed) on the same bytes for scale, called through `_write`
 * to leave out the stream machinery. Not a test: results go to
 * benchmarks/results/2026-12-02-websocket-parser.md.
 *
 *   cd packages/server && taskset -c 1 npx tsx test/websocket/parser-cost.ts [--frames 1000000] [--rounds 5]
 *
 * The bytes are copied fresh before each timed run (the parsers unmask in place); the copy is not timed.
 */
import { createRequire } from 'node:module';
import { FrameParser, type FrameSink } from '../../src/websocket/frame-parser.js';
import { clientFrame } from './frames.js';

const args = process.argv.slice(2);
const argument = (name: string, fallback: number): number => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const FRAMES = argument('frames', 1_000_000);
const ROUNDS = argument('rounds', 5);
const CHUNK = 64 * 1024;

interface WsReceiver {
  on(event: string, listener: (...args: unknown[]) => void): void;
  _write(chunk: Buffer, encoding: string, callback: (error?: Error | null) => void): void;
}
const require = createRequire(import.meta.url);
const { Receiver } = require('ws') as { Receiver: new (options: object) => WsReceiver };

// Different masking keys and payloads, so nothing is a constant the JIT can see through.
const frames = Array.from({ length: 256 }, (_, i) =>
  clientFrame({
    opcode: 1,
    payload: `message #${String(i).padStart(3, '0')} ok!`,
    maskKey: Buffer.from([i, 255 - i, (i * 7) & 255, (i * 13) & 255]),
  }),
);
const frameLength = frames[0]!.length;
const stream = Buffer.alloc(frameLength * FRAMES);
for (let i = 0; i < FRAMES; i++) frames[i & 255]!.copy(stream, i * frameLength);

/** Fresh chunks of the stream: `size` bytes each, or one frame each. */
function chunks(size: number): Buffer[] {
  const copy = Buffer.from(stream);
  const result: Buffer[] = [];
  for (let i = 0; i < copy.length; i += size) result.push(copy.subarray(i, i + size));
  return result;
}

let received = 0;
let bytes = 0;
const sink: FrameSink = {
  message(data) {
    received++;
    bytes += data.length;
  },
  compressedFragment() {},
  ping() {},
  pong() {},
  close() {},
  fail(error) {
    throw error;
  },
};

function percore(input: Buffer[]): void {
  const parser = new FrameParser(sink, { maxPayloadLength: 16 * 1024 * 1024, perMessageDeflate: false });
  for (const chunk of input) parser.push(chunk);
}

const done = (): void => {};
function ws(input: Buffer[]): void {
  const receiver = new Receiver({ isServer: true, maxPayload: 16 * 1024 * 1024 });
  receiver.on('message', (data) => {
    received++;
    bytes += (data as Buffer).length;
  });
  receiver.on('error', (error) => {
    throw error;
  });
  for (const chunk of input) receiver._write(chunk, 'buffer', done);
}

const cases: { name: string; parse: (input: Buffer[]) => void; size: number }[] = [
  { name: 'percore, 64 KiB chunks', parse: percore, size: CHUNK },
  { name: 'ws, 64 KiB chunks', parse: ws, size: CHUNK },
  { name: 'percore, one frame per push', parse: percore, size: frameLength },
  { name: 'ws, one frame per push', parse: ws, size: frameLength },
];

const wall = new Map<string, number[]>(cases.map((c) => [c.name, []]));
const cpu = new Map<string, number[]>(cases.map((c) => [c.name, []]));
// Round 0 warms up and is not counted; the cases are interleaved, rotating who goes first.
for (let round = 0; round <= ROUNDS; round++) {
  for (let k = 0; k < cases.length; k++) {
    const c = cases[(k + round) % cases.length]!;
    const input = chunks(c.size);
    received = 0;
    bytes = 0;
    const cpuStart = process.cpuUsage();
    const start = process.hrtime.bigint();
    c.parse(input);
    const ns = Number(process.hrtime.bigint() - start);
    const used = process.cpuUsage(cpuStart);
    if (received !== FRAMES || bytes !== FRAMES * 16) throw new Error(`${c.name}: ${received} messages, ${bytes} bytes`);
    if (round > 0) {
      wall.get(c.name)!.push(ns / FRAMES);
      cpu.get(c.name)!.push(((used.user + used.system) * 1000) / FRAMES);
    }
  }
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
console.log(`${FRAMES} frames of ${frameLength} bytes (16-byte masked text payload), ${ROUNDS} rounds, Node ${process.version}`);
console.log('| case | wall ns per frame, median | CPU ns per frame, median | wall ns, each round |');
console.log('| --- | ---: | ---: | --- |');
for (const [name, values] of wall) {
  const each = values.map((v) => v.toFixed(0)).join(', ');
  console.log(`| ${name} | ${median(values).toFixed(1)} | ${median(cpu.get(name)!).toFixed(1)} | ${each} |`);
}
/** The median over rounds of ws's time over percore's in the same round. */
const ratio = (table: Map<string, number[]>, feeding: string): string => {
  const mine = table.get(`percore, ${feeding}`)!;
  const theirs = table.get(`ws, ${feeding}`)!;
  return median(mine.map((v, i) => theirs[i]! / v)).toFixed(2);
};
for (const feeding of ['64 KiB chunks', 'one frame per push']) {
  console.log(`paired ratio ws / percore, ${feeding}: wall ${ratio(wall, feeding)}x, CPU ${ratio(cpu, feeding)}x`);
}
