/**
 * Parts 1–3 of the bench: heartbeats from a fleet of phones, each with its own key, against the
 * real product and against a bare Express handler, offered the same load, in the same run.
 *
 *  - Load: by default both servers are offered 1,000 requests/s, spread over each second
 *    (bench/load.ts), because a server's CPU per request depends on the load it runs at (at
 *    saturation it answers many requests per wakeup): closed loop would compare the product at
 *    its database's pace with bare Express at the load generator's. BENCH_RATE=0: closed loop.
 *  - CPU: each server process reports process.cpuUsage() just before and just after a phase
 *    of the same requests. The servers run on a CPU of their own (bench/cpus.ts); the database
 *    and the load generator (autocannon, in the bench's process) on the others.
 *  - Rounds: each round is `pairs` short bare/product phase pairs, B P B P …, and its ratio is
 *    the product's CPU per accepted heartbeat over the round ÷ the bare CPU per request over the
 *    round: one phase's CPU per request moves by up to ±15 % from the next on its own (how the
 *    arrivals of its seconds fall), pooling a few averages that out, and alternating keeps a
 *    machine that gets busier or quieter moving both sides alike. The figure is the median of
 *    the rounds, with their min–max.
 *  - Database commands: the product's server counts every command its driver sends (command
 *    monitoring), by command and collection; key lookups (`find keys` by keyId) apart from the key
 *    cache's polls (`find keys` by changedAt).
 *  - Algorithms: a second fleet of the same size has ed25519 keys (v1a signatures); each round
 *    ends with one phase of it, so the two CPU figures come from the same run.
 *  - A/B (`--compare <checkout>`): another version of the product, on the same database, measured
 *    beside this one in every pair (the order alternating), with the same requests.
 *  - Revocation: under load, the bench (another instance on the same database) revokes a key and
 *    probes the server with it until it is refused.
 */
import http from 'node:http';
import type { AppContext } from '../src/context.js';
import type { KeyAlgorithm } from '../src/models/index.js';
import type { CommandCounts } from './commandCounter.js';
import type { CpuPlan } from './cpus.js';
import type { DatabaseReady } from './databaseProcess.js';
import { type ChildHandle, REPO_ROOT, startChild } from './ipc.js';
import { type BenchPhone, runLoad } from './load.js';
import {
  counted,
  cpuMicrosPer,
  type MeasuredRun,
  measuredPhase,
  type PhaseReport,
  type PhaseTarget,
  phaseReport,
  pooled,
  sumCommands,
} from './phases.js';
import { post, type RevocationReport, revokeUnderLoad } from './revocation.js';
import type { ServerReady } from './server.js';
import { benchContext, benchDatabaseUri, logFile, productEnv, webNodeFlags } from './setup.js';
import { type Spread, spread } from './stats.js';

export type { PhaseReport } from './phases.js';

export interface IngestBenchOptions {
  /** The run's database process (its CPU is read around each phase too). */
  database: ChildHandle<DatabaseReady>;
  phones: number;
  connections: number;
  /** Requests each connection sends per measured phase (all phases send the same requests). */
  requestsPerConnection: number;
  /** Requests per second of every measured phase, product and bare alike (BENCH_RATE); unset: closed loop. */
  rate?: number;
  /** Rounds of `pairs` bare and product phases each. */
  rounds: number;
  /** Bare/product phase pairs per round (BENCH_PAIRS): a round's ratio pools them. */
  pairs: number;
  /** Which CPUs the servers run on. */
  cpus: CpuPlan;
  /** Measure the ed25519 fleet too (each round, after the hmac one). */
  ed25519: boolean;
  /** Another checkout of the product, measured beside this one each round (`--compare`). */
  compare?: string;
  progress(line: string): void;
}

