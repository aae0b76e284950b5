import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import type { Flags } from './args.js';
import { booleanOf, envBoolean, envSwitch, integerOf, oneOf, stringOf } from './config-values.js';
import { resolveObservability, type Found, type ObservabilityConfig } from './observability-config.js';
import { UsageError } from './usage-error.js';

/** Everything `percore serve` runs with, resolved. Printed by --print-config. */
export interface CliConfig extends ObservabilityConfig {
  root: string;
  host: string;
  port: number;
  workers: number;
  engine: 'net' | 'uws';
  /** Prefix → module path (absolute), in the order given. */
  mounts: Array<{ prefix: string; module: string }>;
  user: string | null;
  group: string | null;
  cert: string | null;
  key: string | null;
  /** Serve HTTPS with a throwaway certificate made at start-up (not with cert/key). */
  tlsSelfSigned: boolean;
  /** Offer HTTP/2 (ALPN h2) beside HTTP/1.1 under TLS on the net engine. */
  http2: boolean;
  debug: boolean;
  single: boolean;
  maxAge: number;
  cors: boolean;
  dotfiles: 'hide' | 'allow';
}

/** The environment variables read, by config key. PERCORE_PORT is also how the primary tells a worker its port. */
export const ENV_NAMES = {
  host: 'PERCORE_HOST',
  port: 'PERCORE_PORT',
  workers: 'PERCORE_WORKERS',
  engine: 'PERCORE_ENGINE',
  user: 'PERCORE_USER',
  group: 'PERCORE_GROUP',
  tlsSelfSigned: 'PERCORE_TLS_SELF_SIGNED',
  http2: 'PERCORE_HTTP2',
  debug: 'PERCORE_DEBUG',
  metrics: 'PERCORE_METRICS',
  metricsPort: 'PERCORE_METRICS_PORT',
  health: 'PERCORE_HEALTH',
  accessLog: 'PERCORE_ACCESS_LOG',
  logFormat: 'PERCORE_LOG_FORMAT',
} as const;

/** Read as switches (1/true, 0/false) or, for those that take one, a value instead. */
const ENV_BOOLEANS = new Set<string>(['debug', 'health', 'tlsSelfSigned', 'http2']);
const ENV_SWITCHES_WITH_VALUE = new Set<string>(['metrics', 'accessLog']);

type Layer = Partial<Record<keyof CliConfig, unknown>>;

const FILE_KEYS = new Set<string>([
  'root',
  'host',
  'port',
  'workers',
  'engine',
  'mount',
  'user',
  'group',
  'cert',
  'key',
  'tlsSelfSigned',
  'http2',
  'debug',
  'single',
  'maxAge',
  'cors',
  'dotfiles',
  'metrics',
  'metricsPort',
  'health',
  'accessLog',
  'logFormat',
]);

