import { connect, type Socket } from 'node:net';
import type { Logger } from '../../src/scheduler/scheduler.js';
import type { ErrorCode } from '../../src/errors.js';

/** A logger that keeps what it is told, so tests can assert on codes and keep stderr quiet. */
export function collectingLogger(): Logger & { entries: Array<{ code: ErrorCode; message: string; error?: unknown }> } {
  const entries: Array<{ code: ErrorCode; message: string; error?: unknown }> = [];
  return { entries, error: (code, message, error) => entries.push({ code, message, error }) };
}

/** Connects to 127.0.0.1:port; rejects after `deadlineMs`. */
export function connectTo(port: number, deadlineMs = 2000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`could not connect to port ${port} within ${deadlineMs} ms`));
    }, deadlineMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Reads from `socket` until `done(received)` says so or the peer closes; rejects after `deadlineMs`. */
export function readUntil(
  socket: Socket,
  done: (received: Buffer) => boolean,
  deadlineMs = 2000,
): Promise<{ data: Buffer; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let received = Buffer.alloc(0);
    const finish = (closed: boolean) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('end', onClose);
      resolve({ data: received, closed });
    };
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      received = Buffer.concat(chunks);
      if (done(received)) finish(false);
    };
    const onClose = () => finish(true);
    const timer = setTimeout(() => {
      socket.off('data', onData);
      reject(new Error(`timed out after ${deadlineMs} ms; received ${JSON.stringify(received.toString('latin1'))}`));
    }, deadlineMs);
    socket.on('data', onData);
    socket.once('end', onClose);
    socket.once('close', onClose);
    if (socket.readableEnded || socket.destroyed) finish(true);
  });
}

/** Waits until `predicate()` holds, polling; rejects after `deadlineMs`. */
export async function eventually(predicate: () => boolean, deadlineMs = 2000, what = 'condition'): Promise<void> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > deadlineMs) throw new Error(`${what} not reached within ${deadlineMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