export interface RoundReport {
  /** Product CPU per accepted heartbeat ÷ the mean bare CPU per request of the phases around it. */
  cpuRatio: number;
  productCpuMicros: number;
  /** Mean of the bare phases before and after. */
  bareCpuMicros: number;
  productSeconds: number;
  /** Of productCpuMicros and bareCpuMicros, the kernel's share (system time), µs per request. */
  productSystemMicros: number;
  bareSystemMicros: number;
  databaseCpuMicros: number;
  /** The product's main-thread GC pauses per accepted heartbeat, µs. */
  productGcMicros?: number;
  /** Times the product's server was preempted by another process, per phase (bare: the mean of its two). */
  productInvoluntarySwitches?: number;
  bareInvoluntarySwitches?: number;
  /** The ed25519 fleet's phase (when measured). */
  ed25519CpuRatio?: number;
  ed25519CpuMicros?: number;
  /** The `--compare` checkout's phase, and its CPU per heartbeat ÷ this checkout's in the same round. */
  compareCpuMicros?: number;
  compareToProduct?: number;
  compareGcMicros?: number;
}

export interface IngestReport {
  phones: number;
  connections: number;
  /** BENCH_RATE: requests per second of each measured phase (undefined: closed loop). */
  rate?: number;
  rounds: number;
  /** Bare/product phase pairs per round. */
  pairs: number;
  requestsPerPhase: number;
  /** Where the processes ran (bench/cpus.ts). */
  pinning: string;
  product: PhaseReport & { accepted: number; storedEvents: number };
  /** Every bare phase (rounds + 1). */
  bare: PhaseReport;
  /** The median of the rounds' ratios: the figure. */
  cpuRatio: number;
  /** The rounds' ratios: median, min–max, farthest from the median in %. */
  cpuRatioSpread: Spread;
  /** All product CPU ÷ all accepted, over all bare CPU ÷ all bare requests (for comparison with older runs). */
  cpuRatioOfTotals: number;
  /** The ed25519 fleet's phases (v1a signatures): its CPU per accepted heartbeat ÷ bare, median of rounds. */
  ed25519?: PhaseReport & { accepted: number; cpuRatio: number; cpuRatioSpread: Spread };
  /** `--compare`: the other checkout, its CPU per accepted heartbeat, and (its ÷ this one's) per round. */
  compare?: PhaseReport & { root: string; accepted: number; cpuRatio: number; toProduct: Spread };
  perRound: RoundReport[];
  /** accepted heartbeats per second / bare requests per second. */
  throughputRatio: number;
  /** The database process's CPU per accepted heartbeat (the emulator's cost, not the product's). */
  databaseCpuMicrosPerHeartbeat: number;
  commands: CommandCounts & {
    perAcceptedHeartbeat: number;
    keyLookupsPerHeartbeat: number;
    keyPollsPerSecond: number;
    /** The fleet report's hourly totals: their bulkWrites per accepted heartbeat (part of perAcceptedHeartbeat), and their update statements. */
    hourlyTotals: { commands: number; perAcceptedHeartbeat: number; statementsPerHeartbeat: number };
  };
  revocation: RevocationReport;
}

const ACCEPTED = ['202'];
const OK = ['200'];
const round2 = (n: number) => Math.round(n * 100) / 100;

