/**
 * A bounded, seeded fuzz run of the request parser in the suite (the long run is long-run.ts).
 * Inputs are parser fixtures mutated by fast-check (mutator.ts); each is checked by checkInput:
 * any split gives the events of the whole, nothing throws or hangs, the held bytes stay within
 * the limits, and every difference from llhttp is one docs/parser-divergences.md explains.
 * A failure prints fast-check's seed and path, and the shrunk input: pass them back through
 * PERCORE_FUZZ_SEED (and fast-check's `path`) to replay it.
 */
import { expect } from 'chai';
import fc from 'fast-check';
import { checkInput, describeInput } from './check-input.js';
import { corpus, fuzzCaseArbitrary, inputOf, mutate } from './mutator.js';

const SEED = Number(process.env.PERCORE_FUZZ_SEED ?? 20261201);
const RUNS = 30_000;

function expectClean(input: Buffer, splits: readonly number[]): void {
  const result = checkInput(input, splits);
  const where = describeInput(input, splits);
  expect(result.failure, `${where}\n${result.failure}`).to.equal(null);
  if (result.divergence !== null) {
    const { kind, index, percoreError, llhttpError } = result.divergence;
    expect(
      result.explainedBy,
      `unexplained divergence "${kind}" at message ${index} (percore ${percoreError}, llhttp ${llhttpError})\n${where}`,
    ).to.be.a('string');
  }
}

describe('parser fuzz (fast-check, seeded)', function () {
  this.timeout(20_000);

  it('holds for every fixture as it is, fed whole and byte by byte', function () {
    for (const input of corpus)
      expectClean(
        input,
        Array.from({ length: input.length }, (_, i) => i),
      );
  });

  it(`holds for ${RUNS} mutated fixtures, split at random points (seed ${SEED})`, function () {
    fc.assert(
      fc.property(fuzzCaseArbitrary, (fuzzCase) => {
        const input = inputOf(fuzzCase);
        expectClean(
          input,
          fuzzCase.splits.map((at) => at % (input.length + 1)),
        );
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it('the mutator makes each kind of change it is asked for', function () {
    const base = Buffer.from('GET / HTTP/1.1\r\n');
    expect(mutate(base, [{ kind: 'flip', at: 0, bit: 5 }]).toString()).to.equal('gET / HTTP/1.1\r\n');
    expect(mutate(base, [{ kind: 'set', at: 3, byte: 0x00 }]).toString('latin1')).to.equal('GET\x00/ HTTP/1.1\r\n');
    expect(mutate(base, [{ kind: 'insert', at: 3, byte: 0x0d }]).toString()).to.equal('GET\r / HTTP/1.1\r\n');
    expect(mutate(base, [{ kind: 'delete', at: 0, length: 2 }]).toString()).to.equal(' / HTTP/1.1\r\n');
    expect(mutate(base, [{ kind: 'duplicate', at: 0, length: 2 }]).toString()).to.equal('GETGET / HTTP/1.1\r\n');
    const other = Buffer.from('Host: a\r\n');
    expect(mutate(base, [{ kind: 'splice', at: 4, other: 0, from: 0 }], [other]).toString()).to.equal('GET Host: a\r\n');
  });
});
