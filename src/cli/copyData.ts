import dotenv from 'dotenv';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { connectDatabase, type Database } from '../db/connect.js';
import { createLogger } from '../logger.js';
import { defineModels, ensureIndexes, type Models } from '../models/index.js';

/**
 * `npm run copy-data -- <target MONGODB_URI>`: copies all of phonekeys' data from the configured
 * database (MONGODB_URI, or without it the embedded one in DATA_DIR: a running server's, else the
 * folder's own) into another MongoDB, then builds the indexes there. How a team moves from the
 * embedded default to a real replica set (README: Moving to a MongoDB replica set).
 * It refuses a target that already holds phonekeys data. Exit codes: 0 copied, 1 failed, 2 usage.
 */
dotenv.config({ quiet: true });

const USAGE = 'usage: npm run copy-data -- <target MONGODB_URI>   (copies the configured database into it)';
const BATCH = 1000;

async function main(): Promise<number> {
  const target = process.argv[2];
  if (target === '--help' || target === '-h') {
    console.log(USAGE);
    return 0;
  }
  if (!target || !/^mongodb(\+srv)?:\/\//.test(target) || process.argv.length > 3) {
    console.error(USAGE);
    return 2;
  }
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    return 1;
  }
  const logger = createLogger({ level: config.logLevel });
  let from: Database | undefined;
  let to: Database | undefined;
  try {
    from = await connectDatabase({ uri: config.mongodbUri, logger, dataDir: config.dataDir, role: 'job' });
    to = await connectDatabase({ uri: target, logger, dataDir: config.dataDir });
    const [source, destination] = [defineModels(from.connection), defineModels(to.connection)];
    const occupied = await holdsData(destination);
    if (occupied.length > 0) {
      console.error(`the target already holds phonekeys data (${occupied.join(', ')}): copy into an empty database`);
      return 1;
    }
    if (from.kind.includes('of the running')) {
      console.warn(
        `copying from ${from.kind}: writes made while or after it copies are not copied; stop the server first for an exact copy`,
      );
    }
    for (const name of Object.keys(source) as (keyof Models)[]) {
      const copied = await copyCollection(source[name].collection, destination[name].collection);
      console.log(`${source[name].collection.collectionName}: ${copied} document${copied === 1 ? '' : 's'}`);
    }
    await ensureIndexes(destination, logger);
    console.log(`copied into database "${to.connection.name}"; indexes built. Set MONGODB_URI to it and start the server.`);
    return 0;
  } finally {
    await to?.close();
    await from?.close();
  }
}

/** The collections of the target that already hold documents. */
async function holdsData(models: Models): Promise<string[]> {
  const counts = await Promise.all(
    Object.values(models).map(async (model) => [model.collection.collectionName, await model.collection.estimatedDocumentCount()] as const),
  );
  return counts.filter(([, count]) => count > 0).map(([name]) => name);
}

type RawCollection = Models['Key']['collection'];

async function copyCollection(from: RawCollection, to: RawCollection): Promise<number> {
  let copied = 0;
  let batch: Record<string, unknown>[] = [];
  // Everything, in _id order (a deliberate read of the whole _id index, as the index check sees it).
  for await (const doc of from.find({}, { batchSize: BATCH, hint: { _id: 1 } })) {
    batch.push(doc);
    if (batch.length === BATCH) {
      await to.insertMany(batch);
      copied += batch.length;
      batch = [];
    }
  }
  if (batch.length > 0) await to.insertMany(batch);
  return copied + batch.length;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`copy-data failed: ${(error as Error)?.message ?? String(error)}`);
    process.exit(1);
  },
);