export async function benchIngest(options: IngestBenchOptions): Promise<IngestReport> {
  const { progress, connections } = options;
  const mongodbUri = benchDatabaseUri(options.database.ready.uri, 'ingest');
  // Nothing here calls Slack; a closed loopback port makes sure nothing could.
  const env = productEnv(mongodbUri, 'http://127.0.0.1:9/api/');
  const bench = await benchContext(env);
  const servers: ChildHandle<ServerReady>[] = [];
  // Both servers get the Node flags production gives the web process (the Procfile's): the same runtime on both sides.
  const start = async (name: string, script: string, childEnv: Record<string, string>, root = REPO_ROOT): Promise<PhaseTarget> => {
    const nodeFlags = webNodeFlags(root);
    const handle = await startChild<ServerReady>(script, {
      env: childEnv,
      logFile: logFile(name),
      cpus: options.cpus.measured,
      root,
      nodeFlags,
    });
    servers.push(handle);
    return { handle, url: `http://127.0.0.1:${handle.ready.port}` };
  };
  try {
    progress(`creating ${options.phones} hmac keys${options.ed25519 ? ` and ${options.phones} ed25519 keys` : ''}`);
    const phones = await createPhones(bench, options.phones, 'hmac');
    const edPhones = options.ed25519 ? await createPhones(bench, options.phones, 'ed25519') : [];

    const product = await start('server', 'bench/server.ts', env);
    const baseline = await start('bare-server', 'bench/bareServer.ts', { NODE_ENV: 'production' });
    // The other version runs as a second instance on the same database: same keys, same phones.
    const other = options.compare ? await start('compare-server', 'bench/server.ts', env, options.compare) : undefined;

    progress(`registering ${phones.length + edPhones.length} phones (phone.registered)${other ? ', through each version' : ''}`);
    await registerPhones(product.url, [...phones, ...edPhones]);
    // The same work done by both versions before the phases, so neither is measured with the other's history
    // (the second registration re-links each number to the key it is already linked to).
    if (other) await registerPhones(other.url, phones);

    // Every phase sends the same number of requests, all of them answered inside its window.
    const amount = options.requestsPerConnection * connections;
    // One unmeasured phase each first: the key cache fills, and both processes' code gets hot
    // (a cold Express process spends a third more CPU per request on its first few thousand).
    const warmUp = amount * options.pairs;
    progress(`warming up: ${warmUp} requests to each`);
    for (const [target, fleet] of [
      [product, phones],
      [product, edPhones],
      [other, phones],
      [baseline, phones],
    ] as const) {
      // At the measured phases' pace: the code paths a paced load takes get hot, not only the closed loop's.
      if (target && fleet.length > 0)
        await runLoad({ baseUrl: target.url, phones: fleet, connections, amount: warmUp, rate: options.rate });
    }

    const phase = (target: PhaseTarget, fleet: BenchPhone[]) =>
      measuredPhase(options.database, target, fleet, connections, amount, options.rate);
    // The hmac fleet's heartbeats only (the ed25519 fleet's keys are counted in its own report).
    const hmacKeyIds = phones.map((phone) => phone.key.slice(3, 11));
    const storedHeartbeats = () => bench.models.PhoneEvent.countDocuments({ type: 'phone.heartbeat', keyId: { $in: hmacKeyIds } });
    const eventsBefore = await storedHeartbeats();
    const bareRuns: MeasuredRun[][] = [];
    const productRuns: MeasuredRun[][] = [];
    const edRuns: MeasuredRun[] = [];
    const compareRuns: MeasuredRun[][] = [];
    for (let round = 1; round <= options.rounds; round++) {
      const others = [other ? 'the other checkout' : '', options.ed25519 ? 'ed25519 keys' : ''].filter(Boolean);
      progress(
        `round ${round}/${options.rounds}: ${options.pairs} × (bare Express, phonekeys${other ? ', the other checkout' : ''})${others.includes('ed25519 keys') ? ', then ed25519 keys' : ''}`,
      );
      const bareOfRound: MeasuredRun[] = [];
      const productOfRound: MeasuredRun[] = [];
      const compareOfRound: MeasuredRun[] = [];
      for (let pair = 1; pair <= options.pairs; pair++) {
        // BENCH_CPU_PROF=<file>: a CPU profile of the server over its very last hmac phase (it slows the server: for hot spots, not figures).
        const last = round === options.rounds && pair === options.pairs;
        const profile = last ? process.env.BENCH_CPU_PROF : undefined;
        // BENCH_HEAP_PROF=<file>: the allocations of that phase, sampled (a .heapprofile for Chrome's DevTools).
        const heapProfile = last ? process.env.BENCH_HEAP_PROF : undefined;
        bareOfRound.push(await phase(baseline, phones));
        // With --compare, which version goes first alternates, so neither always follows the bare phase.
        if (other && pair % 2 === 0) compareOfRound.push(await phase(other, phones));
        if (profile) await product.handle.call('profileStart');
        if (heapProfile) await product.handle.call('heapProfileStart');
        productOfRound.push(await phase(product, phones));
        if (profile) progress(`CPU profile: ${await product.handle.call('profileStop', profile)}`);
        if (heapProfile) progress(`heap profile: ${await product.handle.call('heapProfileStop', heapProfile)}`);
        if (other && pair % 2 === 1) compareOfRound.push(await phase(other, phones));
      }
      if (options.ed25519) edRuns.push(await phase(product, edPhones));
      bareRuns.push(bareOfRound);
      productRuns.push(productOfRound);
      compareRuns.push(compareOfRound);
    }
    const eventsAfter = await storedHeartbeats();

    progress('revocation under load');
    const revocation = await revokeUnderLoad(bench, product.url, phones, connections);

    // A round's figures pool its phases: per-phase noise (how a second's arrivals happen to fall) averages out.
    const perRound = productRuns.map((runs, i) =>
      roundReport(pooled(runs), pooled(bareRuns[i]!), edRuns[i], other ? pooled(compareRuns[i]!) : undefined),
    );
    const allProduct = productRuns.flat();
    const productPhase = phaseReport(allProduct, ACCEPTED);
    const accepted = productPhase.statuses['202'] ?? 0;
    const barePhase = phaseReport(bareRuns.flat(), OK);
    const commands = allProduct.map((run) => run.commands!).reduce(sumCommands);
    const productWindow = allProduct.reduce((sum, run) => sum + run.windowSeconds, 0);
    const databaseCpu = allProduct.reduce((sum, run) => sum + run.databaseCpuSeconds, 0);
    const ratios = spread(perRound.map((r) => r.cpuRatio));
    const comparePhase = other ? phaseReport(compareRuns.flat(), ACCEPTED) : undefined;
    const edPhase = options.ed25519 ? phaseReport(edRuns, ACCEPTED) : undefined;
    return {
      phones: phones.length,
      connections,
      rate: options.rate,
      rounds: options.rounds,
      pairs: options.pairs,
      requestsPerPhase: amount,
      pinning: options.cpus.note,
      // Stored: by this checkout and, with --compare, the other one (same keys, same database).
      product: { ...productPhase, accepted, storedEvents: eventsAfter - eventsBefore - (comparePhase?.statuses['202'] ?? 0) },
      bare: barePhase,
      cpuRatio: ratios.median,
      cpuRatioSpread: ratios,
      cpuRatioOfTotals: productPhase.cpuMicrosPerRequest / barePhase.cpuMicrosPerRequest,
      ed25519: edPhase && {
        ...edPhase,
        accepted: edPhase.statuses['202'] ?? 0,
        cpuRatio: spread(perRound.map((r) => r.ed25519CpuRatio!)).median,
        cpuRatioSpread: spread(perRound.map((r) => r.ed25519CpuRatio!)),
      },
      compare: comparePhase && {
        ...comparePhase,
        root: options.compare!,
        accepted: comparePhase.statuses['202'] ?? 0,
        cpuRatio: comparePhase.cpuMicrosPerRequest / barePhase.cpuMicrosPerRequest,
        toProduct: spread(perRound.map((r) => r.compareToProduct!)),
      },
      perRound,
      throughputRatio: productPhase.perSecond / barePhase.perSecond,
      databaseCpuMicrosPerHeartbeat: (databaseCpu * 1e6) / accepted,
      commands: {
        ...commands,
        perAcceptedHeartbeat: commands.total / accepted,
        keyLookupsPerHeartbeat: commands.keyLookups / accepted,
        keyPollsPerSecond: commands.keyPolls / productWindow,
        hourlyTotals: {
          commands: commands.byName['update phone_hours'] ?? 0,
          perAcceptedHeartbeat: (commands.byName['update phone_hours'] ?? 0) / accepted,
          statementsPerHeartbeat: (commands.updateStatements.phone_hours ?? 0) / accepted,
        },
      },
      revocation,
    };
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await bench.database.close();
  }
}

