/** What one run of a load tool against one server measured. */
export interface ToolResult {
  /** Successful (2xx) responses per second. */
  requestsPerSecond: number;
  /** Requests completed with a 2xx status. */
  completed: number;
  /** Connection errors, resets and other transport failures. */
  errors: number;
  timeouts: number;
  /** Responses with a status other than 2xx: never counted as successes. */
  non2xx: number;
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
}

/** One cell of one round: a server under one row's load. */
export interface Measurement {
  server: string;
  row: string;
  round: number;
  /** The Node line (as in BenchRun.nodeLines) the server ran on, in a --node run; absent for a server that is not Node. */
  node?: string;
  /** Null when the cell is not applicable or its run failed: see `skipped`. */
  result: ToolResult | null;
  /** Why there is no result, e.g. "uWebSockets.js answers HTTP/1.0 with 505". */
  skipped?: string;
  /** CPU used by the server's processes (1 = one core) and by the load generator, while measuring. */
  serverCpu: number;
  clientCpu: number;
}

export interface ServerInfo {
  id: string;
  label: string;
  /** In a --node run, a Node server's line (as in BenchRun.nodeLines) and the id of the server it is on that line. */
  node?: string;
  base?: string;
}

/** A Node line a --node run ran its Node servers on. */
export interface NodeLineInfo {
  /** As asked for: a major such as 24, or `current`. */
  line: string;
  /** e.g. v24.11.1 */
  version: string;
  execPath: string;
}

export interface RowInfo {
  id: string;
  /** As in Hellepoll's table: 'ab -c25', 'ab -k -c25', 'wrk -c25', ... */
  label: string;
}

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  node: string;
  os: string;
  /** Versions of ab, wrk, autocannon, Tornado, ... as found. */
  tools: Record<string, string>;
}

/** A whole benchmark run: what the JSON file holds, and what the table and chart are made from. */
export interface BenchRun {
  /** ISO date-time the run started. */
  date: string;
  host: string;
  machine: MachineInfo;
  /** The command line that produced the run. */
  command: string;
  rounds: number;
  durationSeconds: number;
  connections: number;
  workers: number;
  /** Columns, in order. */
  servers: ServerInfo[];
  rows: RowInfo[];
  /**
   * The server every ratio is taken against (node:http, one process; compare: the first server).
   * In a --node run, its id without a line: each line's ratios are to that server on the same line.
   */
  baseline: string;
  /** --node: the lines every Node server ran on, in order (absent: all ran on machine.node). */
  nodeLines?: NodeLineInfo[];
  /** Request counts ab used instead of the duration, when given. */
  requests?: { keepAlive?: number; close?: number };
  /** taskset CPU lists the servers and the load generators ran on, when pinned. */
  pinning?: { server?: string; client?: string };
  /** The request path, when not /. */
  path?: string;
  /** The status every counted response had, when not 200 (e.g. 404: the missing-file rows). */
  status?: number;
  measurements: Measurement[];
}
