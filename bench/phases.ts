/**
 * One measured load phase: a fixed number of requests against one server, with that server's
 * CPU (and, for the product, its database commands) read just before the first request and just
 * after the last response, and the database process's CPU over the same window.
 */
import { type CommandCounts, commandsBetween } from './commandCounter.js';
import type { DatabaseReady } from './databaseProcess.js';
import type { ChildHandle } from './ipc.js';
import { type BenchPhone, type LoadResult, runLoad } from './load.js';
import type { ServerReady, ServerSnapshot } from './server.js';
import { percentile } from './stats.js';

export interface PhaseReport {
  /** Responses, over all rounds. */
  requests: number;
  statuses: Record<string, number>;
  /** Requests that got no response (connection errors, timeouts). */
  errors: number;
  /** Time under load, over all rounds (first request to last response of each). */
  seconds: number;
  /** Counted responses (product: 202s; bare: all) per second under load. */
  perSecond: number;
  /** Time to response of the counted responses, ms. */
  latencyMs: { p50: number; p99: number };
  cpuSeconds: number;
  cpuMicrosPerRequest: number;
}

/** What a server reports (the bare one counts no commands; an older checkout's, under --compare, may lack gc and context switches). */
type Snapshot = Pick<ServerSnapshot, 'cpu' | 'at'> & Partial<Pick<ServerSnapshot, 'commands' | 'gc' | 'contextSwitches'>>;

export interface MeasuredRun {
  load: LoadResult;
  cpuSeconds: number;
  /** Of cpuSeconds, the time spent in the kernel on the server's behalf (sockets, epoll). */
  systemSeconds: number;
  /** The database process's CPU over the same window. */
  databaseCpuSeconds: number;
  windowSeconds: number;
  commands?: CommandCounts;
  /** Main-thread GC pauses during the phase, ms by kind. */
  gcMs?: Record<string, number>;
  /** Times the server was made to give up its CPU to another process during the phase. */
  involuntarySwitches?: number;
}

export interface PhaseTarget {
  handle: ChildHandle<ServerReady>;
  url: string;
}

const cpuSecondsBetween = (before: NodeJS.CpuUsage, after: NodeJS.CpuUsage) =>
  (after.user - before.user + (after.system - before.system)) / 1e6;

/** CPU (and commands) of the server from just before the first request to just after the last response. */
export async function measuredPhase(
  database: ChildHandle<DatabaseReady>,
  target: PhaseTarget,
  phones: BenchPhone[],
  connections: number,
  amount: number,
  rate?: number,
): Promise<MeasuredRun> {
  const [before, databaseBefore] = await Promise.all([target.handle.call<Snapshot>('snapshot'), database.call<NodeJS.CpuUsage>('cpu')]);
  let after: Snapshot | undefined;
  let databaseAfter: NodeJS.CpuUsage | undefined;
  const load = await runLoad({
    baseUrl: target.url,
    phones,
    connections,
    amount,
    rate,
    onAllAnswered: async () => {
      [after, databaseAfter] = await Promise.all([target.handle.call<Snapshot>('snapshot'), database.call<NodeJS.CpuUsage>('cpu')]);
    },
  });
  const end = after!;
  return {
    load,
    cpuSeconds: cpuSecondsBetween(before.cpu, end.cpu),
    systemSeconds: (end.cpu.system - before.cpu.system) / 1e6,
    databaseCpuSeconds: cpuSecondsBetween(databaseBefore, databaseAfter!),
    windowSeconds: (end.at - before.at) / 1000,
    commands: before.commands && end.commands ? commandsBetween(before.commands, end.commands) : undefined,
    gcMs: before.gc && end.gc ? gcBetween(before.gc, end.gc) : undefined,
    involuntarySwitches:
      before.contextSwitches && end.contextSwitches ? end.contextSwitches.involuntary - before.contextSwitches.involuntary : undefined,
  };
}

