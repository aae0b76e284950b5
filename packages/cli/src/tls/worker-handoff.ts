/**
 * How `--tls-self-signed`'s certificate reaches the workers: the primary makes it once and puts
 * the PEMs in its environment before serve() forks, so every worker (and every replacement, and
 * every worker of a SIGHUP roll) inherits the same certificate.
 *
 * Why the environment and not a file: nothing is written to disk, so no key is left behind when
 * the primary is killed with SIGKILL, and there is no temp dir to clean. An environment is readable
 * only by its own user and root (/proc/PID/environ), as a 0600 file would be. Each worker takes
 * the PEMs out of its process.env at once, so the processes a handler module spawns inherit
 * nothing; the primary spawns only workers.
 */
export const SELF_SIGNED_ENV = { cert: 'PERCORE_CLI_SELF_SIGNED_CERT', key: 'PERCORE_CLI_SELF_SIGNED_KEY' } as const;

export interface PemPair {
  cert: string;
  key: string;
}

/** In the primary, before serve(): what every worker forked from now on inherits. */
export function handToWorkers(pair: PemPair): void {
  process.env[SELF_SIGNED_ENV.cert] = pair.cert;
  process.env[SELF_SIGNED_ENV.key] = pair.key;
}

/** In a worker: the primary's certificate and key, taken out of the environment. Throws where the primary gave none. */
export function takeFromPrimary(): PemPair {
  const cert = process.env[SELF_SIGNED_ENV.cert];
  const key = process.env[SELF_SIGNED_ENV.key];
  delete process.env[SELF_SIGNED_ENV.cert];
  delete process.env[SELF_SIGNED_ENV.key];
  if (cert === undefined || key === undefined) {
    throw new Error(`--tls-self-signed: the primary handed no certificate to this worker (${SELF_SIGNED_ENV.cert} is not set)`);
  }
  return { cert, key };
}
