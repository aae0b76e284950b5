import { expect } from 'chai';
import { PercoreError } from '../../src/errors.js';
import { RespDecoder } from '../../src/resp/decoder.js';
import { CommandBatch, encodeCommand, type RespArgument } from '../../src/resp/encoder.js';
import type { RespValue } from '../../src/resp/values.js';

function bytes(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

describe('resp/encoder', () => {
  describe('encodeCommand', () => {
    it('encodes string arguments as an array of bulk strings', () => {
      expect(encodeCommand(['GET', 'key'])).to.deep.equal(bytes('*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n'));
      expect(encodeCommand(['PING'])).to.deep.equal(bytes('*1\r\n$4\r\nPING\r\n'));
    });

    it('encodes the empty string as $0', () => {
      expect(encodeCommand(['SET', 'k', ''])).to.deep.equal(bytes('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n'));
    });

    it('counts multibyte UTF-8 in bytes, short and long strings alike', () => {
      expect(encodeCommand(['SET', 'clé', '日本'])).to.deep.equal(bytes('*3\r\n$3\r\nSET\r\n$4\r\nclé\r\n$6\r\n日本\r\n'));
      const long = 'é'.repeat(100);
      expect(encodeCommand(['ECHO', long])).to.deep.equal(bytes(`*2\r\n$4\r\nECHO\r\n$200\r\n${long}\r\n`));
      expect(encodeCommand(['ECHO', '😀'])).to.deep.equal(bytes('*2\r\n$4\r\nECHO\r\n$4\r\n😀\r\n'));
    });

    it('copies Buffers as they are, binary bytes and CRLF included, among strings', () => {
      const binary = Buffer.from([0x00, 0xff, 0x0d, 0x0a, 0x80]);
      expect(encodeCommand(['SET', 'ké', binary, 'EX'])).to.deep.equal(
        Buffer.concat([bytes('*4\r\n$3\r\nSET\r\n$3\r\nké\r\n$5\r\n'), binary, bytes('\r\n$2\r\nEX\r\n')]),
      );
      expect(encodeCommand([Buffer.from('GET'), Buffer.alloc(0)])).to.deep.equal(bytes('*2\r\n$3\r\nGET\r\n$0\r\n\r\n'));
    });

    it('encodes numbers and bigints in decimal', () => {
      expect(encodeCommand(['INCRBY', 'n', 42])).to.deep.equal(bytes('*3\r\n$6\r\nINCRBY\r\n$1\r\nn\r\n$2\r\n42\r\n'));
      expect(encodeCommand([-7, 0, -0, 1.5, 2 ** 70, 1e-7])).to.deep.equal(
        bytes('*6\r\n$2\r\n-7\r\n$1\r\n0\r\n$1\r\n0\r\n$3\r\n1.5\r\n$22\r\n1180591620717411303424\r\n$4\r\n1e-7\r\n'),
      );
      expect(encodeCommand([Infinity, -Infinity])).to.deep.equal(bytes('*2\r\n$3\r\ninf\r\n$4\r\n-inf\r\n'));
      expect(encodeCommand([12345678901234567890n, -1n])).to.deep.equal(bytes('*2\r\n$20\r\n12345678901234567890\r\n$2\r\n-1\r\n'));
    });

    it('refuses another type of argument, naming its index', () => {
      const cases: [unknown, RegExp][] = [
        [undefined, /argument 1 of the command is undefined/],
        [null, /argument 1 of the command is null/],
        [{ a: 1 }, /argument 1 of the command is an object \(Object\)/],
        [true, /argument 1 of the command is a boolean/],
        [NaN, /argument 1 of the command is NaN/],
        [Symbol('s'), /argument 1 of the command is a symbol/],
      ];
      for (const [value, message] of cases) {
        expect(() => encodeCommand(['SET', value as RespArgument, 'v']), String(message))
          .to.throw(PercoreError, message)
          .with.property('code', 'PERCORE_ERR_INVALID_OPTION');
      }
      expect(() => encodeCommand([])).to.throw(PercoreError, /non-empty array/);
      // A failed encoding leaves nothing behind for the next one.
      expect(encodeCommand(['PING'])).to.deep.equal(bytes('*1\r\n$4\r\nPING\r\n'));
    });

    it('round-trips through the decoder as the array of bulk strings it is', () => {
      const replies: RespValue[] = [];
      new RespDecoder((value) => replies.push(value)).feed(encodeCommand(['MSET', 'ключ', 1, Buffer.from('b'), 2n]));
      expect(replies).to.deep.equal([['MSET', 'ключ', '1', 'b', '2']]);
    });
  });

  describe('CommandBatch', () => {
    it('concatenates commands exactly, counting commands and bytes', () => {
      const batch = new CommandBatch();
      expect([batch.count, batch.size]).to.deep.equal([0, 0]);
      batch.push(['SET', 'clé', 'v']);
      batch.push(['GET', Buffer.from([0xff])]);
      batch.push(['INCRBY', 'n', 5]);
      const expected = Buffer.concat([
        encodeCommand(['SET', 'clé', 'v']),
        encodeCommand(['GET', Buffer.from([0xff])]),
        encodeCommand(['INCRBY', 'n', 5]),
      ]);
      expect(batch.count).to.equal(3);
      expect(batch.size).to.equal(expected.length);
      const taken = batch.take();
      expect(taken).to.deep.equal(expected);
      expect([batch.count, batch.size]).to.deep.equal([0, 0]);
      expect(batch.take()).to.deep.equal(Buffer.alloc(0));
    });

    it('counts the size in UTF-8 bytes for string-only commands too', () => {
      const batch = new CommandBatch();
      batch.push(['ECHO', '日本語']);
      expect(batch.size).to.equal(encodeCommand(['ECHO', '日本語']).length);
      expect(batch.take()).to.deep.equal(bytes('*2\r\n$4\r\nECHO\r\n$9\r\n日本語\r\n'));
    });

    it('leaves the batch as it was when a command is refused', () => {
      const batch = new CommandBatch();
      batch.push(['PING']);
      expect(() => batch.push(['SET', Buffer.from('k'), 'é', undefined as unknown as string])).to.throw(PercoreError, /argument 3/);
      expect(() => batch.push(['SET', 'k', NaN])).to.throw(PercoreError, /argument 2/);
      expect(batch.count).to.equal(1);
      expect(batch.size).to.equal(14);
      expect(batch.take()).to.deep.equal(bytes('*1\r\n$4\r\nPING\r\n'));
    });

    it('is reusable after take', () => {
      const batch = new CommandBatch();
      batch.push(['A', Buffer.from('x')]);
      batch.take();
      batch.push(['B']);
      expect(batch.take()).to.deep.equal(bytes('*1\r\n$1\r\nB\r\n'));
    });
  });
});
