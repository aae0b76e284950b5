import { expect } from 'chai';
import { fieldStrings, ParseEvent, RequestParser } from '../../src/net/parser.js';
import { defaultHttpOptions, type HttpLimits } from '../../src/http/options.js';
import { allFixtures } from './fixtures/index.js';
import type { ExpectedMessage, ParserFixture } from './fixtures/types.js';

interface ParseOutcome {
  messages: ExpectedMessage[];
  error?: string;
}

type Feeding = 'whole' | 'byte by byte' | 'in two halves';

/** Drives a parser the way a connection does, recording every message it reports. */
function parse(raw: Buffer, feeding: Feeding, limits: Partial<HttpLimits> = {}): ParseOutcome {
  const messages: ExpectedMessage[] = [];
  let body: Buffer[] = [];
  let current: ExpectedMessage | null = null;
  const parser = new RequestParser({ ...defaultHttpOptions, ...limits }, { onBody: (chunk) => body.push(Buffer.from(chunk)) });

  const finish = () => {
    current!.body = Buffer.concat(body).toString('latin1');
    if (parser.trailers !== null) current!.trailers = pairs(parser.trailers);
    messages.push(current!);
    current = null;
    body = [];
  };

  const pieces: Buffer[] =
    feeding === 'whole'
      ? [raw]
      : feeding === 'in two halves'
        ? [raw.subarray(0, raw.length >> 1), raw.subarray(raw.length >> 1)]
        : Array.from(raw, (byte) => Buffer.from([byte]));
  for (const piece of pieces) {
    let offset = 0;
    // Bounded: each round consumes bytes or reports an event, and events are few.
    for (let rounds = 0; rounds < 10_000; rounds++) {
      offset = parser.execute(piece, offset);
      const event = parser.event;
      if (event === ParseEvent.Error) return { messages, error: parser.error! };
      if (event === ParseEvent.HeadComplete) {
        current = {
          method: parser.method,
          target: parser.target,
          version: parser.versionMinor === 0 ? '1.0' : '1.1',
          headers: pairs(fieldStrings(parser.fields)),
          body: '',
          keepAlive: parser.keepAlive,
        };
        if (!parser.hasBody) finish();
      } else if (event === ParseEvent.MessageComplete) {
        finish();
      } else if (offset >= piece.length) {
        break;
      }
    }
  }
  return { messages };
}

function pairs(flat: readonly string[]): Array<[string, string]> {
  const result: Array<[string, string]> = [];
  for (let i = 0; i < flat.length; i += 2) result.push([flat[i]!, flat[i + 1]!]);
  return result;
}

function expectOutcome(outcome: ParseOutcome, fixture: Pick<ParserFixture, 'messages' | 'error'>): void {
  expect(outcome.error, 'error code').to.equal(fixture.error);
  expect(outcome.messages.length, 'message count').to.equal(fixture.messages.length);
  fixture.messages.forEach((expected, index) => {
    const actual = outcome.messages[index]!;
    const wanted = { ...expected };
    if (wanted.trailers === undefined) delete wanted.trailers;
    expect(actual, `message ${index}`).to.deep.equal(wanted);
  });
}

