import { expect } from 'chai';
import type { HttpRequest } from '../../src/http/api.js';
import { evaluatePreconditions, matchesList, rangeStillValid } from '../../src/static/conditional.js';
import { fileEtag, httpDateOf, lastModifiedSeconds, parseHttpDate } from '../../src/static/validators.js';

const ETAG = '"64-18c0a1b2c3d"';
const MODIFIED = 1_764_633_600; // 2025-12-02T00:00:00Z
const validators = { etag: ETAG, lastModified: MODIFIED };
const at = (seconds: number) => httpDateOf(seconds);

function request(headers: Record<string, string>): HttpRequest {
  return { headers, header: (name: string) => headers[name.toLowerCase()] } as unknown as HttpRequest;
}

describe('static/validators', function () {
  it('makes a strong ETag from size and mtime, distinct per coding', function () {
    expect(fileEtag(100, 1_700_000_000_123.7, null)).to.equal('"64-18bcfe5687b"');
    expect(fileEtag(100, 1_700_000_000_123.7, 'br')).to.equal('"64-18bcfe5687b-br"');
    expect(fileEtag(101, 1_700_000_000_123, null)).to.not.equal(fileEtag(100, 1_700_000_000_123, null));
  });

  it('clamps a future or current mtime to the second before the present (RFC 9110 8.8.2.1)', function () {
    expect(lastModifiedSeconds(5_000_500, 9_000_000)).to.equal(5000);
    expect(lastModifiedSeconds(99_000_000, 9_000_999)).to.equal(8999);
    expect(lastModifiedSeconds(9_000_100, 9_000_999)).to.equal(8999);
  });

  it('parses the three HTTP-date forms, and nothing else', function () {
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).to.equal(784111777);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT')).to.equal(784111777);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).to.be.a('number');
    expect(Number.isNaN(parseHttpDate('yesterday'))).to.equal(true);
  });
});

describe('static/conditional (RFC 9110 13.2.2)', function () {
  const cases: Array<[string, Record<string, string>, 0 | 304 | 412]> = [
    ['no conditions', {}, 0],
    ['If-Match: the tag', { 'if-match': ETAG }, 0],
    ['If-Match: *', { 'if-match': '*' }, 0],
    ['If-Match: a list holding the tag', { 'if-match': `"x", ${ETAG}` }, 0],
    ['If-Match: another tag', { 'if-match': '"x"' }, 412],
    ['If-Match: the weak tag (strong comparison)', { 'if-match': `W/${ETAG}` }, 412],
    ['If-Unmodified-Since: before Last-Modified', { 'if-unmodified-since': at(MODIFIED - 1) }, 412],
    ['If-Unmodified-Since: Last-Modified', { 'if-unmodified-since': at(MODIFIED) }, 0],
    ['If-Unmodified-Since: invalid', { 'if-unmodified-since': 'soon' }, 0],
    ['If-Match true wins over a false If-Unmodified-Since', { 'if-match': ETAG, 'if-unmodified-since': at(MODIFIED - 10) }, 0],
    ['If-None-Match: the tag', { 'if-none-match': ETAG }, 304],
    ['If-None-Match: the weak tag (weak comparison)', { 'if-none-match': `W/${ETAG}` }, 304],
    ['If-None-Match: *', { 'if-none-match': '*' }, 304],
    ['If-None-Match: a list holding the tag', { 'if-none-match': `"a", "b",${ETAG}` }, 304],
    ['If-None-Match: another tag', { 'if-none-match': '"a"' }, 0],
    ['If-Modified-Since: Last-Modified', { 'if-modified-since': at(MODIFIED) }, 304],
    ['If-Modified-Since: later', { 'if-modified-since': at(MODIFIED + 60) }, 304],
    ['If-Modified-Since: earlier', { 'if-modified-since': at(MODIFIED - 1) }, 0],
    ['If-Modified-Since: invalid', { 'if-modified-since': 'never' }, 0],
    ['If-None-Match false wins over a true If-Modified-Since', { 'if-none-match': '"a"', 'if-modified-since': at(MODIFIED) }, 0],
    ['If-Match false comes before a true If-None-Match', { 'if-match': '"a"', 'if-none-match': ETAG }, 412],
    ['If-Unmodified-Since false comes before If-None-Match', { 'if-unmodified-since': at(MODIFIED - 1), 'if-none-match': ETAG }, 412],
  ];
  for (const [name, headers, expected] of cases) {
    it(`${name}: ${expected || 'serve'}`, function () {
      expect(evaluatePreconditions(request(headers), validators)).to.equal(expected);
    });
  }

  it('If-Range: a strong match or the exact Last-Modified keeps the range', function () {
    expect(rangeStillValid(undefined, validators)).to.equal(true);
    expect(rangeStillValid(ETAG, validators)).to.equal(true);
    expect(rangeStillValid(`W/${ETAG}`, validators)).to.equal(false);
    expect(rangeStillValid('"other"', validators)).to.equal(false);
    expect(rangeStillValid(at(MODIFIED), validators)).to.equal(true);
    expect(rangeStillValid(at(MODIFIED + 1), validators)).to.equal(false);
    expect(rangeStillValid('garbage', validators)).to.equal(false);
  });

  it('compares entity-tags strongly or weakly (RFC 9110 8.8.3.2)', function () {
    expect(matchesList('W/"a"', '"a"', false)).to.equal(true);
    expect(matchesList('W/"a"', '"a"', true)).to.equal(false);
    expect(matchesList(' "b" , "a" ', '"a"', true)).to.equal(true);
    expect(matchesList('"ab"', '"a"', false)).to.equal(false);
  });
});
