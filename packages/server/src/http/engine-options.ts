import { PercoreError } from '../errors.js';
import { Scheduler, type Logger } from '../scheduler/scheduler.js';
import type { Handler } from './api.js';
import type { ExchangeObserver } from './observer.js';
import type { HttpOptions } from './options.js';

/** The scheduler layer's settings, when the engine makes its own scheduler. */
export interface SchedulerSettings {
  /** Milliseconds per tick of the timer wheel (default 50). */
  timerResolutionMs?: number;
}

/**
 * What every engine takes, grouped by layer (Tornado's HTTP1ConnectionParameters): the handler,
 * the HTTP layer's limits and timeouts, the scheduler, and the observer. Each engine adds its own.
 */
export interface EngineOptions {
  /** The HTTP handler. */
  handler?: Handler;
  /** Limits and timeouts of the HTTP layer. */
  http?: HttpOptions;
  /** An existing scheduler to run on (one per worker), or settings for the engine's own. */
  scheduler?: Scheduler | SchedulerSettings;
  /** Where errors and lifecycle lines go (default: stderr). */
  logger?: Logger;
  /** Hooks on every exchange: started, ended, aborted (metrics, access logs). */
  observer?: ExchangeObserver;
}

/** The scheduler an engine runs on: the one given, or a new one with the given settings. */
export function schedulerFor(options: EngineOptions): Scheduler {
  const given = options.scheduler;
  if (given instanceof Scheduler) return given;
  if (given !== undefined && (typeof given !== 'object' || given === null)) {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'scheduler must be a Scheduler or { timerResolutionMs }');
  }
  return new Scheduler({ timerResolutionMs: given?.timerResolutionMs, logger: options.logger });
}

/** Refuses a handler that is not a function, naming what was given. */
export function checkHandler(handler: unknown): asserts handler is Handler {
  if (typeof handler !== 'function') {
    throw new PercoreError('PERCORE_ERR_INVALID_OPTION', 'the handler must be a function (req, res) => void | Promise<void>');
  }
}
