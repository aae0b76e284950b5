import { expect } from 'chai';
import { isUtf8 } from 'node:buffer';
import { isValidUtf8, Utf8Validator } from '../../src/websocket/utf8-validator.js';

const hex = (value: string): Buffer => Buffer.from(value.replace(/ /g, ''), 'hex');

/** Feeds `bytes` in pieces of `size` (0: whole); the result of the last update, then finish. */
function validate(bytes: Buffer, size = 0): { updates: boolean; finished: boolean } {
  const validator = new Utf8Validator();
  let updates = true;
  if (size === 0) {
    updates = validator.update(bytes);
  } else {
    for (let i = 0; i < bytes.length; i += size) updates = validator.update(bytes, i, Math.min(bytes.length, i + size)) && updates;
  }
  return { updates, finished: validator.finish() };
}

/** A seeded generator, so a failing case can be reproduced. */
function random(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
}

const valid: [string, Buffer][] = [
  ['empty', Buffer.alloc(0)],
  ['ASCII', Buffer.from('hello, world')],
  ['κόσμε (Autobahn 6.2.1)', Buffer.from('κόσμε')],
  ['U+007F, U+0080', hex('7f c2 80')],
  ['U+07FF, U+0800', hex('df bf e0 a0 80')],
  ['U+D7FF, U+E000 (either side of the surrogates)', hex('ed 9f bf ee 80 80')],
  ['U+FFFF, U+10000', hex('ef bf bf f0 90 80 80')],
  ['U+10FFFF', hex('f4 8f bf bf')],
  ['emoji in a long ASCII run', Buffer.from(`${'a'.repeat(100)}😀${'b'.repeat(100)}é`)],
];

const invalid: [string, Buffer, number][] = [
  // [name, bytes, index of the first byte that cannot continue valid UTF-8]
  ['overlong C0 80', hex('c0 80'), 0],
  ['overlong C1 BF', hex('c1 bf'), 0],
  ['overlong E0 80 80', hex('e0 80 80'), 1],
  ['overlong E0 9F BF', hex('e0 9f bf'), 1],
  ['overlong F0 80 80 80', hex('f0 80 80 80'), 1],
  ['overlong F0 8F BF BF', hex('f0 8f bf bf'), 1],
  ['surrogate ED A0 80', hex('ed a0 80'), 1],
  ['surrogate ED BF BF', hex('ed bf bf'), 1],
  ['F4 90 80 80, past U+10FFFF', hex('f4 90 80 80'), 1],
  ['F5 lead byte', hex('f5 80 80 80'), 0],
  ['FF', hex('ff'), 0],
  ['a lone continuation byte', hex('61 80'), 1],
  ['a bad continuation E2 28 A1', hex('e2 28 a1'), 1],
  ['a lead byte where a continuation belongs', hex('f0 9f c3 a9'), 2],
  ['a surrogate after a long ASCII run', Buffer.concat([Buffer.from('x'.repeat(90)), hex('ed a0 80'), Buffer.from('y'.repeat(90))]), 91],
];

const truncated: [string, Buffer][] = [
  ['C3', hex('61 c3')],
  ['E2 82', hex('61 e2 82')],
  ['F0 9F 98', hex('f0 9f 98')],
  ['a long run ending in F0 9F', Buffer.concat([Buffer.from('z'.repeat(100)), hex('f0 9f')])],
];

describe('websocket Utf8Validator', () => {
  for (const size of [0, 1, 2, 3, 70]) {
    const feeding = size === 0 ? 'whole' : `in pieces of ${size}`;
    describe(feeding, () => {
      for (const [name, bytes] of valid) {
        it(`accepts ${name}`, () => expect(validate(bytes, size)).to.deep.equal({ updates: true, finished: true }));
      }
      for (const [name, bytes] of invalid) {
        it(`rejects ${name}`, () => expect(validate(bytes, size)).to.deep.equal({ updates: false, finished: false }));
      }
      for (const [name, bytes] of truncated) {
        it(`accepts the bytes but not the end of ${name}`, () =>
          expect(validate(bytes, size)).to.deep.equal({ updates: true, finished: false }));
      }
    });
  }

  it('rejects at the first byte that cannot continue valid UTF-8', () => {
    for (const [name, bytes, at] of invalid) {
      const validator = new Utf8Validator();
      let failedAt = -1;
      for (let i = 0; i < bytes.length && failedAt < 0; i++) if (!validator.update(bytes, i, i + 1)) failedAt = i;
      expect(failedAt, name).to.equal(at);
    }
  });

  it('stays failed until reset, then validates afresh', () => {
    const validator = new Utf8Validator();
    expect(validator.update(hex('c0'))).to.equal(false);
    expect(validator.update(Buffer.from('fine'))).to.equal(false);
    expect(validator.finish()).to.equal(false);
    validator.reset();
    expect(validator.update(hex('e2 82'))).to.equal(true);
    validator.reset();
    expect(validator.update(Buffer.from('fine'))).to.equal(true);
    expect(validator.finish()).to.equal(true);
  });

  it('validates only bytes[start, end)', () => {
    const validator = new Utf8Validator();
    expect(validator.update(hex('ff 61 62 ff'), 1, 3)).to.equal(true);
    expect(validator.finish()).to.equal(true);
  });

  it("agrees with node's isUtf8 on random text cut at random points", () => {
    const next = random(42);
    const alphabet = ['a', 'b', ' ', 'é', '€', '😀', '\u{10ffff}', 'κ'].map((c) => Buffer.from(c));
    const junk = [hex('80'), hex('c0'), hex('ed a0'), hex('f4 90'), hex('ff'), hex('e2')];
    for (let round = 0; round < 400; round++) {
      const parts: Buffer[] = [];
      const length = next(200);
      for (let i = 0; i < length; i++) parts.push(next(50) === 0 ? junk[next(junk.length)]! : alphabet[next(alphabet.length)]!);
      const bytes = Buffer.concat(parts);
      const validator = new Utf8Validator();
      let ok = true;
      for (let i = 0; i < bytes.length;) {
        const end = Math.min(bytes.length, i + 1 + next(100));
        ok = validator.update(bytes, i, end) && ok;
        i = end;
      }
      expect(ok && validator.finish(), bytes.toString('hex')).to.equal(isUtf8(bytes));
    }
  });

  it('isValidUtf8 checks whole byte strings', () => {
    expect(isValidUtf8(Buffer.from('κόσμε'))).to.equal(true);
    expect(isValidUtf8(hex('ed a0 80'))).to.equal(false);
    expect(isValidUtf8(hex('e2 82'))).to.equal(false);
  });
});
