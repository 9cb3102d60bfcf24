import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/**
 * DATA_DIR, where the embedded database (no MONGODB_URI) keeps its data, and who uses it.
 *
 * One process at a time owns the folder: it holds `phonekeys.lock` (its pid, role and, once the
 * database is up, the URI to reach it). A second process finds a live owner and either stops with
 * a clear error (a second server) or connects to the owner's database (`npm run job`, a worker).
 * A lock left by a process that died is taken over.
 */

export type DataDirRole = 'server' | 'worker' | 'job';

export interface DataDirOwner {
  pid: number;
  role: DataDirRole;
  host: string;
  startedAt: string;
  /** How to reach the owner's database, once it is up. */
  uri?: string;
  kind?: string;
}

export class DataDirInUse extends Error {
  override name = 'DataDirInUse';
  constructor(
    readonly dataDir: string,
    readonly owner: DataDirOwner,
  ) {
    const what = owner.role === 'server' ? 'a phonekeys server' : owner.role === 'job' ? '`npm run job`' : 'a phonekeys worker';
    super(
      `DATA_DIR ${dataDir} is in use by ${what} (pid ${owner.pid} on ${owner.host}, since ${owner.startedAt}): ` +
        'stop it first, or give this one another DATA_DIR or a MONGODB_URI. ' +
        `If no such process runs, delete ${lockFile(dataDir)}.`,
    );
  }
}

export const lockFile = (dataDir: string) => join(dataDir, 'phonekeys.lock');

export interface DataDirLock {
  readonly dataDir: string;
  /** Records how to reach the database (for `npm run job`). */
  publish(database: { uri: string; kind: string }): void;
  release(): void;
}

/** Takes DATA_DIR for this process, or throws DataDirInUse naming the live owner. */
export function lockDataDir(dataDir: string, role: DataDirRole): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const file = lockFile(dataDir);
  const me: DataDirOwner = { pid: process.pid, role, host: hostname(), startedAt: new Date().toISOString() };
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, JSON.stringify(me));
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt >= 3) throw error;
      const owner = liveOwner(dataDir);
      if (owner) throw new DataDirInUse(dataDir, owner);
      rmSync(file, { force: true }); // left by a process that died
    }
  }
  let current = me;
  return {
    dataDir,
    publish(database) {
      current = { ...current, ...database };
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(current));
      renameSync(tmp, file);
    },
    release() {
      if (readOwner(file)?.pid === process.pid) rmSync(file, { force: true });
    },
  };
}

/** The process that owns DATA_DIR now, if one is alive. */
export function liveOwner(dataDir: string): DataDirOwner | undefined {
  const owner = readOwner(lockFile(dataDir));
  if (!owner || owner.pid === process.pid) return undefined;
  // Another machine's process cannot be checked (a shared folder): assume it is alive.
  if (owner.host !== hostname()) return owner;
  return isAlive(owner.pid) ? owner : undefined;
}

function readOwner(file: string): DataDirOwner | undefined {
  try {
    const owner = JSON.parse(readFileSync(file, 'utf8')) as DataDirOwner;
    return Number.isInteger(owner.pid) ? owner : undefined;
  } catch {
    return undefined; // missing, or cut short by a crash while being written
  }
}

/** A live process with that pid, and (where /proc tells) a Node process: a pid reused by something else is not an owner. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return /node|tsx/.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    return true;
  }
}

// ── the remembered failure of the mongod download ─────────────────────────────

const DOWNLOAD_MEMO = 'mongod-download-failed.json';
/** A failed download is not tried again for this long (delete the file to try at once). */
export const DOWNLOAD_RETRY_AFTER_MS = 24 * 60 * 60_000;

export interface DownloadFailure {
  at: string;
  reason: string;
  file: string;
}

/** The last failed mongod download, while it is recent enough to skip another attempt. */
export function recentDownloadFailure(dataDir: string, now = new Date()): DownloadFailure | undefined {
  const file = join(dataDir, DOWNLOAD_MEMO);
  if (!existsSync(file)) return undefined;
  try {
    const memo = JSON.parse(readFileSync(file, 'utf8')) as { at: string; reason: string };
    if (now.getTime() - new Date(memo.at).getTime() < DOWNLOAD_RETRY_AFTER_MS) return { ...memo, file };
  } catch {
    // unreadable: try again
  }
  return undefined;
}

export function rememberDownloadFailure(dataDir: string, reason: string, now = new Date()): void {
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, DOWNLOAD_MEMO), JSON.stringify({ at: now.toISOString(), reason }));
}

export function forgetDownloadFailure(dataDir: string): void {
  rmSync(join(dataDir, DOWNLOAD_MEMO), { force: true });
}
