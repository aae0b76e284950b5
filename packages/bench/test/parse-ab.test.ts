import { expect } from 'chai';
import { parseAb } from '../src/parse-ab.js';
import { fixture } from './fixture.js';

describe('parseAb', () => {
  it('reads a clean run (ab -c25 -n 2000)', () => {
    expect(parseAb(fixture('ab.txt'))).to.deep.equal({
      requestsPerSecond: 4792.27,
      completed: 2000,
      errors: 0,
      timeouts: 0,
      non2xx: 0,
      latencyP50Ms: 5,
      latencyP99Ms: 13,
    });
  });

  it('reads a keep-alive run (ab -k)', () => {
    const r = parseAb(fixture('ab-keepalive.txt'));
    expect(r.requestsPerSecond).to.equal(5727.15);
    expect(r.completed).to.equal(2000);
    expect([r.latencyP50Ms, r.latencyP99Ms]).to.deep.equal([4, 8]);
  });

  it('counts only 2xx: non-2xx responses (also tagged as Length failures) are scaled out once', () => {
    // 2000 complete, 500 answered 500: ab also lists those 500 as "Length" failures.
    const r = parseAb(fixture('ab-non2xx.txt'));
    expect(r.non2xx).to.equal(500);
    expect(r.completed).to.equal(1500);
    expect(r.errors).to.equal(0);
    expect(r.requestsPerSecond).to.be.closeTo((6116.49 * 1500) / 2000, 1e-9);
  });

  it('counts failures without non-2xx responses (connections closed before an answer)', () => {
    const r = parseAb(fixture('ab-errors.txt'));
    expect(r.errors).to.equal(200);
    expect(r.non2xx).to.equal(0);
    expect(r.completed).to.equal(800);
    expect(r.requestsPerSecond).to.be.closeTo((5052.19 * 800) / 1000, 1e-9);
  });

  it("throws with ab's error when it could not connect", () => {
    expect(() => parseAb(fixture('ab-refused.txt'))).to.throw(/not ApacheBench output: apr_socket_recv: Connection refused \(111\)/);
  });

  it('throws when ab timed out', () => {
    expect(() => parseAb(fixture('ab-timeout.txt'))).to.throw(/ab timed out after 245 requests/);
  });

  it('throws on something that is not ab output', () => {
    expect(() => parseAb(fixture('wrk.txt'))).to.throw(/not ApacheBench output/);
    expect(() => parseAb('')).to.throw(/\(no output\)/);
  });

  it('with anyStatus counts every complete response whatever its status, and every failed one as lost', () => {
    // Every answer a 404 of one length: ab fails none of them.
    const all404 = fixture('ab-non2xx.txt')
      .replace(/^Failed requests:\s+500$/m, 'Failed requests:        0')
      .replace(/^\s*\(Connect: .*\)$/m, '')
      .replace(/^Non-2xx responses:\s+500$/m, 'Non-2xx responses:      2000');
    const r = parseAb(all404, true);
    expect(r.requestsPerSecond).to.equal(6116.49);
    expect(r.completed).to.equal(2000);
    expect(r.non2xx).to.equal(2000);
    expect(r.errors).to.equal(0);
    expect(parseAb(all404).completed, 'without anyStatus none is a success').to.equal(0);
    const closed = parseAb(fixture('ab-errors.txt'), true);
    expect([closed.completed, closed.errors], 'connections closed before an answer are still lost').to.deep.equal([800, 200]);
  });
});