function roundReport(product: MeasuredRun, bare: MeasuredRun, ed25519?: MeasuredRun, compare?: MeasuredRun): RoundReport {
  const productCpuMicros = cpuMicrosPer(product, ACCEPTED);
  const bareCpuMicros = cpuMicrosPer(bare, OK);
  const report: RoundReport = {
    cpuRatio: round2(productCpuMicros / bareCpuMicros),
    productCpuMicros: Math.round(productCpuMicros),
    bareCpuMicros: Math.round(bareCpuMicros),
    productSeconds: Math.round(product.load.seconds * 10) / 10,
    productSystemMicros: Math.round((product.systemSeconds * 1e6) / counted(product, ACCEPTED)),
    bareSystemMicros: Math.round((bare.systemSeconds * 1e6) / counted(bare, OK)),
    databaseCpuMicros: Math.round((product.databaseCpuSeconds * 1e6) / (product.load.statuses['202'] ?? 0)),
  };
  report.productGcMicros = gcMicrosPer(product);
  report.productInvoluntarySwitches = product.involuntarySwitches;
  report.bareInvoluntarySwitches = bare.involuntarySwitches;
  if (ed25519) {
    report.ed25519CpuMicros = Math.round(cpuMicrosPer(ed25519, ACCEPTED));
    report.ed25519CpuRatio = round2(cpuMicrosPer(ed25519, ACCEPTED) / bareCpuMicros);
  }
  if (compare) {
    report.compareCpuMicros = Math.round(cpuMicrosPer(compare, ACCEPTED));
    report.compareToProduct = Math.round((cpuMicrosPer(compare, ACCEPTED) / productCpuMicros) * 1000) / 1000;
    report.compareGcMicros = gcMicrosPer(compare);
  }
  return report;
}

