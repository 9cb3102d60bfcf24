/**
 * `npm run bench`: the performance benchmark (see bench/README.md). Starts what it needs on
 * loopback (a database process, the product's server, a bare Express baseline, a fake Slack Web
 * API), measures, prints a table and writes it with the details to bench/results.local.json
 * (untracked), or with `--save` to the committed bench/results.json.
 * Ratios and counts within one run, not absolute times: the machines are shared and noisy.
 *
 * Knobs (environment): BENCH_PHONES (1000), BENCH_CONNECTIONS (= phones), BENCH_RATE (1000 requests/s; 0: closed
 * loop), BENCH_REQUESTS_PER_CONNECTION (2, per measured phase), BENCH_ROUNDS (5), BENCH_PAIRS (4), BENCH_FLEETS
 * (1000,100000), BENCH_PIN (1), BENCH_CPU_PROF=<file>.
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pinBench } from './cpus.js';
import type { DatabaseReady } from './databaseProcess.js';
import { benchIngest, type IngestReport } from './ingest.js';
import { REPO_ROOT, startChild } from './ipc.js';
import { LOG_DIR, logFile } from './setup.js';
import { benchSilentScaling, type SilentScalingReport } from './silentScaling.js';
import { benchSlackAck, type SlackAckReport } from './slackAck.js';
import { formatTable, type Row } from './table.js';

const USAGE = `Usage: npm run bench [-- --save | --out <file>] [--only ingest] [--compare <checkout>]

Runs the performance benchmark (about 4 minutes on 2 cores): a database process, the server,
a bare Express baseline and a fake Slack Web API on loopback. Prints a table of ratios and counts
measured within this run and writes it, with every detail, to a JSON file.

Options:
  --save                write the results to bench/results.json (committed: the README quotes it)
  --out <file>          write them to <file> instead (default: bench/results.local.json, untracked)
  --only ingest         measure the phone webhooks only (parts 1-3), not the Slack acks or the silent-phones job
  --compare <checkout>  A/B: also run the product from another checkout (e.g. a git worktree of an older
                        commit, with its node_modules) on the same database, and measure both in every round
                        with the same requests; implies --only ingest, without the ed25519 fleet
  -h, --help            print this and exit

Environment: BENCH_PHONES (1000), BENCH_CONNECTIONS (= phones), BENCH_RATE (1000 requests/s offered to
each server alike; 0: closed loop, each connection sends as soon as it is answered),
BENCH_REQUESTS_PER_CONNECTION (2 per phase), BENCH_ROUNDS (5), BENCH_PAIRS (4 bare/product phase pairs
per round), BENCH_FLEETS (1000,100000), BENCH_PIN=0 (do not pin processes to CPUs),
BENCH_CPU_PROF=<file> (a CPU profile of the server); MONGODB_URI or MONGOMS_SYSTEM_BINARY for a real
MongoDB. Details: bench/README.md.
`;

let options: { save?: boolean; out?: string; only?: string; compare?: string; help?: boolean };
try {
  ({ values: options } = parseArgs({
    options: {
      save: { type: 'boolean' },
      out: { type: 'string' },
      only: { type: 'string' },
      compare: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }));
  if (options.only !== undefined && options.only !== 'ingest') throw new Error(`--only takes "ingest", not "${options.only}"`);
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n\n${USAGE}`);
  process.exit(2);
}
if (options.help) {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (options.save && options.out) {
  process.stderr.write(`--save and --out are alternatives: choose one.\n\n${USAGE}`);
  process.exit(2);
}
const compare = options.compare === undefined ? undefined : resolve(options.compare);
const ingestOnly = options.only === 'ingest' || compare !== undefined;

const RESULTS_FILE = options.save
  ? join(REPO_ROOT, 'bench', 'results.json')
  : options.out
    ? resolve(options.out)
    : join(REPO_ROOT, 'bench', 'results.local.json');

const setting = (name: string, fallback: number) => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
};

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0).padStart(3)} s`;
const progress = (line: string) => console.log(`[bench ${elapsed()}] ${line}`);

const phones = setting('BENCH_PHONES', 1000);
const settings = {
  phones,
  connections: setting('BENCH_CONNECTIONS', phones),
  requestsPerConnection: setting('BENCH_REQUESTS_PER_CONNECTION', 2),
  // Both servers are offered the same load (README: Performance); BENCH_RATE=0: each connection sends as soon as it is answered.
  rate: process.env.BENCH_RATE === '0' ? undefined : setting('BENCH_RATE', 1000),
  rounds: setting('BENCH_ROUNDS', 5),
  pairs: setting('BENCH_PAIRS', 4),
  fleets: (process.env.BENCH_FLEETS ?? '1000,100000').split(',').map(Number),
  silentDue: 100,
  slackDelayMs: 2000,
  slackRequests: 100,
  slackIntervalMs: 100,
};

/** The commit measured, with a mark when the checkout has changes (for the JSON and --compare's report). */
const commitOf = (root: string): string => {
  try {
    const head = execFileSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', root, 'status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim();
    return dirty ? `${head} (with changes)` : head;
  } catch {
    return 'unknown';
  }
};