describe('RequestParser', () => {
  describe('fixtures', () => {
    it('has a corpus with unique names', () => {
      expect(allFixtures.length).to.be.greaterThan(100);
      const names = new Set(allFixtures.map((fixture) => fixture.name));
      expect(names.size).to.equal(allFixtures.length);
    });

    for (const fixture of allFixtures) {
      describe(fixture.name, () => {
        const raw = Buffer.from(fixture.raw, 'latin1');
        for (const feeding of ['whole', 'byte by byte'] as const) {
          it(`fed ${feeding}`, () => expectOutcome(parse(raw, feeding), fixture));
        }
      });
    }
  });

  const GET = 'GET / HTTP/1.1\r\nHost: a\r\n\r\n';

  function both(raw: string, limits: Partial<HttpLimits>, check: (outcome: ParseOutcome) => void): void {
    for (const feeding of ['whole', 'byte by byte', 'in two halves'] as const) {
      check(parse(Buffer.from(raw, 'latin1'), feeding, limits));
    }
  }

  describe('limits', () => {
    it('accepts a request line of exactly maxRequestLineLength bytes, and refuses one more (414)', () => {
      const line = (length: number) => `GET /${'a'.repeat(length - 'GET / HTTP/1.1'.length)} HTTP/1.1`;
      both(`${line(64)}\r\nHost: a\r\n\r\n`, { maxRequestLineLength: 64 }, (outcome) => {
        expect(outcome.error).to.equal(undefined);
        expect(outcome.messages).to.have.length(1);
      });
      both(`${line(65)}\r\nHost: a\r\n\r\n`, { maxRequestLineLength: 64 }, (outcome) => {
        expect(outcome.error).to.equal('PERCORE_ERR_REQUEST_LINE_TOO_LONG');
      });
    });

    it('refuses a line over its limit as too long whatever ends it (bare CR or LF), however it is split (fuzz seed 7)', () => {
      const long = `GET /${'a'.repeat(100)}`;
      for (const ending of ['\rX', '\n', '\r\n']) {
        both(`${long}${ending}Host: a\r\n\r\n`, { maxRequestLineLength: 64 }, (outcome) => {
          expect(outcome.error, JSON.stringify(ending)).to.equal('PERCORE_ERR_REQUEST_LINE_TOO_LONG');
        });
        both(`GET / HTTP/1.1\r\nX: ${'b'.repeat(300)}${ending}\r\n`, { maxHeaderSize: 256, maxRequestLineLength: 64 }, (outcome) => {
          expect(outcome.error, JSON.stringify(ending)).to.equal('PERCORE_ERR_HEADERS_TOO_LARGE');
        });
      }
    });

    it('refuses an endless request line before its LF arrives', () => {
      both(`GET /${'a'.repeat(200)}`, { maxRequestLineLength: 64 }, (outcome) => {
        expect(outcome.error).to.equal('PERCORE_ERR_REQUEST_LINE_TOO_LONG');
      });
    });

    it('refuses a head larger than maxHeaderSize (431), even as one endless field', () => {
      both(`GET / HTTP/1.1\r\nHost: a\r\nX: ${'b'.repeat(300)}\r\n\r\n`, { maxHeaderSize: 256, maxRequestLineLength: 64 }, (outcome) => {
        expect(outcome.error).to.equal('PERCORE_ERR_HEADERS_TOO_LARGE');
      });
      both(`GET / HTTP/1.1\r\nX: ${'b'.repeat(300)}`, { maxHeaderSize: 256, maxRequestLineLength: 64 }, (outcome) => {
        expect(outcome.error).to.equal('PERCORE_ERR_HEADERS_TOO_LARGE');
      });
    });

    it('counts leading empty lines towards the head size', () => {
      both(`${'\r\n'.repeat(200)}${GET}`, { maxHeaderSize: 256, maxRequestLineLength: 64 }, (outcome) => {
        expect(outcome.error).to.equal('PERCORE_ERR_HEADERS_TOO_LARGE');
      });
    });

    it('refuses more than maxHeaderCount fields (431)', () => {
      const fields = (count: number) => Array.from({ length: count }, (_, i) => `X-${i}: v\r\n`).join('');
      both(`GET / HTTP/1.1\r\nHost: a\r\n${fields(9)}\r\n`, { maxHeaderCount: 10 }, (outcome) => {
        expect(outcome.error).to.equal(undefined);
        expect(outcome.messages[0]!.headers).to.have.length(10);
      });
      both(`GET / HTTP/1.1\r\nHost: a\r\n${fields(10)}\r\n`, { maxHeaderCount: 10 }, (outcome) => {
        expect(outcome.error).to.equal('PERCORE_ERR_TOO_MANY_HEADERS');
      });
    });

    it('refuses a Content-Length over maxBodySize at the head, before any body (413)', () => {
      both('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n', { maxBodySize: 100 }, (outcome) => {
        expect(outcome.error).to.equal('PERCORE_ERR_BODY_TOO_LARGE');
        expect(outcome.messages).to.have.length(0);
      });
    });

    it('refuses a chunked body once its chunks pass maxBodySize (413)', () => {
      const chunk = `32\r\n${'x'.repeat(50)}\r\n`;
      both(`POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}${chunk}0\r\n\r\n`, { maxBodySize: 100 }, (outcome) => {
        expect(outcome.error).to.equal(undefined);
        expect(outcome.messages[0]!.body).to.have.length(100);
      });
      both(`POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n${chunk}${chunk}1\r\n`, { maxBodySize: 100 }, (outcome) => {
        expect(outcome.error).to.equal('PERCORE_ERR_BODY_TOO_LARGE');
      });
    });

    it('refuses a chunk size over the body limit (413) or over 64 bits (400), but accepts leading zeros', () => {
      both(`POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n`, {}, (outcome) => {
        expect(outcome.error).to.equal('PERCORE_ERR_BODY_TOO_LARGE');
      });
      both(`POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\n`, {}, (outcome) => {
        expect(outcome.error).to.equal('PERCORE_ERR_INVALID_CHUNK_SIZE');
      });
      both(`POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n00000000000000000003\r\nabc\r\n0\r\n\r\n`, {}, (outcome) => {
        expect(outcome.error).to.equal(undefined);
        expect(outcome.messages[0]!.body).to.equal('abc');
      });
    });
  });

  describe('streaming', () => {
    it('hands body bytes over as views of the input, without waiting for the whole body', () => {
      const received: Buffer[] = [];
      const parser = new RequestParser(defaultHttpOptions, { onBody: (chunk) => received.push(chunk) });
      const head = Buffer.from('POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n01234');
      let offset = parser.execute(head, 0);
      expect(parser.event).to.equal(ParseEvent.HeadComplete);
      offset = parser.execute(head, offset);
      expect(parser.event).to.equal(ParseEvent.NeedMore);
      expect(offset).to.equal(head.length);
      expect(Buffer.concat(received).toString()).to.equal('01234');
      expect(received[0]!.buffer).to.equal(head.buffer, 'a view, not a copy');
      parser.execute(Buffer.from('56789'), 0);
      expect(parser.event).to.equal(ParseEvent.MessageComplete);
      expect(Buffer.concat(received).toString()).to.equal('0123456789');
    });

    it('stops at each message so that pipelined requests are taken one at a time', () => {
      const parser = new RequestParser(defaultHttpOptions, { onBody: () => {} });
      const data = Buffer.from(GET + GET + GET);
      const events: ParseEvent[] = [];
      let offset = 0;
      for (let i = 0; i < 10 && offset < data.length; i++) {
        offset = parser.execute(data, offset);
        events.push(parser.event);
      }
      expect(events).to.deep.equal([ParseEvent.HeadComplete, ParseEvent.HeadComplete, ParseEvent.HeadComplete]);
      expect(offset).to.equal(data.length);
    });

    it('reports itself idle only between messages', () => {
      const parser = new RequestParser(defaultHttpOptions, { onBody: () => {} });
      expect(parser.idle).to.equal(true);
      parser.execute(Buffer.from('GE'), 0);
      expect(parser.idle).to.equal(false);
      parser.execute(Buffer.from('T / HTTP/1.1\r\nHost: a\r\n\r\n'), 0);
      expect(parser.event).to.equal(ParseEvent.HeadComplete);
      expect(parser.idle).to.equal(true);
      parser.execute(Buffer.from('\r'), 0);
      expect(parser.idle).to.equal(false);
    });

    it('accepts nothing after an error', () => {
      const parser = new RequestParser(defaultHttpOptions, { onBody: () => {} });
      parser.execute(Buffer.from('GET / HTTP/1.1\r\nHost : a\r\n\r\n'), 0);
      expect(parser.event).to.equal(ParseEvent.Error);
      expect(parser.error).to.equal('PERCORE_ERR_WHITESPACE_BEFORE_COLON');
      parser.execute(Buffer.from(GET), 0);
      expect(parser.event).to.equal(ParseEvent.Error);
    });
  });
});
