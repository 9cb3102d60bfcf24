import dotenv from 'dotenv';
import { type Config, ConfigError, loadConfig } from './config.js';
import { createLogger } from './logger.js';

/**
 * The server's configuration: `.env` (when present) under the environment, parsed once. Invalid or
 * missing configuration ends the process here, with one fatal line listing every problem. Also
 * run by `npm start` before it builds (scripts/start.mjs), so a missing variable is reported at once.
 */
export function configureOrExit(): Config {
  dotenv.config({ quiet: true });
  try {
    return loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    createLogger({ level: 'info' }).fatal({ problems: error.problems }, error.message);
    process.exit(1);
  }
}
