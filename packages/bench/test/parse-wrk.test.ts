import { expect } from 'chai';
import { parseWrk } from '../src/parse-wrk.js';
import { fixture } from './fixture.js';

describe('parseWrk', () => {
  it('reads a run without --latency: no percentiles', () => {
    expect(parseWrk(fixture('wrk.txt'))).to.deep.equal({
      requestsPerSecond: 23997.23,
      completed: 24016,
      errors: 0,
      timeouts: 0,
      non2xx: 0,
      latencyP50Ms: null,
      latencyP99Ms: null,
    });
  });

  it('reads the latency distribution in us and ms', () => {
    const r = parseWrk(fixture('wrk-latency.txt'));
    expect(r.latencyP50Ms).to.be.closeTo(0.345, 1e-9); // 345.00us
    expect(r.latencyP99Ms).to.be.closeTo(2.64, 1e-9); // 2.64ms
    expect(r.completed).to.equal(59103);
    expect(r.requestsPerSecond).to.equal(53730.44);
  });

  it('converts seconds', () => {
    const text = fixture('wrk-latency.txt').replace('99%    2.64ms', '99%    1.50s');
    expect(parseWrk(text).latencyP99Ms).to.be.closeTo(1500, 1e-9);
  });

  it('scales non-2xx responses out of Requests/sec', () => {
    const r = parseWrk(fixture('wrk-non2xx.txt'));
    expect(r.non2xx).to.equal(17649);
    expect(r.completed).to.equal(70599 - 17649);
    expect(r.requestsPerSecond).to.be.closeTo((64173.21 * (70599 - 17649)) / 70599, 1e-9);
  });

  it('reads socket errors', () => {
    const r = parseWrk(fixture('wrk-errors.txt'));
    expect(r.errors).to.equal(2750);
    expect(r.timeouts).to.equal(0);
    const timedOut = fixture('wrk-errors.txt').replace('write 0, timeout 0', 'write 3, timeout 7');
    expect(parseWrk(timedOut)).to.include({ errors: 2753, timeouts: 7 });
  });

  it("throws with wrk's message when it could not connect", () => {
    expect(() => parseWrk(fixture('wrk-refused.txt'))).to.throw(/not wrk output: unable to connect to 127.0.0.1:18099 Connection refused/);
  });

  it('throws on ab output', () => {
    expect(() => parseWrk(fixture('ab.txt'))).to.throw(/not wrk output/);
  });

  it('with anyStatus counts every response (the 404 rows), still reporting the non-2xx count', () => {
    const r = parseWrk(fixture('wrk-non2xx.txt'), true);
    expect(r.requestsPerSecond).to.equal(64173.21);
    expect(r.completed).to.equal(70599);
    expect(r.non2xx).to.equal(17649);
    expect(parseWrk(fixture('wrk-non2xx.txt')).requestsPerSecond).to.be.closeTo((64173.21 * (70599 - 17649)) / 70599, 1e-9);
  });
});
