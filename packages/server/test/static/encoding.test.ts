import { expect } from 'chai';
import { negotiateCoding, parseAcceptEncoding, type Coding } from '../../src/static/encoding.js';

function pick(field: string, available: readonly Coding[] = ['br', 'gzip']): Coding | null {
  const weights = parseAcceptEncoding(field);
  return weights === null ? null : negotiateCoding(weights, available);
}

describe('static/encoding (RFC 9110 12.5.3)', function () {
  const cases: Array<[string, Coding | null, (readonly Coding[])?]> = [
    ['gzip, deflate, br', 'br'],
    ['gzip, deflate, br, zstd', 'br'],
    ['br', 'br'],
    ['gzip', 'gzip'],
    ['x-gzip', 'gzip'],
    ['GZIP', 'gzip'],
    ['br;q=0, gzip', 'gzip'],
    ['br;q=0.4, gzip;q=0.5', 'gzip'],
    ['br; q=0.5, gzip; q=0.5', 'br'],
    ['*', 'br'],
    ['*;q=0.1, br;q=0', 'gzip'],
    ['*;q=0', null],
    ['identity', null],
    ['identity;q=1, br;q=0.5', null],
    ['br, identity;q=0', 'br'],
    ['deflate', null],
    ['', null],
    ['gzip;q=1.5', null],
    ['gzip;q=abc', null],
    ['gzip;level', null],
    ['br;q=0.001', 'br'],
    ['gzip, br', 'gzip', ['gzip']],
    ['br', null, ['gzip']],
    ['gzip, br', null, []],
  ];
  for (const [field, expected, available] of cases) {
    it(`${JSON.stringify(field)}${available ? ` of [${available.join(', ')}]` : ''}: ${expected ?? 'identity'}`, function () {
      expect(pick(field, available)).to.equal(expected);
    });
  }
});
