/** Lower-case names; repeats joined with ', ', or '; ' for Cookie (RFC 9110 5.3, RFC 6265 5.4). */
export function buildHeaderRecord(raw: readonly string[]): Record<string, string> {
  const record: Record<string, string> = Object.create(null);
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    const value = raw[i + 1]!;
    const existing = record[name];
    record[name] = existing === undefined ? value : existing + (name === 'cookie' ? '; ' : ', ') + value;
  }
  return record;
}
