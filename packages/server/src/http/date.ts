/**
 * The Date header value (RFC 9110 6.6.1, IMF-fixdate), formatted at most once a second. The cache
 * is dropped at the next second boundary by one unref'd timer, so the hot path reads no clock.
 */
let cached = '';

function expire(): void {
  cached = '';
}

export function httpDate(): string {
  if (cached === '') {
    const now = Date.now();
    cached = new Date(now).toUTCString();
    setTimeout(expire, 1000 - (now % 1000)).unref();
  }
  return cached;
}
