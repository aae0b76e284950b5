import { expect } from 'chai';
import { Writable } from 'node:stream';
import { pino, type Logger as Pino } from 'pino';
import { PercoreError } from '../../src/errors.js';
import { defaultLogger, stderrLogger } from '../../src/logging/default-logger.js';
import { createJsonLogger } from '../../src/logging/json-logger.js';
import type { Logger } from '../../src/logging/logger.js';
import { fromPino, isPinoLike } from '../../src/logging/pino.js';
import { resolveLogger } from '../../src/logging/resolve.js';
import { createServer } from '../../src/server.js';

/** A real pino instance writing to a stream whose lines are kept, parsed back. */
function realPino(level = 'info'): { pino: Pino; lines: () => Array<Record<string, any>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString());
      callback();
    },
  });
  const instance = pino({ level }, stream);
  return {
    pino: instance,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line)),
  };
}

describe('logging: a pino instance as the logger', () => {
  it('tells a pino instance (and its children) from a percore Logger', () => {
    const { pino: instance } = realPino();
    expect(isPinoLike(instance)).to.equal(true);
    expect(isPinoLike(instance.child({ worker: 1 }))).to.equal(true);
    const percore: Logger = { error() {}, info() {} };
    expect(isPinoLike(percore)).to.equal(false);
    expect(isPinoLike(stderrLogger)).to.equal(false);
    expect(isPinoLike(createJsonLogger({ level: 'info', write: () => {} }))).to.equal(false);
    expect(isPinoLike(console)).to.equal(false);
    expect(isPinoLike(null)).to.equal(false);
    expect(isPinoLike({ child() {}, level: 'info', error() {}, info() {} })).to.equal(false); // no levels map
  });

  it('adapts error(code, message, err) to pino.error({ code, err }, msg), and info(msg) to pino.info(msg)', () => {
    const { pino: instance, lines } = realPino('debug');
    const logger = resolveLogger(instance);
    const failure = new PercoreError('PERCORE_ERR_HANDLER_FAILED', 'boom');
    logger.error('PERCORE_ERR_HANDLER_FAILED', 'the handler failed', failure);
    logger.error('PERCORE_ERR_WORKER_DIED', 'worker 7 died');
    logger.warn!('PERCORE_ERR_LOG_LINES_DROPPED', '3 log lines dropped');
    logger.info!('rolling restart done');
    logger.debug!('detail');
    const [error, bare, warn, info, debug] = lines();
    expect(error).to.include({ level: 50, code: 'PERCORE_ERR_HANDLER_FAILED', msg: 'the handler failed', pid: process.pid });
    expect(error!.err).to.include({
      type: 'PercoreError',
      message: failure.message,
      stack: failure.stack,
      code: 'PERCORE_ERR_HANDLER_FAILED',
    });
    expect(bare).to.include({ level: 50, code: 'PERCORE_ERR_WORKER_DIED', msg: 'worker 7 died' });
    expect(bare).to.not.have.property('err');
    expect(warn).to.include({ level: 40, code: 'PERCORE_ERR_LOG_LINES_DROPPED', msg: '3 log lines dropped' });
    expect(info).to.include({ level: 30, msg: 'rolling restart done' });
    expect(debug).to.include({ level: 20, msg: 'detail' });
  });

  it("leaves the filtering to pino's own level", () => {
    const { pino: instance, lines } = realPino('error');
    const logger = fromPino(instance);
    logger.info!('hidden');
    logger.warn!('PERCORE_ERR_LOG_LINES_DROPPED', 'hidden');
    logger.error('PERCORE_ERR_TASK_FAILED', 'shown');
    expect(lines().map((line) => line.msg)).to.deep.equal(['shown']);
  });

  it('resolves no logger to the default, a percore Logger to itself, and refuses anything else', () => {
    expect(resolveLogger(undefined)).to.equal(defaultLogger());
    const percore: Logger = { error() {} };
    expect(resolveLogger(percore)).to.equal(percore);
    for (const bad of [{}, 'stderr', 42, null]) {
      expect(() => resolveLogger(bad as never), String(bad)).to.throw(PercoreError, /logger must be a pino instance/);
    }
  });

  it('is what createServer logs through: a failing handler lands in pino with its code', async () => {
    const { pino: instance, lines } = realPino();
    const server = createServer({
      logger: instance,
      handler: () => {
        throw new Error('handler broke');
      },
    });
    const { port } = await server.listen({ host: '127.0.0.1', port: 0 });
    try {
      const response = await fetch(`http://127.0.0.1:${port}/`);
      expect(response.status).to.equal(500);
      await response.arrayBuffer();
    } finally {
      await server.close({ graceMs: 0 });
    }
    const logged = lines().find((line) => line.code === 'PERCORE_ERR_HANDLER_FAILED');
    expect(logged, JSON.stringify(lines())).to.not.equal(undefined);
    expect(logged!.level).to.equal(50);
    expect(logged!.err).to.include({ type: 'Error', message: 'handler broke' });
  });
});
