import { expect } from 'chai';
import type autocannon from 'autocannon';
import { fromAutocannon } from '../src/autocannon-result.js';
import { fixture } from './fixture.js';

/** A result saved with JSON.stringify: start and finish are ISO strings there. */
function load(name: string): autocannon.Result {
  return JSON.parse(fixture(name)) as autocannon.Result;
}

describe('fromAutocannon', () => {
  it('counts 2xx per second over the measured time', () => {
    const raw = load('autocannon.json');
    const seconds = (Date.parse(String(raw.finish)) - Date.parse(String(raw.start))) / 1000;
    const r = fromAutocannon(raw);
    expect(r.completed).to.equal(raw['2xx']);
    expect(r.requestsPerSecond).to.be.closeTo(raw['2xx'] / seconds, 1e-6);
    expect(r.non2xx).to.equal(0);
    expect(r.errors).to.equal(0);
    expect(r.latencyP50Ms).to.equal(raw.latency.p50);
    expect(r.latencyP99Ms).to.equal(raw.latency.p99);
  });

  it('leaves non-2xx out of the rate', () => {
    const raw = load('autocannon-non2xx.json');
    const r = fromAutocannon(raw);
    expect(r.non2xx).to.equal(10067);
    expect(r.completed).to.equal(30199);
    // Well below requests.average, which counts the 500s too.
    expect(r.requestsPerSecond).to.be.lessThan(raw.requests.average * 0.8);
  });

  it('accepts Date objects and falls back to duration without usable times', () => {
    const raw = load('autocannon.json');
    const withDates = { ...raw, start: new Date(String(raw.start)), finish: new Date(String(raw.finish)) };
    expect(fromAutocannon(withDates).requestsPerSecond).to.equal(fromAutocannon(raw).requestsPerSecond);
    const noTimes = { ...raw, start: new Date(NaN), finish: new Date(NaN), duration: 2 };
    expect(fromAutocannon(noTimes).requestsPerSecond).to.equal(raw['2xx'] / 2);
  });

  it('reports timeouts apart from the other errors', () => {
    const r = fromAutocannon({ ...load('autocannon.json'), errors: 5, timeouts: 3 });
    expect(r).to.include({ errors: 2, timeouts: 3 });
  });
});