const cpuPlan = pinBench();
const loadBefore = loadavg()[0]!;
const database = await startChild<DatabaseReady>('bench/databaseProcess.ts', { logFile: logFile('database'), cpus: cpuPlan.load });
console.log(`database: ${database.ready.kind}${database.ready.note ? ` — ${database.ready.note}` : ''}`);
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, node ${process.version}; load average ${loadBefore.toFixed(2)}; process logs in ${LOG_DIR}`,
);
console.log(`CPUs: ${cpuPlan.note}`);
if (loadBefore >= 1.5)
  console.log('warning: the machine is busy (load average ≥ 1.5): other processes share the CPUs, so rounds will spread more');

let ingest: IngestReport;
let slackAck: SlackAckReport | undefined;
let silent: SilentScalingReport | undefined;
try {
  ingest = await benchIngest({ database, ...settings, cpus: cpuPlan, ed25519: compare === undefined, compare, progress });
  if (!ingestOnly) {
    slackAck = await benchSlackAck({
      databaseUri: database.ready.uri,
      requests: settings.slackRequests,
      intervalMs: settings.slackIntervalMs,
      slackDelayMs: settings.slackDelayMs,
      cpus: cpuPlan.measured,
      progress,
    });
    silent = await benchSilentScaling({ database, sizes: settings.fleets, due: settings.silentDue, progress });
  }
} finally {
  await database.stop();
}
const loadAfter = loadavg()[0]!;

const rows = tableRows(ingest, slackAck, silent, database.ready);
const seconds = Math.round((performance.now() - started) / 1000);
console.log('');
console.log(formatTable(rows));
console.log('');
const count = (met: Row['met']) => rows.filter((r) => r.met === met).length;
console.log(
  `targets: ${count('yes')} met, ${count('no')} not met, ${count('n/a')} not measurable on this database; ${seconds} s in all. Written to ${RESULTS_FILE}`,
);

writeFileSync(
  RESULTS_FILE,
  `${JSON.stringify(
    {
      generatedAt: new Date().toISOString(),
      seconds,
      commit: commitOf(REPO_ROOT),
      compare: compare && { root: compare, commit: commitOf(compare) },
      machine: {
        cpus: cpus().length,
        model: cpus()[0]?.model,
        node: process.version,
        platform: process.platform,
        pinning: cpuPlan.note,
        loadAverage: { before: loadBefore, after: loadAfter },
      },
      database: { kind: database.ready.kind, realMongod: database.ready.realMongod, note: database.ready.note },
      settings,
      table: rows,
      details: { ingest, slackAck, silentPhones: silent },
    },
    null,
    2,
  )}\n`,
);

// ── the table ───────────────────────────────────────────────────────────────

/** Paced: a server that answered well below the offered rate was measured at another load than the other. */
function keptUp(ingest: IngestReport): string {
  if (!ingest.rate) return '';
  const behind = [
    ['phonekeys', ingest.product.perSecond],
    ['bare', ingest.bare.perSecond],
  ].filter(([, perSecond]) => (perSecond as number) < ingest.rate! * 0.9);
  return behind.length === 0
    ? ''
    : `; warning: ${behind.map(([name, perSecond]) => `${name} answered only ${Math.round(perSecond as number)}/s`).join(', ')} of ${ingest.rate}/s offered`;
}

function tableRows(
  ingest: IngestReport,
  ack: SlackAckReport | undefined,
  silent: SilentScalingReport | undefined,
  db: DatabaseReady,
): Row[] {
  const { product, bare, commands, revocation } = ingest;
  const ms = (n: number) => `${Math.round(n)} ms`;
  const fixed = (n: number, digits = 2) => n.toFixed(digits);
  const yes = (ok: boolean) => (ok ? 'yes' : 'no');
  const load = `${ingest.phones} phones, ${ingest.connections} connections, ${ingest.rate ? `${ingest.rate} requests/s offered to each server` : 'closed loop'}`;
  const ratios = ingest.cpuRatioSpread;
  const rows: Row[] = [
    { metric: 'database', value: db.kind, target: '', met: '' },
    {
      metric: `1. ingest CPU ratio (${load})`,
      value: `${fixed(ingest.cpuRatio)}, the median of ${ingest.rounds} rounds of ${ingest.pairs} bare/product phase pairs (${Math.round(product.cpuMicrosPerRequest)} µs per accepted heartbeat / ${Math.round(bare.cpuMicrosPerRequest)} µs per bare request over the run)${keptUp(ingest)}`,
      target: '≤ 1.5',
      met: yes(ingest.cpuRatio <= 1.5),
    },
    {
      metric: '1. its rounds',
      value: `${ingest.perRound.map((r) => fixed(r.cpuRatio)).join(', ')}: ${fixed(ratios.min)}–${fixed(ratios.max)}, all within ±${fixed(ratios.maxDeviationPercent, 1)} % of the median (${ingest.pinning})`,
      target: 'within ±15 %',
      met: yes(ratios.maxDeviationPercent <= 15),
    },
  ];
  if (ingest.ed25519) {
    const ed = ingest.ed25519;
    rows.push({
      metric: '1. ingest CPU, ed25519 keys (v1a)',
      value: `${Math.round(ed.cpuMicrosPerRequest)} µs per accepted heartbeat (ratio ${fixed(ed.cpuRatio)}, median; rounds ${fixed(ed.cpuRatioSpread.min)}–${fixed(ed.cpuRatioSpread.max)}), beside ${Math.round(product.cpuMicrosPerRequest)} µs for hmac keys; ${ed.requests - ed.accepted} of ${ed.requests} not 202`,
      target: 'reported',
      met: '',
    });
  }
  if (ingest.compare) {
    const other = ingest.compare;
    rows.push({
      metric: `A/B: ${other.root}`,
      value: `${Math.round(other.cpuMicrosPerRequest)} µs per accepted heartbeat against ${Math.round(product.cpuMicrosPerRequest)} µs here: ×${fixed(other.toProduct.median, 3)} (median of rounds; ${ingest.perRound.map((r) => fixed(r.compareToProduct!, 3)).join(', ')}); ${other.requests - other.accepted} of ${other.requests} not 202`,
      target: 'reported',
      met: '',
    });
  }
  rows.push(
    {
      metric: '2. throughput ratio',
      value: `${fixed(ingest.throughputRatio)} (${Math.round(product.perSecond)} accepted heartbeats/s / ${Math.round(bare.perSecond)} bare requests/s; the database process spent ${Math.round(ingest.databaseCpuMicrosPerHeartbeat)} µs CPU per heartbeat)`,
      target: 'reported',
      met: '',
    },
    {
      metric: '2. latency p50 / p99',
      value: `heartbeat ${ms(product.latencyMs.p50)} / ${ms(product.latencyMs.p99)}; bare ${ms(bare.latencyMs.p50)} / ${ms(bare.latencyMs.p99)}`,
      target: 'reported',
      met: '',
    },
    {
      metric: '1–2. refused or failed requests',
      value: `phonekeys ${product.requests - product.accepted} of ${product.requests} not 202, ${product.errors} unanswered; bare ${bare.requests - (bare.statuses['200'] ?? 0)} not 200, ${bare.errors} unanswered; ${product.storedEvents} heartbeats stored for ${product.accepted} accepted`,
      target: '0',
      met: yes(product.requests === product.accepted && product.errors === 0 && product.storedEvents === product.accepted),
    },
    {
      metric: '3. database commands per accepted heartbeat',
      value: `${fixed(commands.perAcceptedHeartbeat, 3)} (${commands.total} for ${product.accepted}: ${Object.entries(commands.byName)
        .map(([name, n]) => `${name} ${n}`)
        .join(', ')})`,
      target: '≤ 0.25',
      met: yes(commands.perAcceptedHeartbeat <= 0.25),
    },
    {
      metric: '3. of which the hourly totals (fleet report)',
      value: `${fixed(commands.hourlyTotals.perAcceptedHeartbeat, 3)} (${commands.hourlyTotals.commands} bulkWrites to phone_hours, one per batch; ${fixed(commands.hourlyTotals.statementsPerHeartbeat, 2)} upsert statements per heartbeat, one per phone and hour touched)`,
      target: 'within the ≤ 0.25 above',
      met: yes(commands.perAcceptedHeartbeat <= 0.25),
    },
    {
      metric: '3. key lookups per heartbeat (warm cache)',
      value: `${fixed(commands.keyLookupsPerHeartbeat, 3)} (${commands.keyLookups} lookups; the cache's change polls: ${fixed(commands.keyPollsPerSecond, 1)}/s)`,
      target: '0',
      met: yes(commands.keyLookups === 0),
    },
    {
      metric: '3. revocation on another instance, under load',
      value: `refused from ${ms(revocation.refusedAfterMs)} after revoke (last accepted probe sent at ${ms(revocation.lastAcceptedAfterMs)}; ${revocation.probes} probes${revocation.unavailable ? `, ${revocation.unavailable} answered 503` : ''})`,
      target: '≤ 1000 ms',
      met: yes(revocation.refusedAfterMs <= 1000),
    },
  );
  if (ack) rows.push(...ackRows(ack, ms, yes));
  if (silent) rows.push(...silentRows(silent, ms, fixed, yes));
  return rows;
}

