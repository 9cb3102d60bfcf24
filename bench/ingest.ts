/**
 * Parts 1–3 of the bench: heartbeats from a fleet of phones, each with its own key, against the
 * real product and against a bare Express handler, at the same concurrency, in the same run.
 *
 *  - CPU: each server process reports process.cpuUsage() just before and just after a phase
 *    of the same requests; the database runs in a third process, the load generator (autocannon)
 *    in the bench's own.
 *  - Database commands: the product's server counts every command its driver sends (command
 *    monitoring), by command and collection; key lookups (`find keys` by keyId) apart from the key
 *    cache's polls (`find keys` by changedAt).
 *  - Algorithms: a second fleet of the same size has ed25519 keys (v1a signatures); each round
 *    measures it right after the hmac fleet, so the two CPU figures come from the same run.
 *  - Revocation: under load, the bench (another instance on the same database) revokes a key and
 *    probes the server with it until it is refused.
 */
import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AppContext } from '../src/context.js';
import type { KeyAlgorithm } from '../src/models/index.js';
import { signWebhook } from '../src/webhooks/signing.js';
import { type CommandCounts, commandsBetween } from './commandCounter.js';
import type { DatabaseReady } from './databaseProcess.js';
import { type ChildHandle, startChild } from './ipc.js';
import { type BenchPhone, heartbeatBody, type LoadResult, runLoad, WEBHOOK_PATH } from './load.js';
import type { ServerReady, ServerSnapshot } from './server.js';
import { benchContext, benchDatabaseUri, logFile, productEnv } from './setup.js';
import { percentile } from './stats.js';

export interface IngestBenchOptions {
  /** The run's database process (its CPU is read around each phase too). */
  database: ChildHandle<DatabaseReady>;
  phones: number;
  connections: number;
  /** Requests each connection sends per measured phase (all phases send the same requests). */
  requestsPerConnection: number;
  /** Bare and product phases alternate this many times (the machine is noisy: totals over all of them). */
  rounds: number;
  progress(line: string): void;
}

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

export interface RoundReport {
  cpuRatio: number;
  productCpuMicros: number;
  /** The same for the ed25519 fleet. */
  ed25519CpuRatio: number;
  ed25519CpuMicros: number;
  bareCpuMicros: number;
  productSeconds: number;
  bareSeconds: number;
  databaseCpuMicros: number;
}

