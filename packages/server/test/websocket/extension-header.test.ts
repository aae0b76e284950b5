/** Sec-WebSocket-Extensions parsing and formatting (RFC 6455 9.1). */
import { expect } from 'chai';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PercoreError } from '../../src/errors.js';
import { formatExtensions, parseExtensions } from '../../src/websocket/extension-header.js';

describe('websocket/extension-header', () => {
  describe('parseExtensions', () => {
    it('reads a bare extension', () => {
      expect(parseExtensions('permessage-deflate')).to.deep.equal([{ name: 'permessage-deflate', params: [] }]);
    });

    it('reads params with and without values, around optional whitespace', () => {
      expect(parseExtensions(' permessage-deflate ;client_max_window_bits ;  server_max_window_bits = 10\t; x=y ')).to.deep.equal([
        {
          name: 'permessage-deflate',
          params: [
            { name: 'client_max_window_bits', value: true },
            { name: 'server_max_window_bits', value: '10' },
            { name: 'x', value: 'y' },
          ],
        },
      ]);
    });

    it('unescapes quoted values', () => {
      expect(parseExtensions('foo; a="10"; b="x\\y"')).to.deep.equal([
        {
          name: 'foo',
          params: [
            { name: 'a', value: '10' },
            { name: 'b', value: 'xy' },
          ],
        },
      ]);
    });

    it('keeps the order of extensions and repeated params', () => {
      const parsed = parseExtensions('permessage-deflate; server_max_window_bits=10; server_max_window_bits=11, foo, permessage-deflate');
      expect(parsed.map((e) => e.name)).to.deep.equal(['permessage-deflate', 'foo', 'permessage-deflate']);
      expect(parsed[0]!.params.map((p) => p.value)).to.deep.equal(['10', '11']);
    });

    it('skips empty list elements (RFC 9110 5.6.1), and an empty value is an empty list', () => {
      expect(parseExtensions(', foo ,, bar,').map((e) => e.name)).to.deep.equal(['foo', 'bar']);
      expect(parseExtensions('')).to.deep.equal([]);
      expect(parseExtensions(' , ')).to.deep.equal([]);
    });

    const malformed = [
      'foo;',
      'foo; ',
      ';foo',
      'foo bar',
      'foo; a=',
      'foo; a=;b',
      'foo;;a',
      'foo=1',
      'foo; a b',
      'foo; a="x',
      'foo; a="x y"',
      'foo; a=""',
      'foo; a="1,2"',
      'foo; a="\\',
      'foo; a=1=2',
      'fo\u00e9',
      'foo; a=\u00e9',
      'foo; a="\u0001"',
      'foo, "bar"',
      'foo; a="x"y',
    ];
    for (const header of malformed) {
      it(`throws PERCORE_ERR_WEBSOCKET_INVALID_EXTENSION (400) for ${JSON.stringify(header)}`, () => {
        let thrown: unknown;
        try {
          parseExtensions(header);
        } catch (error) {
          thrown = error;
        }
        expect(thrown).to.be.instanceOf(PercoreError);
        expect((thrown as PercoreError).code).to.equal('PERCORE_ERR_WEBSOCKET_INVALID_EXTENSION');
        expect((thrown as PercoreError).status).to.equal(400);
      });
    }
  });

  describe('formatExtensions', () => {
    it('writes names, bare params and valued params', () => {
      expect(
        formatExtensions([
          {
            name: 'permessage-deflate',
            params: [
              { name: 'server_no_context_takeover', value: true },
              { name: 'server_max_window_bits', value: '10' },
            ],
          },
          { name: 'foo', params: [] },
        ]),
      ).to.equal('permessage-deflate; server_no_context_takeover; server_max_window_bits=10, foo');
    });

    it('round-trips through parseExtensions', () => {
      const header = 'a; b; c=1, d, e; f=g';
      expect(formatExtensions(parseExtensions(header))).to.equal(header);
    });
  });

  describe('agrees with ws lib/extension.js', () => {
    const require = createRequire(import.meta.url);
    const wsRoot = path.dirname(require.resolve('ws/package.json'));
    const ws = require(path.join(wsRoot, 'lib/extension.js')) as {
      parse(header: string): Record<string, Record<string, (string | true)[]>[]>;
    };
    const headers = [
      'permessage-deflate; client_max_window_bits',
      'permessage-deflate; server_max_window_bits=10; client_no_context_takeover, permessage-deflate',
      'foo; a="1"; b=2, bar',
    ];
    for (const header of headers) {
      it(`parses ${JSON.stringify(header)} the same way`, () => {
        const ours: Record<string, Record<string, (string | true)[]>[]> = {};
        for (const extension of parseExtensions(header)) {
          const params: Record<string, (string | true)[]> = {};
          for (const param of extension.params) (params[param.name] ??= []).push(param.value);
          (ours[extension.name] ??= []).push(params);
        }
        const theirs = JSON.parse(JSON.stringify(ws.parse(header))) as unknown;
        expect(ours).to.deep.equal(theirs);
      });
    }
  });
});
