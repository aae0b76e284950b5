import { expect } from 'chai';
import fc from 'fast-check';
import { parseRange, type RangeResult } from '../../src/static/range.js';

const range = (start: number, end: number): RangeResult => ({ kind: 'range', start, end });
const IGNORE: RangeResult = { kind: 'ignore' };
const UNSATISFIABLE: RangeResult = { kind: 'unsatisfiable' };

describe('static/range', function () {
  const cases: Array<[string | undefined, number, RangeResult]> = [
    [undefined, 100, IGNORE],
    ['bytes=0-9', 100, range(0, 9)],
    ['bytes=0-0', 100, range(0, 0)],
    ['bytes=90-', 100, range(90, 99)],
    ['bytes=95-200', 100, range(95, 99)],
    ['bytes=-10', 100, range(90, 99)],
    ['bytes=-200', 100, range(0, 99)],
    ['BYTES=1-2', 100, range(1, 2)],
    [' bytes=1-2 ', 100, range(1, 2)],
    ['bytes=1-2,', 100, range(1, 2)],
    ['bytes=, 1-2', 100, range(1, 2)],
    ['bytes=100-', 100, UNSATISFIABLE],
    ['bytes=100-200', 100, UNSATISFIABLE],
    ['bytes=-0', 100, UNSATISFIABLE],
    ['bytes=0-', 0, UNSATISFIABLE],
    ['bytes=-5', 0, UNSATISFIABLE],
    // Invalid or unsupported: ignored (RFC 9110 14.2), the whole representation is sent.
    ['bytes=5-2', 100, IGNORE],
    ['bytes=0-1,5-6', 100, IGNORE],
    ['bytes=0-1,200-300', 100, IGNORE],
    ['bytes=', 100, IGNORE],
    ['bytes=-', 100, IGNORE],
    ['bytes=--1', 100, IGNORE],
    ['bytes=1-2-3', 100, IGNORE],
    ['bytes=a-b', 100, IGNORE],
    ['bytes=+1-2', 100, IGNORE],
    ['bytes=1 -2', 100, IGNORE],
    ['bytes=0x1-2', 100, IGNORE],
    ['bytes=1e3-', 100, IGNORE],
    ['bytes 0-1', 100, IGNORE],
    ['items=0-1', 100, IGNORE],
    ['bytes=1234567890123456-', 100, IGNORE],
    ['bytes=-1234567890123456', 100, IGNORE],
    ['bytes=123456789012345-', 100, UNSATISFIABLE],
  ];
  for (const [header, size, expected] of cases) {
    it(`${JSON.stringify(header)} of ${size} bytes: ${JSON.stringify(expected)}`, function () {
      expect(parseRange(header, size)).to.deep.equal(expected);
    });
  }

  it('never throws, and any range it gives lies within the representation (property)', function () {
    const header = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc
        .tuple(
          fc.constantFrom('bytes=', 'Bytes=', 'bytes= ', ''),
          fc.array(fc.oneof(fc.nat(), fc.constant(''), fc.string({ maxLength: 4 })), { maxLength: 4 }),
          fc.constantFrom('-', ',', '--', ' - '),
        )
        .map(([unit, parts, joint]) => unit + parts.join(joint)),
      fc.tuple(fc.option(fc.nat({ max: 300 })), fc.option(fc.nat({ max: 300 }))).map(([a, b]) => `bytes=${a ?? ''}-${b ?? ''}`),
    );
    fc.assert(
      fc.property(header, fc.nat({ max: 250 }), (value, size) => {
        const result = parseRange(value, size);
        if (result.kind === 'range') {
          expect(result.start).to.be.within(0, size - 1);
          expect(result.end).to.be.within(result.start, size - 1);
        }
      }),
      { seed: 20261202, numRuns: 20_000 },
    );
  });

  it('agrees with a direct reading of RFC 9110 14.1.2 for every single int-range and suffix-range (property)', function () {
    fc.assert(
      fc.property(fc.nat({ max: 500 }), fc.option(fc.nat({ max: 500 })), fc.nat({ max: 300 }), (first, last, size) => {
        const result = parseRange(`bytes=${first}-${last ?? ''}`, size);
        if (last !== null && last < first) expect(result).to.deep.equal(IGNORE);
        else if (first >= size) expect(result).to.deep.equal(UNSATISFIABLE);
        else expect(result).to.deep.equal(range(first, Math.min(last ?? size - 1, size - 1)));
      }),
      { seed: 7, numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.nat({ max: 500 }), fc.nat({ max: 300 }), (suffix, size) => {
        const result = parseRange(`bytes=-${suffix}`, size);
        if (suffix === 0 || size === 0) expect(result).to.deep.equal(UNSATISFIABLE);
        else expect(result).to.deep.equal(range(Math.max(0, size - suffix), size - 1));
      }),
      { seed: 8, numRuns: 20_000 },
    );
  });
});