export interface IngestReport {
  phones: number;
  connections: number;
  rounds: number;
  requestsPerPhase: number;
  product: PhaseReport & { accepted: number; storedEvents: number };
  bare: PhaseReport;
  /** (product CPU per accepted heartbeat) / (bare CPU per request). */
  cpuRatio: number;
  /** The ed25519 fleet's phases (v1a signatures), and its CPU per accepted heartbeat / bare CPU per request. */
  ed25519: PhaseReport & { accepted: number; cpuRatio: number };
  /** Each round alone, to show the noise. */
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

export async function benchIngest(options: IngestBenchOptions): Promise<IngestReport> {
  const { progress } = options;
  const mongodbUri = benchDatabaseUri(options.database.ready.uri, 'ingest');
  // Nothing here calls Slack; a closed loopback port makes sure nothing could.
  const env = productEnv(mongodbUri, 'http://127.0.0.1:9/api/');
  const bench = await benchContext(env);
  let server: ChildHandle<ServerReady> | undefined;
  let bare: ChildHandle<ServerReady> | undefined;
  try {
    progress(`creating ${options.phones} hmac keys and ${options.phones} ed25519 keys`);
    const phones = await createPhones(bench, options.phones, 'hmac');
    const edPhones = await createPhones(bench, options.phones, 'ed25519');

    [server, bare] = await Promise.all([
      startChild<ServerReady>('bench/server.ts', { env, logFile: logFile('server') }),
      startChild<ServerReady>('bench/bareServer.ts', { env: { NODE_ENV: 'production' }, logFile: logFile('bare-server') }),
    ]);
    const product = { handle: server, url: `http://127.0.0.1:${server.ready.port}` };
    const baseline = { handle: bare, url: `http://127.0.0.1:${bare.ready.port}` };

    progress(`registering ${phones.length + edPhones.length} phones (phone.registered)`);
    await registerPhones(product.url, [...phones, ...edPhones]);

    // Every phase sends the same number of requests, all of them answered inside its window.
    const amount = options.requestsPerConnection * options.connections;
    // One unmeasured phase each first: the key cache fills, and both processes' code gets hot
    // (a cold Express process spends a third more CPU per request on its first few thousand).
    progress(`warming up: ${amount} requests to each`);
    await runLoad({ baseUrl: product.url, phones, connections: options.connections, amount });
    await runLoad({ baseUrl: product.url, phones: edPhones, connections: options.connections, amount });
    await runLoad({ baseUrl: baseline.url, phones, connections: options.connections, amount });

    const bareRuns: MeasuredRun[] = [];
    const productRuns: MeasuredRun[] = [];
    const edRuns: MeasuredRun[] = [];
    // The hmac fleet's heartbeats only (the ed25519 fleet's keys are counted in its own report).
    const hmacKeyIds = phones.map((phone) => phone.key.slice(3, 11));
    const storedHeartbeats = () => bench.models.PhoneEvent.countDocuments({ type: 'phone.heartbeat', keyId: { $in: hmacKeyIds } });
    const eventsBefore = await storedHeartbeats();
    for (let round = 1; round <= options.rounds; round++) {
      progress(`round ${round}/${options.rounds}: ${amount} requests at ${options.connections} connections, bare Express then phonekeys`);
      bareRuns.push(await measuredPhase(options.database, baseline.handle, baseline.url, phones, options.connections, amount));
      // BENCH_CPU_PROF=<file>: a CPU profile of the server over its last phase (it slows the server: for hot spots, not figures).
      const profile = round === options.rounds ? process.env.BENCH_CPU_PROF : undefined;
      if (profile) await server.call('profileStart');
      productRuns.push(await measuredPhase(options.database, product.handle, product.url, phones, options.connections, amount));
      if (profile) progress(`CPU profile: ${await server.call('profileStop', profile)}`);
      edRuns.push(await measuredPhase(options.database, product.handle, product.url, edPhones, options.connections, amount));
    }
    const eventsAfter = await storedHeartbeats();
    const edPhase = phaseReport(edRuns, ['202']);

    progress('revocation under load');
    const revocation = await revokeUnderLoad(bench, product.url, phones, options.connections);

    const productPhase = phaseReport(productRuns, ['202']);
    const accepted = productPhase.statuses['202'] ?? 0;
    const barePhase = phaseReport(bareRuns, ['200']);
    const commands = productRuns.map((run) => run.commands!).reduce(sumCommands);
    const productWindow = productRuns.reduce((sum, run) => sum + run.windowSeconds, 0);
    const databaseCpu = productRuns.reduce((sum, run) => sum + run.databaseCpuSeconds, 0);
    return {
      phones: phones.length,
      connections: options.connections,
      rounds: options.rounds,
      requestsPerPhase: amount,
      product: { ...productPhase, accepted, storedEvents: eventsAfter - eventsBefore },
      bare: barePhase,
      cpuRatio: productPhase.cpuMicrosPerRequest / barePhase.cpuMicrosPerRequest,
      ed25519: {
        ...edPhase,
        accepted: edPhase.statuses['202'] ?? 0,
        cpuRatio: edPhase.cpuMicrosPerRequest / barePhase.cpuMicrosPerRequest,
      },
      perRound: productRuns.map((run, i) => roundReport(run, bareRuns[i]!, edRuns[i]!)),
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
    await Promise.all([server?.stop(), bare?.stop()]);
    await bench.database.close();
  }
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

function post(baseUrl: string, phone: BenchPhone, body: string, agent?: http.Agent): Promise<{ status: number; text: string }> {
  const headers = signWebhook({ key: phone.key, body });
  return new Promise((resolve, reject) => {
    const request = http.request(`${baseUrl}${WEBHOOK_PATH}`, { method: 'POST', headers, agent }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      response.on('error', reject);
    });
    request.on('error', reject);
    request.end(body);
  });
}

// ── measured phases ───────────────────────────────────────────────────────

/** What a server reports (the bare one counts no commands). */
type Snapshot = Omit<ServerSnapshot, 'commands'> & Partial<Pick<ServerSnapshot, 'commands'>>;

interface MeasuredRun {
  load: LoadResult;
  cpuSeconds: number;
  /** The database process's CPU over the same window. */
  databaseCpuSeconds: number;
  windowSeconds: number;
  commands?: CommandCounts;
}

const cpuSecondsBetween = (before: NodeJS.CpuUsage, after: NodeJS.CpuUsage) =>
  (after.user - before.user + (after.system - before.system)) / 1e6;

/** CPU (and commands) of the server from just before the first request to just after the last response. */
async function measuredPhase(
  database: ChildHandle<DatabaseReady>,
  target: ChildHandle<ServerReady>,
  baseUrl: string,
  phones: BenchPhone[],
  connections: number,
  amount: number,
): Promise<MeasuredRun> {
  const [before, databaseBefore] = await Promise.all([target.call<Snapshot>('snapshot'), database.call<NodeJS.CpuUsage>('cpu')]);
  let after: Snapshot | undefined;
  let databaseAfter: NodeJS.CpuUsage | undefined;
  const load = await runLoad({
    baseUrl,
    phones,
    connections,
    amount,
    onAllAnswered: async () => {
      [after, databaseAfter] = await Promise.all([target.call<Snapshot>('snapshot'), database.call<NodeJS.CpuUsage>('cpu')]);
    },
  });
  const end = after!;
  return {
    load,
    cpuSeconds: cpuSecondsBetween(before.cpu, end.cpu),
    databaseCpuSeconds: cpuSecondsBetween(databaseBefore, databaseAfter!),
    windowSeconds: (end.at - before.at) / 1000,
    commands: before.commands && end.commands ? commandsBetween(before.commands, end.commands) : undefined,
  };
}

/** Totals over the rounds; `counted`: the statuses that count as done (product: 202 only). */
function phaseReport(runs: MeasuredRun[], counted: string[]): PhaseReport {
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  for (const run of runs) {
    for (const [status, count] of Object.entries(run.load.statuses)) statuses[status] = (statuses[status] ?? 0) + count;
    for (const status of counted) latencies.push(...(run.load.latencies[status] ?? []));
  }
  const done = counted.reduce((sum, status) => sum + (statuses[status] ?? 0), 0);
  const seconds = runs.reduce((sum, run) => sum + run.load.seconds, 0);
  const cpuSeconds = runs.reduce((sum, run) => sum + run.cpuSeconds, 0);
  return {
    requests: runs.reduce((sum, run) => sum + run.load.responses, 0),
    statuses,
    errors: runs.reduce((sum, run) => sum + run.load.errors + run.load.timeouts, 0),
    seconds,
    perSecond: done / seconds,
    latencyMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99) },
    cpuSeconds,
    cpuMicrosPerRequest: (cpuSeconds * 1e6) / done,
  };
}

