import dotenv from 'dotenv';
import { buildContext } from '../bootstrap.js';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { isJobName, JOB_NAMES, runJob } from '../jobs/index.js';
import { createLogger } from '../logger.js';

/**
 * `npm run job -- <name>`: runs one scheduled job once against the configured database
 * (through the job's lease, like a scheduled run) and exits.
 * Exit codes: 0 done (or skipped: another instance is running it), 1 failed or bad
 * configuration, 2 usage.
 */
dotenv.config({ quiet: true });

const USAGE = `usage: npm run job -- <name>\n  names: ${JOB_NAMES.join(', ')}`;

async function main(): Promise<number> {
  const name = process.argv[2];
  if (name === '--help' || name === '-h') {
    console.log(USAGE);
    return 0;
  }
  if (!name || !isJobName(name)) {
    console.error(name ? `unknown job "${name}"\n${USAGE}` : USAGE);
    return 2;
  }

  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 1;
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });
  // Without MONGODB_URI: the embedded database of the server running on DATA_DIR, or DATA_DIR's own (it logs which).
  const context = await buildContext(config, { logger, role: 'job' });
  try {
    const result = await runJob(name, context);
    if (result.outcome === 'failed') {
      console.error(`${name} failed: ${result.reason}`);
      return 1;
    }
    if (result.outcome === 'skipped') console.log(`${name} skipped: ${result.reason}`);
    else console.log(`${name} done in ${result.seconds} s: ${JSON.stringify(result.summary ?? {})}`);
    return 0;
  } finally {
    await context.database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`job failed: ${(error as Error)?.message ?? String(error)}`);
    process.exit(1);
  },
);