/** Main-thread GC pauses per accepted heartbeat, µs (undefined for a server that does not report them). */
function gcMicrosPer(run: MeasuredRun): number | undefined {
  if (!run.gcMs) return undefined;
  const ms = Object.values(run.gcMs).reduce((sum, kind) => sum + kind, 0);
  return Math.round((ms * 1000) / (run.load.statuses['202'] ?? 0));
}

// ── setup ─────────────────────────────────────────────────────────────────

/** One key per phone, created as Slack's create modal does (KeyService.create). */
async function createPhones(bench: AppContext, count: number, algorithm: KeyAlgorithm): Promise<BenchPhone[]> {
  const phones: BenchPhone[] = [];
  const [prefix, firstNumber] = algorithm === 'hmac' ? ['bench-phone', 10_000_000] : ['bench-ed-phone', 20_000_000];
  for (let start = 0; start < count; start += 25) {
    const created = await Promise.all(
      Array.from({ length: Math.min(25, count - start) }, (_, j) =>
        bench.domain.keys.create({ name: `${prefix}-${start + j}`, ipLock: { mode: 'off' }, algorithm, actor: 'UBENCH' }),
      ),
    );
    for (const [j, { key }] of created.entries()) phones.push({ key, number: `+23480${String(firstNumber + start + j)}` });
  }
  return phones;
}

/** Every phone logs in (phone.registered), linking its number to its key. */
async function registerPhones(baseUrl: string, phones: BenchPhone[]): Promise<void> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
  try {
    let next = 0;
    const worker = async () => {
      while (next < phones.length) {
        const phone = phones[next++]!;
        const body = JSON.stringify({
          type: 'phone.registered',
          timestamp: new Date().toISOString(),
          data: { phone_numbers: [phone.number], device: { model: 'bench', app_version: '1.0' } },
        });
        const { status } = await post(baseUrl, phone, body, agent);
        if (status !== 202) throw new Error(`registering ${phone.number} answered ${status}`);
      }
    };
    await Promise.all(Array.from({ length: 50 }, worker));
  } finally {
    agent.destroy();
  }
}
