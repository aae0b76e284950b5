/**
 * Everything the fuzzer checks on one input: that no feeding of it throws, hangs or holds more
 * than the limits allow; that every split gives the events of the whole; and how llhttp's reading
 * of it compares, with the rule that explains any difference.
 */
import { defaultHttpOptions, type HttpLimits } from '../../src/http/options.js';
import { compareTraces, type Divergence } from './differential.js';
import { explainDivergence } from './known-divergences.js';
import { traceLlhttp } from './llhttp-trace.js';
import { InvariantError, piecesAt, tracePercore, type Trace } from './percore-trace.js';

/** Small limits, so that mutated inputs reach them and the bounds are exercised. */
export const smallLimits: HttpLimits = { maxRequestLineLength: 128, maxHeaderSize: 512, maxHeaderCount: 8, maxBodySize: 256 };

export interface InputResult {
  /** A broken property (a throw, a hang, a bound passed, a split that changes the events), or null. */
  failure: string | null;
  divergence: Divergence | null;
  /** The known divergence's id; null when there is none or it is unexplained. */
  explainedBy: string | null;
}

function traceOrFailure(pieces: Buffer[], limits: HttpLimits): Trace | string {
  try {
    return tracePercore(pieces, limits);
  } catch (error) {
    return error instanceof InvariantError ? `invariant: ${error.message}` : `threw: ${(error as Error).stack ?? String(error)}`;
  }
}

const same = (a: Trace, b: Trace) => JSON.stringify(a) === JSON.stringify(b);

export function checkInput(input: Buffer, splits: readonly number[]): InputResult {
  const pieces = piecesAt(input, splits);
  for (const limits of [defaultHttpOptions, smallLimits]) {
    const whole = traceOrFailure([input], limits);
    if (typeof whole === 'string') return { failure: `fed whole: ${whole}`, divergence: null, explainedBy: null };
    const split = traceOrFailure(pieces, limits);
    if (typeof split === 'string') return { failure: `fed split: ${split}`, divergence: null, explainedBy: null };
    if (!same(whole, split)) {
      return {
        failure: `split changes the events:\n whole ${JSON.stringify(whole)}\n split ${JSON.stringify(split)}`,
        divergence: null,
        explainedBy: null,
      };
    }
    if (limits !== defaultHttpOptions) continue;
    const divergence = compareTraces(whole, traceLlhttp(input, limits.maxHeaderSize));
    if (divergence === null) continue;
    return { failure: null, divergence, explainedBy: explainDivergence(divergence, input, whole) };
  }
  return { failure: null, divergence: null, explainedBy: null };
}

/** A reproducible description of an input, for failure messages. */
export function describeInput(input: Buffer, splits: readonly number[]): string {
  return `input ${JSON.stringify(input.toString('latin1'))} split at ${JSON.stringify([...splits])}`;
}
