/** @percore/server/scheduler: the scheduler's lower parts: the timer wheel and the defaults. */
export { Timer, TimerWheel, type TimerTarget, type TimerWheelOptions } from '../scheduler/timer-wheel.js';
export { DEFAULT_LINGER_MS } from '../scheduler/task.js';
export { DEFAULT_CONNECT_TIMEOUT_MS } from '../scheduler/connect.js';
export { DEFAULT_MAX_CONNECTIONS, type CloseOptions } from '../scheduler/listener.js';
export { stderrLogger } from '../scheduler/scheduler.js';
export { backoffDelay, GIVE_UP, DEFAULT_INITIAL_DELAY_MS, DEFAULT_MAX_DELAY_MS } from '../scheduler/backoff.js';
export { DEFAULT_ACQUIRE_TIMEOUT_MS, DEFAULT_POOL_IDLE_TIMEOUT_MS, DEFAULT_POOL_MAX_WAITING, DEFAULT_POOL_SIZE } from '../scheduler/pool.js';