function roundReport(product: MeasuredRun, bare: MeasuredRun, ed25519: MeasuredRun): RoundReport {
  const accepted = product.load.statuses['202'] ?? 0;
  const productCpuMicros = (product.cpuSeconds * 1e6) / accepted;
  const bareCpuMicros = (bare.cpuSeconds * 1e6) / bare.load.responses;
  const ed25519CpuMicros = (ed25519.cpuSeconds * 1e6) / (ed25519.load.statuses['202'] ?? 0);
  return {
    cpuRatio: Math.round((productCpuMicros / bareCpuMicros) * 100) / 100,
    productCpuMicros: Math.round(productCpuMicros),
    ed25519CpuRatio: Math.round((ed25519CpuMicros / bareCpuMicros) * 100) / 100,
    ed25519CpuMicros: Math.round(ed25519CpuMicros),
    bareCpuMicros: Math.round(bareCpuMicros),
    productSeconds: Math.round(product.load.seconds * 10) / 10,
    bareSeconds: Math.round(bare.load.seconds * 10) / 10,
    databaseCpuMicros: Math.round((product.databaseCpuSeconds * 1e6) / accepted),
  };
}

function sumCommands(a: CommandCounts, b: CommandCounts): CommandCounts {
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

// ── revocation ────────────────────────────────────────────────────────────

export interface RevocationReport {
  /** From `revoke` returning to the first probe sent after which every probe was refused (401). */
  refusedAfterMs: number;
  /** The last probe accepted (202) was sent this long after `revoke` returned (negative: none after). */
  lastAcceptedAfterMs: number;
  probes: number;
  underLoad: true;
}

/**
 * While the fleet keeps posting, the bench revokes one phone's key through its own KeyService, as
 * `/keys delete` on another instance would (this server learns of it only from the database),
 * and sends that phone's heartbeats every 25 ms without waiting for answers. Times are by when a
 * probe was sent, not answered: requests are slow under this load, and what counts is which
 * requests are still let through.
 */
async function revokeUnderLoad(bench: AppContext, baseUrl: string, phones: BenchPhone[], connections: number): Promise<RevocationReport> {
  const victim = phones[0]!;
  const others = phones.slice(1);
  const load = runLoad({ baseUrl, phones: others, connections: Math.min(connections, others.length), seconds: 5 });
  await sleep(1000);
  const before = await post(baseUrl, victim, heartbeatBody(victim));
  if (before.status !== 202) throw new Error(`the phone to revoke was refused before revocation: ${before.status} ${before.text}`);
  const publicId = /^(pk_[a-z2-7]{8})_/.exec(victim.key)![1]!;
  await bench.domain.keys.revoke(publicId, 'UBENCH');
  const revokedAt = performance.now();
  const agent = new http.Agent({ keepAlive: true });
  const probes: Promise<{ sentAfterMs: number; status: number }>[] = [];
  while (performance.now() - revokedAt < 2500) {
    const sentAfterMs = performance.now() - revokedAt;
    probes.push(post(baseUrl, victim, heartbeatBody(victim), agent).then(({ status }) => ({ sentAfterMs, status })));
    await sleep(25);
  }
  const answered = await Promise.all(probes);
  agent.destroy();
  await load;
  const unexpected = answered.find((p) => p.status !== 202 && p.status !== 401);
  if (unexpected) throw new Error(`a revocation probe was answered ${unexpected.status}`);
  const lastAccepted = Math.max(-1, ...answered.filter((p) => p.status === 202).map((p) => p.sentAfterMs));
  const firstRefused = answered.find((p) => p.status === 401 && p.sentAfterMs > lastAccepted);
  return {
    refusedAfterMs: Math.round(firstRefused?.sentAfterMs ?? Number.POSITIVE_INFINITY),
    lastAcceptedAfterMs: Math.round(lastAccepted),
    probes: answered.length,
    underLoad: true,
  };
}
