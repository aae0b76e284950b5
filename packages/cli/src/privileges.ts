import { readFileSync } from 'node:fs';

/**
 * Drops this process to `user` and/or `group`: supplementary groups (initgroups), then the group,
 * then the user, in that order since only root may change groups. With a user and no group, the
 * user's primary group from /etc/passwd. Throws an Error saying why when any step fails; the
 * caller refuses to serve.
 */
export function dropPrivileges(user: string | null, group: string | null): void {
  if (user === null && group === null) return;
  if (process.getuid === undefined || process.setuid === undefined || process.setgid === undefined) {
    throw new Error('dropping privileges needs a POSIX system');
  }
  const gid = group ?? (user === null ? null : primaryGroupOf(user));
  try {
    if (user !== null) (process as unknown as { initgroups(user: string, group: string | number): void }).initgroups(user, gid!);
    else process.setgroups!([gid!]);
    process.setgid(gid!);
    if (user !== null) process.setuid(user);
  } catch (error) {
    const who = [user === null ? null : `user '${user}'`, group === null ? null : `group '${group}'`].filter(Boolean).join(' and ');
    const hint = process.getuid() === 0 ? '' : ' (only root can change its user or group)';
    throw new Error(`cannot drop privileges to ${who}: ${(error as Error).message}${hint}`);
  }
  // Root can take its privileges back; a process that dropped them must not be able to.
  if (user !== null && (process.getuid() === 0 || process.geteuid!() === 0)) throw new Error(`still root after setuid('${user}')`);
}

/** The primary gid of a user (name or uid) from /etc/passwd. */
function primaryGroupOf(user: string): number {
  let passwd = '';
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    // handled below
  }
  for (const line of passwd.split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 4 && (fields[0] === user || fields[2] === user)) return Number(fields[3]);
  }
  throw new Error(`cannot drop privileges to user '${user}': no such user in /etc/passwd (give --group to name the group)`);
}
