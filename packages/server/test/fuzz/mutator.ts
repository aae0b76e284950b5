/**
 * A byte mutator for HTTP/1.x requests, seeded from the parser fixtures. A mutation is plain data
 * (a kind and some numbers taken modulo the input's length), so fast-check can generate and shrink
 * it, and the long run can draw the same mutations from its own seeded generator.
 */
import fc from 'fast-check';
import { allFixtures } from '../net/fixtures/index.js';

export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'insert'; at: number; byte: number }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'splice'; at: number; other: number; from: number };

/** Bytes that matter to the grammar: line ends, NUL, whitespace, separators, digits, hex. */
export const INTERESTING_BYTES = [0x0d, 0x0a, 0x00, 0x20, 0x09, 0x3a, 0x3b, 0x2c, 0x22, 0x3d, 0x30, 0x31, 0x66, 0x7f, 0x80, 0xff];

/** The seed corpus: every fixture's bytes, plus a few framings the fixtures hold only in pieces. */
export const corpus: Buffer[] = [
  ...allFixtures.map((fixture) => Buffer.from(fixture.raw, 'latin1')),
  Buffer.from('POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\nHost: b\r\n\r\n', 'latin1'),
  Buffer.from(
    'POST /c HTTP/1.1\r\nHost: c\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: v\r\n\r\nGET / HTTP/1.1\r\nHost: d\r\n\r\n',
    'latin1',
  ),
];

const MAX_INPUT = 4096;

/** Applies the mutations in order; `others` supplies the second input of a splice. */
export function mutate(base: Buffer, mutations: readonly Mutation[], others: readonly Buffer[] = corpus): Buffer {
  let bytes = base;
  for (const mutation of mutations) {
    const length = bytes.length;
    switch (mutation.kind) {
      case 'flip': {
        if (length === 0) break;
        const copy = Buffer.from(bytes);
        copy[mutation.at % length]! ^= 1 << (mutation.bit & 7);
        bytes = copy;
        break;
      }
      case 'set': {
        if (length === 0) break;
        const copy = Buffer.from(bytes);
        copy[mutation.at % length] = mutation.byte & 0xff;
        bytes = copy;
        break;
      }
      case 'insert': {
        const at = mutation.at % (length + 1);
        bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from([mutation.byte & 0xff]), bytes.subarray(at)]);
        break;
      }
      case 'delete': {
        if (length === 0) break;
        const at = mutation.at % length;
        bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1 + (mutation.length % 8))]);
        break;
      }
      case 'duplicate': {
        if (length === 0) break;
        const at = mutation.at % length;
        const piece = bytes.subarray(at, at + 1 + (mutation.length % 64));
        bytes = Buffer.concat([bytes.subarray(0, at + piece.length), piece, bytes.subarray(at + piece.length)]);
        break;
      }
      case 'splice': {
        const other = others[mutation.other % others.length]!;
        const at = mutation.at % (length + 1);
        bytes = Buffer.concat([bytes.subarray(0, at), other.subarray(mutation.from % (other.length + 1))]);
        break;
      }
    }
    if (bytes.length > MAX_INPUT) bytes = bytes.subarray(0, MAX_INPUT);
  }
  return bytes;
}

/** A source of random integers: fast-check's, or the long run's own generator. */
export interface Random {
  /** An integer in [0, bound). */
  below(bound: number): number;
}

/** mulberry32: seeded, fast, period 2^32, the same sequence on every run for a seed. */
export class SeededRandom implements Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  below(bound: number): number {
    return this.next() % bound;
  }
}

const KINDS = ['flip', 'set', 'insert', 'delete', 'duplicate', 'splice'] as const;

/** The byte an insert or set writes: mostly grammar-relevant bytes, sometimes any byte. */
function drawByte(random: Random): number {
  return random.below(4) === 0 ? random.below(256) : INTERESTING_BYTES[random.below(INTERESTING_BYTES.length)]!;
}

/** One to eight mutations, drawn from `random`. */
export function drawMutations(random: Random): Mutation[] {
  const count = 1 + random.below(8);
  const mutations: Mutation[] = [];
  for (let i = 0; i < count; i++) {
    const at = random.below(1 << 30);
    const kind = KINDS[random.below(KINDS.length)]!;
    switch (kind) {
      case 'flip':
        mutations.push({ kind, at, bit: random.below(8) });
        break;
      case 'set':
      case 'insert':
        mutations.push({ kind, at, byte: drawByte(random) });
        break;
      case 'delete':
      case 'duplicate':
        mutations.push({ kind, at, length: random.below(64) });
        break;
      case 'splice':
        mutations.push({ kind, at, other: random.below(corpus.length), from: random.below(1 << 30) });
        break;
    }
  }
  return mutations;
}

/** Random split offsets for an input: none, a few, or every byte. */
export function drawSplits(random: Random, length: number): number[] {
  const mode = random.below(8);
  if (mode === 0) return Array.from({ length }, (_, i) => i);
  const count = mode === 1 ? 0 : 1 + random.below(6);
  return Array.from({ length: count }, () => random.below(length + 1));
}

// ---- fast-check arbitraries ------------------------------------------------------------------

const at = fc.nat({ max: (1 << 30) - 1 });
const byte = fc.oneof(fc.constantFrom(...INTERESTING_BYTES), fc.integer({ min: 0, max: 255 }));

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at, bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at, byte }),
  fc.record({ kind: fc.constant('insert' as const), at, byte }),
  fc.record({ kind: fc.constant('delete' as const), at, length: fc.nat({ max: 63 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at, length: fc.nat({ max: 63 }) }),
  fc.record({ kind: fc.constant('splice' as const), at, other: fc.nat({ max: corpus.length - 1 }), from: at }),
);

export interface FuzzCase {
  seed: number;
  mutations: Mutation[];
  /** Split offsets, taken modulo the input's length + 1. */
  splits: number[];
}

export const fuzzCaseArbitrary: fc.Arbitrary<FuzzCase> = fc.record({
  seed: fc.nat({ max: corpus.length - 1 }),
  mutations: fc.array(mutationArbitrary, { minLength: 0, maxLength: 8 }),
  splits: fc.array(at, { maxLength: 8 }),
});

/** The bytes of a fuzz case. */
export function inputOf(fuzzCase: FuzzCase): Buffer {
  return mutate(corpus[fuzzCase.seed]!, fuzzCase.mutations);
}
