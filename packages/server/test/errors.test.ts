import { expect } from 'chai';
import { readdirSync, readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../src/cluster/serve.js';
import { errorCatalog, isPercoreError, PercoreError, statusForError, type ErrorCode } from '../src/errors.js';
import { cannedReply, cannedResponse, handlerFailureReply } from '../src/http/canned.js';
import { decideHandlerFailure, type FailedResponse } from '../src/http/handler-failure.js';
import type { Logger } from '../src/scheduler/scheduler.js';
import { TimerWheel } from '../src/scheduler/timer-wheel.js';

const srcDir = fileURLToPath(new URL('../src/', import.meta.url));
const codes = Object.keys(errorCatalog) as ErrorCode[];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** A logger that remembers what it was told. */
function recordingLogger(): Logger & { lines: { code: string; message: string; error: unknown }[] } {
  const lines: { code: string; message: string; error: unknown }[] = [];
  return { lines, error: (code, message, error) => void lines.push({ code, message, error }) };
}

function response(state: Partial<FailedResponse> = {}): FailedResponse {
  return { aborted: false, finished: false, headersSent: false, ...state };
}

describe('errors', () => {
  describe('the catalog', () => {
    it('names every code PERCORE_ERR_* and gives it no status or an HTTP error status', () => {
      for (const code of codes) {
        expect(code).to.match(/^PERCORE_ERR_[A-Z0-9_]+$/);
        const { status, message } = errorCatalog[code];
        expect(status === 0 || (status >= 400 && status <= 599), `${code}: ${status}`).to.equal(true);
        if (status !== 0) expect(STATUS_CODES[status], `${code}: ${status} has a reason phrase`).to.be.a('string');
        expect(message, code).to.match(/^[A-Z]/);
      }
    });

    it('makes PercoreErrors with the code, its status, the detail and the cause', () => {
      const cause = new Error('disk');
      const error = new PercoreError('PERCORE_ERR_BODY_TOO_LARGE', 'over 10 bytes', { cause });
      expect(error).to.be.an.instanceOf(Error);
      expect(isPercoreError(error)).to.equal(true);
      expect(isPercoreError(cause)).to.equal(false);
      expect(error.name).to.equal('PercoreError');
      expect(error.code).to.equal('PERCORE_ERR_BODY_TOO_LARGE');
      expect(error.status).to.equal(413);
      expect(error.message).to.equal('The body is larger than the configured limit: over 10 bytes');
      expect(error.cause).to.equal(cause);
      expect(new PercoreError('PERCORE_ERR_ABORTED').message).to.equal(errorCatalog.PERCORE_ERR_ABORTED.message);
    });

    it('answers a handler error with its own 4xx/5xx status, and 500 for anything else', () => {
      expect(statusForError(new PercoreError('PERCORE_ERR_INVALID_JSON'))).to.equal(400);
      expect(statusForError(new PercoreError('PERCORE_ERR_RESPONSE_TIMEOUT'))).to.equal(503);
      expect(statusForError(new PercoreError('PERCORE_ERR_HEADERS_SENT'))).to.equal(500);
      expect(statusForError(new Error('boom'))).to.equal(500);
      expect(statusForError('a string')).to.equal(500);
      expect(statusForError(undefined)).to.equal(500);
    });
  });

  describe('every throw carries a catalog code', () => {
    it('leaves no plain Error, TypeError or RangeError in the source', () => {
      const plain = /\bnew (?:Range|Type|Syntax)?Error\(/;
      const found: string[] = [];
      for (const file of sourceFiles(srcDir)) {
        readFileSync(file, 'utf8')
          .split('\n')
          .forEach((line, index) => {
            if (plain.test(line) && !/^\s*(?:\/\/|\*)/.test(line)) found.push(`${file.slice(srcDir.length)}:${index + 1}: ${line.trim()}`);
          });
      }
      expect(found).to.deep.equal([]);
    });

    it('refuses bad timer wheel options with PERCORE_ERR_INVALID_OPTION', () => {
      for (const options of [{ resolutionMs: 0 }, { resolutionMs: Number.NaN }, { slotCount: 100 }, { slotCount: 1 }]) {
        expect(() => new TimerWheel(options), JSON.stringify(options))
          .to.throw(PercoreError)
          .with.property('code', 'PERCORE_ERR_INVALID_OPTION');
      }
    });

    it('rejects restart() in one process with PERCORE_ERR_RESTART_UNAVAILABLE', async () => {
      const handle = await serve({ handler: (_req, res) => res.end(), port: 0, cluster: false, handleSignals: false });
      try {
        const error = await handle.restart().then(
          () => expect.fail('restart() resolved'),
          (reason: unknown) => reason,
        );
        expect(error).to.be.an.instanceOf(PercoreError);
        expect((error as PercoreError).code).to.equal('PERCORE_ERR_RESTART_UNAVAILABLE');
        expect((error as PercoreError).message).to.contain('cluster: true');
      } finally {
        await handle.close();
      }
    });
  });

  describe('canned replies', () => {
    it('gives every code with a status one reply whose body names the code', () => {
      for (const code of codes) {
        const { status } = errorCatalog[code];
        if (status === 0) continue;
        const reply = cannedReply(code);
        expect(reply).to.deep.equal({
          status,
          reason: STATUS_CODES[status],
          contentType: 'text/plain; charset=utf-8',
          body: `${status} ${STATUS_CODES[status]}: ${code}\n`,
        });
        expect(cannedReply(code), 'built once').to.equal(reply);
        expect(Object.isFrozen(reply)).to.equal(true);
      }
    });

    it('writes the net engine bytes from the same entry', () => {
      for (const code of ['PERCORE_ERR_BODY_TOO_LARGE', 'PERCORE_ERR_HEADER_TIMEOUT', 'PERCORE_ERR_SERVER_BUSY'] as const) {
        const { status, reason, body } = cannedReply(code);
        const bytes = cannedResponse(code);
        const date = /\r\nDate: ([^\r]+)\r\n/.exec(bytes)?.[1];
        expect(date).to.match(/^[A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT$/);
        expect(bytes).to.equal(
          `HTTP/1.1 ${status} ${reason}\r\nDate: ${date}\r\nContent-Type: text/plain; charset=utf-8\r\n` +
            `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
        );
      }
    });

    it('answers a failed handler with the status and its reason phrase', () => {
      expect(handlerFailureReply(500)).to.deep.equal({
        status: 500,
        reason: 'Internal Server Error',
        contentType: 'text/plain; charset=utf-8',
        body: '500 Internal Server Error\n',
      });
      expect(handlerFailureReply(400).body).to.equal('400 Bad Request\n');
      expect(handlerFailureReply(500), 'built once').to.equal(handlerFailureReply(500));
    });
  });

  describe('the handler-failure policy', () => {
    it('ignores a failure after the client left, without logging', () => {
      const logger = recordingLogger();
      expect(decideHandlerFailure(response({ aborted: true }), new Error('boom'), logger)).to.equal('ignore');
      expect(decideHandlerFailure(response(), new PercoreError('PERCORE_ERR_ABORTED'), logger)).to.equal('ignore');
      expect(logger.lines).to.deep.equal([]);
    });

    it('answers 500 before the head is out, and logs PERCORE_ERR_HANDLER_FAILED with where it happened', () => {
      const logger = recordingLogger();
      const error = new Error('boom');
      expect(decideHandlerFailure(response(), error, logger, 'task #7')).to.equal(handlerFailureReply(500));
      expect(decideHandlerFailure(response(), error, logger)).to.equal(handlerFailureReply(500));
      expect(logger.lines).to.deep.equal([
        { code: 'PERCORE_ERR_HANDLER_FAILED', message: 'task #7: the handler failed', error },
        { code: 'PERCORE_ERR_HANDLER_FAILED', message: 'the handler failed', error },
      ]);
    });

    it("answers a PercoreError's 4xx status without logging it as a server failure", () => {
      const logger = recordingLogger();
      const decision = decideHandlerFailure(response(), new PercoreError('PERCORE_ERR_INVALID_JSON'), logger);
      expect(decision).to.equal(handlerFailureReply(400));
      expect(logger.lines).to.deep.equal([]);
    });

    it('cuts the connection once the head is out, and does nothing once the response ended (logging both)', () => {
      const logger = recordingLogger();
      expect(decideHandlerFailure(response({ headersSent: true }), new Error('late'), logger)).to.equal('cut');
      expect(decideHandlerFailure(response({ headersSent: true, finished: true }), new Error('after'), logger)).to.equal('ignore');
      expect(logger.lines.map((line) => (line.error as Error).message)).to.deep.equal(['late', 'after']);
    });
  });
});