function gcBetween(before: NonNullable<Snapshot['gc']>, after: NonNullable<Snapshot['gc']>): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([kind, { ms }]) => [kind, Math.round(ms - (before[kind]?.ms ?? 0))]));
}

/** Responses of these statuses (product: 202 only; bare: 200). */
export const counted = (run: MeasuredRun, statuses: string[]) => statuses.reduce((sum, s) => sum + (run.load.statuses[s] ?? 0), 0);

/** CPU µs per counted response of one phase. */
export const cpuMicrosPer = (run: MeasuredRun, statuses: string[]) => (run.cpuSeconds * 1e6) / counted(run, statuses);

/** Totals over the rounds; `statuses`: the ones that count as done (product: 202 only). */
export function phaseReport(runs: MeasuredRun[], statuses: string[]): PhaseReport {
  const all: Record<string, number> = {};
  const latencies: number[] = [];
  for (const run of runs) {
    for (const [status, count] of Object.entries(run.load.statuses)) all[status] = (all[status] ?? 0) + count;
    for (const status of statuses) latencies.push(...(run.load.latencies[status] ?? []));
  }
  const done = statuses.reduce((sum, status) => sum + (all[status] ?? 0), 0);
  const seconds = runs.reduce((sum, run) => sum + run.load.seconds, 0);
  const cpuSeconds = runs.reduce((sum, run) => sum + run.cpuSeconds, 0);
  return {
    requests: runs.reduce((sum, run) => sum + run.load.responses, 0),
    statuses: all,
    errors: runs.reduce((sum, run) => sum + run.load.errors + run.load.timeouts, 0),
    seconds,
    perSecond: done / seconds,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    cpuSeconds,
    cpuMicrosPerRequest: (cpuSeconds * 1e6) / done,
  };
}

export function sumCommands(a: CommandCounts, b: CommandCounts): CommandCounts {
  const add = (x: Record<string, number>, y: Record<string, number>) => {
    const out = { ...x };
    for (const [k, v] of Object.entries(y)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    total: a.total + b.total,
    byName: add(a.byName, b.byName),
    keyLookups: a.keyLookups + b.keyLookups,
    keyPolls: a.keyPolls + b.keyPolls,
    docsReturned: add(a.docsReturned, b.docsReturned),
    updateStatements: add(a.updateStatements, b.updateStatements),
  };
}

/** Several phases of one server taken as one: their requests, CPU, commands and pauses added up. */
export function pooled(runs: MeasuredRun[]): MeasuredRun {
  const add = (x: Record<string, number> = {}, y: Record<string, number> = {}) => {
    const out = { ...x };
    for (const [k, v] of Object.entries(y)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return runs.reduce((a, b) => ({
    load: {
      responses: a.load.responses + b.load.responses,
      statuses: add(a.load.statuses, b.load.statuses),
      errors: a.load.errors + b.load.errors,
      timeouts: a.load.timeouts + b.load.timeouts,
      seconds: a.load.seconds + b.load.seconds,
      latencies: Object.fromEntries(
        [...new Set([...Object.keys(a.load.latencies), ...Object.keys(b.load.latencies)])].map((s) => [
          s,
          [...(a.load.latencies[s] ?? []), ...(b.load.latencies[s] ?? [])],
        ]),
      ),
      endedAt: Math.max(a.load.endedAt, b.load.endedAt),
    },
    cpuSeconds: a.cpuSeconds + b.cpuSeconds,
    systemSeconds: a.systemSeconds + b.systemSeconds,
    databaseCpuSeconds: a.databaseCpuSeconds + b.databaseCpuSeconds,
    windowSeconds: a.windowSeconds + b.windowSeconds,
    commands: a.commands && b.commands ? sumCommands(a.commands, b.commands) : undefined,
    gcMs: a.gcMs && b.gcMs ? add(a.gcMs, b.gcMs) : undefined,
    involuntarySwitches:
      a.involuntarySwitches !== undefined && b.involuntarySwitches !== undefined
        ? a.involuntarySwitches + b.involuntarySwitches
        : undefined,
  }));
}
