/**
 * `npm start`: the server, compiled only when its sources changed.
 *
 * dist/ records a hash of what it was built from (src/, tsconfig.json, package.json,
 * package-lock.json). When it matches, the compiled server runs at once (it checks the
 * configuration first thing). Otherwise the configuration is checked first, from the sources
 * (through tsx), so a missing variable is reported in a second rather than after a build; then
 * `tsc` builds (incrementally: only what changed is checked again) and the server runs.
 * `--build` (npm run build) only builds, always, and records the hash.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const main = join(root, 'dist', 'src', 'main.js');
const stampFile = join(root, 'dist', '.source-hash');

/** A hash of every file the build reads from the repository. */
function sourceHash() {
  const hash = createHash('sha256');
  const files = ['tsconfig.json', 'package.json', 'package-lock.json'].map((f) => join(root, f));
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|json)$/.test(entry.name)) files.push(path);
    }
  };
  walk(join(root, 'src'));
  for (const file of files.sort()) {
    hash.update(relative(root, file)).update('\0');
    if (existsSync(file)) hash.update(readFileSync(file));
    hash.update('\0');
  }
  return hash.digest('hex');
}

/** tsc -p tsconfig.json (incremental), then the hash of what it built from; exits on failure. */
function build(hash) {
  let tsc;
  try {
    tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    console.error(
      'npm start: dist/ is missing or older than src/, and TypeScript is not installed to build it: run `npm ci`, or `npm run build` where it is.',
    );
    process.exit(1);
  }
  const compiled = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.json')], { stdio: 'inherit' });
  if (compiled.status !== 0) process.exit(compiled.status ?? 1);
  writeFileSync(stampFile, hash);
}

const current = sourceHash();
if (process.argv.includes('--build')) {
  build(current);
  process.exit(0);
}
if (!(existsSync(main) && existsSync(stampFile) && readFileSync(stampFile, 'utf8') === current)) {
  const { tsImport } = await import('tsx/esm/api');
  const { configureOrExit } = await tsImport('../src/configure.ts', import.meta.url);
  configureOrExit(); // exits 1 with the problems listed, before any build
  build(current);
}

await import(pathToFileURL(main).href);
