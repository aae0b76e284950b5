import { expect } from 'chai';
import fc from 'fast-check';
import { escapeField } from '../../src/access-log/escape.js';
import { formatCombined, formatCommon, formatJson } from '../../src/access-log/formats.js';
import { clfTime, formatClfTime, isoTime } from '../../src/access-log/time.js';
import { PercoreError } from '../../src/errors.js';
import { FIXED_EPOCH_MS, record } from './records.js';

/** Runs `fn` with the process's time zone set to `zone`, then restores it (Node re-reads TZ when it is set). */
function inZone<T>(zone: string, fn: () => T): T {
  const saved = process.env.TZ;
  process.env.TZ = zone;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env.TZ;
    else process.env.TZ = saved;
  }
}

describe('access log: the line formats', () => {
  describe('common', () => {
    it('is Apache’s CLF: %h - - [%d/%b/%Y:%H:%M:%S %z] "%r" %>s %b', () => {
      const line = inZone('UTC', () => formatCommon(record({ epochMs: FIXED_EPOCH_MS + 60_000 }), false));
      expect(line).to.equal('127.0.0.1 - - [02/Dec/2026:03:41:16 +0000] "GET /index.html HTTP/1.1" 200 2326\n');
    });

    it('writes - for no bytes and for an unknown address, and HTTP/1.0 as sent', () => {
      const line = inZone('UTC', () =>
        formatCommon(
          record({ epochMs: FIXED_EPOCH_MS + 120_000, bytesOut: 0, status: 304, remoteAddress: '', httpVersion: '1.0', method: 'HEAD' }),
          false,
        ),
      );
      expect(line).to.equal('- - - [02/Dec/2026:03:42:16 +0000] "HEAD /index.html HTTP/1.0" 304 -\n');
    });

    it('logs an exchange aborted before its head went out as 499, and one aborted mid-body with its status', () => {
      const early = inZone('UTC', () => formatCommon(record({ epochMs: FIXED_EPOCH_MS + 180_000, status: 0, bytesOut: 0 }), true));
      expect(early).to.equal('127.0.0.1 - - [02/Dec/2026:03:43:16 +0000] "GET /index.html HTTP/1.1" 499 -\n');
      const late = inZone('UTC', () => formatCommon(record({ epochMs: FIXED_EPOCH_MS + 180_000, status: 200, bytesOut: 65_536 }), true));
      expect(late).to.equal('127.0.0.1 - - [02/Dec/2026:03:43:16 +0000] "GET /index.html HTTP/1.1" 200 65536\n');
    });

    it('escapes ", \\, control bytes, DEL and non-ASCII in the request line as \\xHH', () => {
      const target = '/a"b\\c\nd\x7fe\u00e9f\u20ac';
      const line = inZone('UTC', () => formatCommon(record({ epochMs: FIXED_EPOCH_MS + 240_000, target }), false));
      expect(line).to.equal(
        '127.0.0.1 - - [02/Dec/2026:03:44:16 +0000] "GET /a\\x22b\\x5Cc\\x0Ad\\x7Fe\\xE9f\\xE2\\x82\\xAC HTTP/1.1" 200 2326\n',
      );
      expect(line.split('\n')).to.have.length(2);
    });
  });

  describe('the date', () => {
    it('is local time with the zone’s offset, east and west of UTC, half hours included', () => {
      const date = new Date(FIXED_EPOCH_MS);
      expect(inZone('UTC', () => formatClfTime(date))).to.equal('02/Dec/2026:03:40:16 +0000');
      expect(inZone('Asia/Kolkata', () => formatClfTime(date))).to.equal('02/Dec/2026:09:10:16 +0530');
      expect(inZone('America/New_York', () => formatClfTime(date))).to.equal('01/Dec/2026:22:40:16 -0500');
      expect(inZone('America/St_Johns', () => formatClfTime(date))).to.equal('02/Dec/2026:00:10:16 -0330');
      // Daylight saving time: New York in July is UTC-4.
      expect(inZone('America/New_York', () => formatClfTime(new Date(Date.UTC(2026, 6, 4, 12, 0, 5))))).to.equal(
        '04/Jul/2026:08:00:05 -0400',
      );
    });

    it('is cached per second and still right across seconds (against an uncached formatting)', () => {
      inZone('Europe/Paris', () => {
        fc.assert(
          fc.property(fc.integer({ min: 0, max: 4_102_444_800_000 }), fc.integer({ min: 0, max: 2000 }), (ms, step) => {
            expect(clfTime(ms)).to.equal(formatClfTime(new Date(Math.floor(ms / 1000) * 1000)));
            expect(clfTime(ms + step)).to.equal(formatClfTime(new Date(Math.floor((ms + step) / 1000) * 1000)));
          }),
        );
      });
    });

    it('in JSON, is the ISO form in UTC, to the millisecond', () => {
      fc.assert(
        fc.property(fc.double({ min: 0, max: 4_102_444_800_000, noNaN: true }), (ms) => {
          expect(isoTime(ms)).to.equal(new Date(Math.floor(ms)).toISOString());
        }),
      );
    });
  });

  describe('combined', () => {
    it('adds "%{Referer}i" "%{User-agent}i", escaped, with "-" where absent or empty', () => {
      const headers = { referer: 'http://example.com/"x"', 'user-agent': 'curl/8.5.0 \\ \t' };
      const line = inZone('UTC', () => formatCombined(record({ epochMs: FIXED_EPOCH_MS + 300_000, headers }), false));
      expect(line).to.equal(
        '127.0.0.1 - - [02/Dec/2026:03:45:16 +0000] "GET /index.html HTTP/1.1" 200 2326 "http://example.com/\\x22x\\x22" "curl/8.5.0 \\x5C \\x09"\n',
      );
      const bare = inZone('UTC', () => formatCombined(record({ epochMs: FIXED_EPOCH_MS + 300_000, headers: { referer: '' } }), false));
      expect(bare).to.equal('127.0.0.1 - - [02/Dec/2026:03:45:16 +0000] "GET /index.html HTTP/1.1" 200 2326 "-" "-"\n');
    });
  });

  describe('json', () => {
    it('is one object per line with every field', () => {
      const line = formatJson(
        record({
          route: '/users/:id',
          target: '/users/7?x="1"',
          bytesIn: 12,
          durationMs: 0.123456,
          headers: { 'user-agent': 'k6', referer: 'r' },
        }),
        false,
      );
      expect(line.endsWith('}\n')).to.equal(true);
      expect(JSON.parse(line)).to.deep.equal({
        time: '2026-12-02T03:40:16.123Z',
        remoteAddress: '127.0.0.1',
        method: 'GET',
        target: '/users/7?x="1"',
        httpVersion: '1.1',
        status: 200,
        bytesIn: 12,
        bytesOut: 2326,
        durationMs: 0.123,
        route: '/users/:id',
        userAgent: 'k6',
        referer: 'r',
        pid: process.pid,
        aborted: false,
      });
    });

    it('says an aborted exchange was aborted (499 if no head went out), with its error’s code, null for what is unknown', () => {
      const line = formatJson(record({ status: 0, bytesOut: 0, error: new PercoreError('PERCORE_ERR_ABORTED') }), true);
      expect(JSON.parse(line)).to.include({
        status: 499,
        aborted: true,
        error: 'PERCORE_ERR_ABORTED',
        route: null,
        userAgent: null,
        referer: null,
      });
      const plain = formatJson(record({ error: new Error('socket hang up') }), true);
      expect(JSON.parse(plain)).to.include({ status: 200, error: 'socket hang up' });
    });

    it('stays one parseable line whatever the request holds', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), (target, agent) => {
          const line = formatJson(record({ target, headers: { 'user-agent': agent } }), false);
          expect(line.indexOf('\n')).to.equal(line.length - 1);
          const parsed = JSON.parse(line);
          expect(parsed.target).to.equal(target);
          expect(parsed.userAgent).to.equal(agent);
        }),
      );
    });
  });

  describe('escapeField', () => {
    it('leaves printable ASCII other than " and \\ as it is', () => {
      fc.assert(
        fc.property(fc.stringMatching(/^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/), (value) => {
          expect(escapeField(value)).to.equal(value);
        }),
      );
    });

    it('always yields printable ASCII without a bare " , so a field stays inside its quotes', () => {
      fc.assert(
        fc.property(fc.string({ unit: 'binary' }), (value) => {
          const escaped = escapeField(value);
          expect(escaped).to.match(/^[\x20-\x7e]*$/);
          expect(escaped).to.not.include('"');
          // Every backslash starts an \xHH escape.
          expect(escaped.replace(/\\x[0-9A-F]{2}/g, '')).to.not.include('\\');
        }),
      );
    });
  });
});
