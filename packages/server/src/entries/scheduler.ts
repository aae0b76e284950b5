/** @percore/server/scheduler: the scheduler's lower parts: the timer wheel and the defaults. */
export { Timer, TimerWheel, type TimerTarget, type TimerWheelOptions } from '../scheduler/timer-wheel.js';
export { DEFAULT_LINGER_MS } from '../scheduler/task.js';
export { DEFAULT_CONNECT_TIMEOUT_MS } from '../scheduler/connect.js';
export { DEFAULT_MAX_CONNECTIONS, type CloseOptions } from '../scheduler/listener.js';
export { stderrLogger } from '../scheduler/scheduler.js';
