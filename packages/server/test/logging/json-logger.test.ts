import { expect } from 'chai';
import { hostname } from 'node:os';
import { PercoreError } from '../../src/errors.js';
import { stderrLogger } from '../../src/logging/default-logger.js';
import { createJsonLogger } from '../../src/logging/json-logger.js';
import { LEVELS, parseLevel, type LevelName } from '../../src/logging/levels.js';

/** A logger at `level` whose lines are collected, parsed back. */
function collecting(level?: LevelName) {
  const lines: string[] = [];
  const logger = createJsonLogger({ level, write: (line) => lines.push(line) });
  return { logger, lines, parsed: () => lines.map((line) => JSON.parse(line) as Record<string, any>) };
}

/** Runs `fn` with LOG_LEVEL set to `value` (unset for undefined), then restores it. */
function withLogLevel<T>(value: string | undefined, fn: () => T): T {
  const saved = process.env.LOG_LEVEL;
  if (value === undefined) delete process.env.LOG_LEVEL;
  else process.env.LOG_LEVEL = value;
  try {
    return fn();
  } finally {
    if (saved === undefined) delete process.env.LOG_LEVEL;
    else process.env.LOG_LEVEL = saved;
  }
}

describe('logging: the default JSON logger', () => {
  it("writes pino's shape: numeric level, time, pid, hostname, code, err, msg; one line each", () => {
    const { logger, lines, parsed } = collecting('info');
    const before = Date.now();
    const failure = new PercoreError('PERCORE_ERR_HANDLER_FAILED', 'boom');
    logger.error('PERCORE_ERR_HANDLER_FAILED', 'task #3: the handler failed', failure);
    logger.info('draining 2 workers');
    expect(lines).to.have.length(2);
    for (const line of lines) {
      expect(line.endsWith('\n')).to.equal(true);
      expect(line.indexOf('\n')).to.equal(line.length - 1);
    }
    const [error, info] = parsed();
    expect(error).to.include({
      level: 50,
      pid: process.pid,
      hostname: hostname(),
      code: 'PERCORE_ERR_HANDLER_FAILED',
      msg: 'task #3: the handler failed',
    });
    expect(error!.time).to.be.a('number').within(before, Date.now());
    expect(error!.err).to.deep.include({
      type: 'PercoreError',
      message: failure.message,
      stack: failure.stack,
      code: 'PERCORE_ERR_HANDLER_FAILED',
      status: 500,
    });
    expect(info).to.include({ level: 30, msg: 'draining 2 workers' });
    expect(info).to.not.have.property('code');
    expect(info).to.not.have.property('err');
    expect(Object.keys(error!).slice(0, 4)).to.deep.equal(['level', 'time', 'pid', 'hostname']);
  });

  it('has pino’s numeric levels and writes only at or above its own', () => {
    expect(LEVELS).to.deep.equal({ trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60, silent: Infinity });
    const warn = collecting('warn');
    warn.logger.debug('d');
    warn.logger.info('i');
    warn.logger.warn('PERCORE_ERR_LOG_LINES_DROPPED', 'w');
    warn.logger.error('PERCORE_ERR_TASK_FAILED', 'e');
    expect(warn.parsed().map((line) => [line.level, line.msg])).to.deep.equal([
      [40, 'w'],
      [50, 'e'],
    ]);
    const debug = collecting('debug');
    debug.logger.debug('d');
    debug.logger.info('i');
    expect(debug.parsed().map((line) => line.level)).to.deep.equal([20, 30]);
    const silent = collecting('silent');
    silent.logger.error('PERCORE_ERR_TASK_FAILED', 'e', new Error('x'));
    silent.logger.info('i');
    expect(silent.lines).to.deep.equal([]);
  });

  it('escapes what JSON must (quotes, backslashes, newlines, controls), so a message cannot forge a line', () => {
    const { logger, lines, parsed } = collecting('info');
    const message = 'a "quoted" \\ back\nslash\r\u0000\u001b[31m é € \ud83d\ude00';
    logger.error('PERCORE_ERR_TASK_FAILED', message, new Error(message));
    expect(lines[0]!.split('\n')).to.have.length(2);
    expect(parsed()[0]!.msg).to.equal(message);
    expect(parsed()[0]!.err.message).to.equal(message);
  });

  it('serializes causes, own properties that JSON cannot hold, and thrown non-Errors', () => {
    const { logger, parsed } = collecting('info');
    const root = Object.assign(new Error('disk'), { code: 'EIO', size: 10n });
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    logger.error('PERCORE_ERR_TASK_FAILED', 'wrapped', new TypeError('outer', { cause: root }));
    logger.error('PERCORE_ERR_TASK_FAILED', 'a string', 'just text');
    logger.error('PERCORE_ERR_TASK_FAILED', 'an object', { status: 7 });
    logger.error('PERCORE_ERR_TASK_FAILED', 'a cycle', circular);
    const [wrapped, text, object, cycle] = parsed();
    expect(wrapped!.err).to.include({ type: 'TypeError', message: 'outer' });
    expect(wrapped!.err.cause).to.include({ type: 'Error', message: 'disk', code: 'EIO', size: '10' });
    expect(text!.err).to.equal('just text');
    expect(object!.err).to.deep.equal({ status: 7 });
    expect(cycle!.err).to.equal('[object Object]');
  });

  it('reads its level from LOG_LEVEL (default info) when none is given', () => {
    expect(withLogLevel(undefined, () => createJsonLogger({ write: () => {} }).level)).to.equal('info');
    expect(withLogLevel('debug', () => createJsonLogger({ write: () => {} }).level)).to.equal('debug');
    expect(withLogLevel(' WARN ', () => createJsonLogger({ write: () => {} }).level)).to.equal('warn');
    expect(withLogLevel('', () => createJsonLogger({ write: () => {} }).level)).to.equal('info');
    const lines: string[] = [];
    withLogLevel('error', () => createJsonLogger({ write: (line) => lines.push(line) })).info('hidden');
    expect(lines).to.deep.equal([]);
  });

  it('refuses a bad LOG_LEVEL with PERCORE_ERR_INVALID_OPTION when the logger is made, naming the choices', () => {
    for (const bad of ['verbose', '30', 'inf']) {
      let thrown: unknown;
      withLogLevel(bad, () => {
        try {
          createJsonLogger({ write: () => {} });
        } catch (error) {
          thrown = error;
        }
      });
      expect(thrown, bad).to.be.instanceOf(PercoreError);
      expect((thrown as PercoreError).code).to.equal('PERCORE_ERR_INVALID_OPTION');
      expect((thrown as PercoreError).message)
        .to.include('LOG_LEVEL')
        .and.include(JSON.stringify(bad))
        .and.include('trace, debug, info');
    }
  });

  it('parses level names case-insensitively and refuses others', () => {
    expect(parseLevel('TRACE')).to.equal('trace');
    expect(parseLevel('fatal')).to.equal('fatal');
    expect(parseLevel('silent')).to.equal('silent');
    expect(parseLevel(undefined)).to.equal('info');
    expect(() => parseLevel('toString')).to.throw(PercoreError, /LOG_LEVEL/);
    expect(() => parseLevel('loud', 'level')).to.throw(PercoreError, /^An option .*: level must be one of/);
  });

  it('stderrLogger writes JSON lines to stderr; with a bad LOG_LEVEL it says so once, logs at info, and never throws', () => {
    const written: string[] = [];
    const original = process.stderr.write;
    process.stderr.write = ((chunk: string) => written.push(chunk) > 0) as typeof process.stderr.write;
    try {
      withLogLevel('loud', () => {
        stderrLogger.error('PERCORE_ERR_TASK_FAILED', 'task #1 threw', new Error('x'));
        stderrLogger.info!('still here');
        stderrLogger.debug!('hidden at info');
      });
      withLogLevel('warn', () => stderrLogger.info!('hidden at warn'));
    } finally {
      process.stderr.write = original;
    }
    const lines = written.map((line) => JSON.parse(line));
    expect(lines.map((line) => [line.level, line.code, line.msg])).to.deep.equal([
      [
        50,
        'PERCORE_ERR_INVALID_OPTION',
        `${new PercoreError('PERCORE_ERR_INVALID_OPTION').message}: LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, silent; got "loud"; logging at info`,
      ],
      [50, 'PERCORE_ERR_TASK_FAILED', 'task #1 threw'],
      [30, undefined, 'still here'],
    ]);
  });
});
