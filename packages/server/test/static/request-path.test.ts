import { expect } from 'chai';
import { PercoreError } from '../../src/errors.js';
import { MAX_PATH_LENGTH, parseRequestPath } from '../../src/static/request-path.js';

function refused(path: string): string {
  try {
    parseRequestPath(path);
  } catch (error) {
    expect(error).to.be.instanceOf(PercoreError);
    return (error as PercoreError).code;
  }
  return 'accepted';
}

describe('static/request-path', function () {
  it('decodes each segment once and keeps the trailing slash in the key', function () {
    expect(parseRequestPath('/')).to.deep.equal({ segments: [], key: '/', trailingSlash: true, dotted: false });
    expect(parseRequestPath('/a/b.txt')).to.deep.equal({ segments: ['a', 'b.txt'], key: '/a/b.txt', trailingSlash: false, dotted: false });
    expect(parseRequestPath('/docs/')).to.deep.equal({ segments: ['docs'], key: '/docs/', trailingSlash: true, dotted: false });
    expect(parseRequestPath('/caf%C3%A9%20menu.txt').segments).to.deep.equal(['café menu.txt']);
    // Double encoding stays literal: '%252e' is the name '%2e', never '.'.
    expect(parseRequestPath('/%252e%252e/x').segments).to.deep.equal(['%2e%2e', 'x']);
    expect(parseRequestPath('/a/.env').dotted).to.equal(true);
    expect(parseRequestPath('/.git/config').dotted).to.equal(true);
    expect(parseRequestPath('/%2egit/config').dotted).to.equal(true);
    expect(parseRequestPath('/a.b/c..d').dotted).to.equal(false);
  });

  const payloads = [
    '/..',
    '/../secret',
    '/a/../../secret',
    '/./a',
    '/a/.',
    '/%2e%2e/secret',
    '/%2E%2E/secret',
    '/.%2e/secret',
    '/%2e/a',
    '/..%2fsecret',
    '/..%2Fsecret',
    '/a%2fb',
    '/..%5csecret',
    '/a%5cb',
    '/..\\secret',
    '/a\\b',
    '/%00',
    '/a.txt%00.html',
    '/%c0%ae%c0%ae/secret',
    '/%c0%2e/secret',
    '/%e0%80%ae/secret',
    '/%ff',
    '/%',
    '/%2',
    '/%zz',
    '//',
    '///',
    '//secret',
    '//evil.com',
    '/a//b',
    'a.txt',
    '',
    'http://host/../../etc/passwd',
    '/' + 'a/'.repeat(MAX_PATH_LENGTH),
  ];
  for (const payload of payloads) {
    it(`refuses ${JSON.stringify(payload.length > 60 ? payload.slice(0, 60) + '...' : payload)} with PERCORE_ERR_INVALID_PATH`, function () {
      expect(refused(payload)).to.equal('PERCORE_ERR_INVALID_PATH');
    });
  }
});
