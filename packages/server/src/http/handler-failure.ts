import { isPercoreError, statusForError } from '../errors.js';
import type { Logger } from '../scheduler/scheduler.js';
import { handlerFailureReply, type CannedReply } from './canned.js';

/** What the policy reads of the failing handler's response; both engines' responses have it. */
export interface FailedResponse {
  readonly aborted: boolean;
  readonly finished: boolean;
  readonly headersSent: boolean;
}

/**
 * What an engine does about a handler that threw or rejected:
 * - 'ignore': nothing (the client left, or the response had already ended);
 * - 'cut': part of the response is out, so only cutting the connection says it is incomplete;
 * - a reply: `resetForError(reply.status)`, then `end(reply.body)`.
 */
export type HandlerFailure = 'ignore' | 'cut' | CannedReply;

/**
 * The handler-failure policy of every engine. It logs PERCORE_ERR_HANDLER_FAILED for errors that
 * answer 5xx (a PercoreError with a 4xx status is the client's fault, not the server's). `where`
 * names the exchange in the log line (e.g. 'task #7'). Runs only on failure: nothing allocated
 * per successful request.
 */
export function decideHandlerFailure(response: FailedResponse, error: unknown, logger: Logger, where?: string): HandlerFailure {
  // The client left, or the exchange already ended with a timeout (logged then): a handler failing
  // on a body read that was cut short is the consequence, not a server error.
  if (response.aborted || (isPercoreError(error) && error.code === 'PERCORE_ERR_ABORTED')) return 'ignore';
  const status = statusForError(error);
  if (status >= 500) logger.error('PERCORE_ERR_HANDLER_FAILED', where ? `${where}: the handler failed` : 'the handler failed', error);
  if (response.finished) return 'ignore';
  if (response.headersSent) return 'cut';
  return handlerFailureReply(status);
}