function ackRows(ack: SlackAckReport, ms: (n: number) => string, yes: (ok: boolean) => Row['met']): Row[] {
  return [
    {
      metric: `4. Slack ack, /keys list (Slack API ${ack.slackDelayMs / 1000} s per call)`,
      value: `p50 ${ms(ack.keysList.p50)}, p99 ${ms(ack.keysList.p99)} (${ack.keysList.requests} requests, ${ack.rate} per second; ${ack.keysList.notAcked} not acked)`,
      target: 'p99 ≤ 100 ms',
      met: yes(ack.keysList.p99 <= 100 && ack.keysList.notAcked === 0),
    },
    {
      metric: '4. Slack ack, create-modal submission',
      value: `p50 ${ms(ack.createSubmission.p50)}, p99 ${ms(ack.createSubmission.p99)} (${ack.createSubmission.requests} requests; ${ack.createSubmission.notAcked} not acked)`,
      target: 'p99 ≤ 100 ms',
      met: yes(ack.createSubmission.p99 <= 100 && ack.createSubmission.notAcked === 0),
    },
  ];
}

function silentRows(
  silent: SilentScalingReport,
  ms: (n: number) => string,
  fixed: (n: number, digits?: number) => string,
  yes: (ok: boolean) => Row['met'],
): Row[] {
  const [small, large] = [silent.runs[0]!, silent.runs[silent.runs.length - 1]!];
  const rows: Row[] = [
    {
      metric: `5. silent-phones run, ${small.phones} vs ${large.phones} phones (${small.due} due)`,
      value: `${ms(small.runMs)} vs ${ms(large.runMs)} (×${fixed(silent.runTimeRatio, 1)}); ${small.commands} vs ${large.commands} commands; phone documents returned ${small.phoneDocsReturned} vs ${large.phoneDocsReturned}; alerts posted ${small.posted} vs ${large.posted}`,
      target: 'roughly equal',
      met: silent.database === 'mongod' ? yes(silent.runTimeRatio <= 2) : 'n/a',
    },
  ];
  if (silent.database === 'mongod') {
    rows.push({
      metric: '5. documents examined by the due query',
      value: `${small.dueQueryDocsExamined} vs ${large.dueQueryDocsExamined} (index keys ${small.dueQueryKeysExamined} vs ${large.dueQueryKeysExamined})`,
      target: 'roughly equal',
      met: yes(silent.examinedRatio <= 2),
    });
  } else {
    rows.push({
      metric: '5. documents examined (emulator: no index for ranges)',
      value: `${small.emulatorPhoneDocsScanned} vs ${large.emulatorPhoneDocsScanned} phone documents read by the emulator, which serves only equality on a unique index from an index and reads the whole collection for the due query's range: its run time grows with the fleet whatever the queries; mongod figures need MONGODB_URI or MONGOMS_SYSTEM_BINARY`,
      target: 'roughly equal',
      met: 'n/a',
    });
  }
  return rows;
}
