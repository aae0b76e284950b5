/**
 * The access log's timestamps, formatted once per second: they are on every request's path.
 * Each cache holds one second; exchanges are logged in nearly the order they started.
 */

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad2(value: number): string {
  return value < 10 ? `0${value}` : String(value);
}

/** Apache's `%d/%b/%Y:%H:%M:%S %z` in local time: `02/Dec/2026:03:40:16 +0100`. */
export function formatClfTime(date: Date): string {
  // getTimezoneOffset is minutes *behind* UTC: -60 for UTC+01:00.
  const offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  const zone = `${sign}${pad2(Math.floor(Math.abs(offset) / 60))}${pad2(Math.abs(offset) % 60)}`;
  return (
    `${pad2(date.getDate())}/${MONTHS[date.getMonth()]}/${date.getFullYear()}:` +
    `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())} ${zone}`
  );
}

let clfSecond = Number.NaN;
let clfText = '';

/** `formatClfTime` of the second holding `epochMs`. */
export function clfTime(epochMs: number): string {
  const second = Math.floor(epochMs / 1000);
  if (second !== clfSecond) {
    clfText = formatClfTime(new Date(second * 1000));
    clfSecond = second;
  }
  return clfText;
}

let isoSecond = Number.NaN;
/** `2026-12-02T03:40:16.`: the ISO 8601 UTC form up to the milliseconds. */
let isoPrefix = '';

/** `new Date(epochMs).toISOString()`, with the second's part cached. */
export function isoTime(epochMs: number): string {
  const whole = Math.floor(epochMs);
  const second = Math.floor(whole / 1000);
  if (second !== isoSecond) {
    isoPrefix = new Date(second * 1000).toISOString().slice(0, 20);
    isoSecond = second;
  }
  const ms = whole - second * 1000;
  return `${isoPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z`;
}