/** Flags over env over the --config file over the defaults; paths made absolute against `cwd`. */
export function resolveConfig(flags: Flags, env: NodeJS.ProcessEnv, cwd: string): CliConfig {
  const file = flags.config === undefined ? {} : readConfigFile(resolve(cwd, flags.config));
  const fileBase = flags.config === undefined ? cwd : resolve(cwd, flags.config, '..');
  const fromEnv: Layer = {};
  for (const [key, name] of Object.entries(ENV_NAMES)) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    fromEnv[key as keyof CliConfig] = ENV_BOOLEANS.has(key)
      ? envBoolean(name, value)
      : ENV_SWITCHES_WITH_VALUE.has(key)
        ? envSwitch(value)
        : value;
  }
  const fromFlags: Layer = { ...flags, mounts: flags.mount };
  delete (fromFlags as Record<string, unknown>).mount;

  // A relative path is relative to the working directory, or to the file it is written in.
  const pick = (key: keyof CliConfig): Found | undefined => {
    if (fromFlags[key] !== undefined) return { value: fromFlags[key], from: `--${dashed(key)}`, base: cwd };
    if (fromEnv[key] !== undefined) return { value: fromEnv[key], from: ENV_NAMES[key as keyof typeof ENV_NAMES], base: cwd };
    if (file[key] !== undefined)
      return { value: file[key], from: `"${key === 'mounts' ? 'mount' : key}" in ${flags.config}`, base: fileBase };
    return undefined;
  };
  const value = <T>(key: keyof CliConfig, fallback: T, check: (raw: unknown, from: string) => T): T => {
    const found = pick(key);
    return found === undefined ? fallback : check(found.value, found.from);
  };

  const root = pick('root');
  const rootPath = root === undefined ? cwd : resolve(root.base, stringOf(root.value, root.from, false));
  const mountsFound = pick('mounts');
  const mounts = mountsFound === undefined ? [] : parseMounts(mountsFound.value, mountsFound.from, mountsFound.base);
  const cert = pick('cert');
  const key = pick('key');
  const port = value('port', 8080, (raw, from) => integerOf(raw, from, 0, 65535));
  const config: CliConfig = {
    root: rootPath,
    host: value('host', '127.0.0.1', (raw, from) => stringOf(raw, from, false)),
    port,
    workers: value('workers', availableParallelism(), (raw, from) => integerOf(raw, from, 1, 1024)),
    engine: value('engine', 'net' as const, (raw, from) => oneOf(raw, from, ['net', 'uws'] as const)),
    mounts,
    user: value('user', null, (raw, from) => stringOf(raw, from, true)),
    group: value('group', null, (raw, from) => stringOf(raw, from, true)),
    cert: cert === undefined ? null : resolve(cert.base, stringOf(cert.value, cert.from, false)),
    key: key === undefined ? null : resolve(key.base, stringOf(key.value, key.from, false)),
    tlsSelfSigned: value('tlsSelfSigned', false, booleanOf),
    http2: value('http2', true, booleanOf),
    debug: value('debug', false, booleanOf),
    single: value('single', false, booleanOf),
    maxAge: value('maxAge', 0, (raw, from) => integerOf(raw, from, 0, 2 ** 31 - 1)),
    cors: value('cors', false, booleanOf),
    dotfiles: value('dotfiles', 'hide' as const, (raw, from) => oneOf(raw, from, ['hide', 'allow'] as const)),
    ...resolveObservability(pick, port),
  };
  if ((config.cert === null) !== (config.key === null)) throw new UsageError('--cert and --key go together: give both');
  if (config.tlsSelfSigned && config.cert !== null) {
    const from = pick('tlsSelfSigned')!.from;
    throw new UsageError(`${from} makes its own certificate: give it or --cert/--key, not both`);
  }
  return config;
}

function readConfigFile(path: string): Layer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UsageError(`cannot read the config file ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`the config file ${path} is not JSON: ${(error as Error).message}`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new UsageError(`the config file ${path} must hold a JSON object`);
  const layer: Layer = {};
  for (const [key, raw] of Object.entries(data)) {
    if (!FILE_KEYS.has(key))
      throw new UsageError(`the config file ${path} has an unknown key "${key}" (known: ${[...FILE_KEYS].join(', ')})`);
    layer[(key === 'mount' ? 'mounts' : key) as keyof CliConfig] = raw;
  }
  return layer;
}

function parseMounts(raw: unknown, from: string, base: string): CliConfig['mounts'] {
  const entries: Array<[string, unknown]> = [];
  if (Array.isArray(raw)) {
    for (const item of raw) {
      const text = stringOf(item, from, false);
      const equals = text.indexOf('=');
      if (equals <= 0 || equals === text.length - 1) throw new UsageError(`${from}: '${text}' is not PREFIX=MODULE`);
      entries.push([text.slice(0, equals), text.slice(equals + 1)]);
    }
  } else if (typeof raw === 'object' && raw !== null) {
    entries.push(...Object.entries(raw));
  } else {
    throw new UsageError(`${from} must be PREFIX=MODULE entries (or, in a file, an object of prefix to module)`);
  }
  const seen = new Set<string>();
  return entries.map(([prefix, module]) => {
    if (!prefix.startsWith('/')) throw new UsageError(`${from}: the prefix '${prefix}' must start with '/'`);
    if (seen.has(prefix)) throw new UsageError(`${from}: '${prefix}' is mounted twice`);
    seen.add(prefix);
    return { prefix, module: resolve(base, stringOf(module, from, false)) };
  });
}

function dashed(key: string): string {
  if (key === 'mounts') return 'mount';
  return key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
}
