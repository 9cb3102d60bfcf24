import type { mongo } from 'mongoose';

type CommandStartedEvent = mongo.CommandStartedEvent;

/** Commands one process sent, by `name collection` (e.g. `update phones`), and the key reads among them. */
export interface CommandCounts {
  total: number;
  byName: Record<string, number>;
  /** `find` on keys by id: a key snapshot read (a cache miss). */
  keyLookups: number;
  /** `find` on keys by `changedAt`: the key cache's poll for changed keys. */
  keyPolls: number;
  /** Documents returned by `find` / `getMore` replies, by collection (what a query cost the client). */
  docsReturned: Record<string, number>;
  /** Update statements sent (a bulkWrite's `update` command carries many), by collection: the database's work. */
  updateStatements: Record<string, number>;
}

/** Collection a command is about (its first field's value, or getMore's `collection`). */
function collectionOf(event: CommandStartedEvent): string {
  const command = event.command as Record<string, unknown>;
  if (event.commandName === 'getMore') return String(command.collection ?? '?');
  const target = command[event.commandName];
  return typeof target === 'string' ? target : '';
}

/**
 * Counts every command the driver sends on this client, through the driver's command
 * monitoring (the client must be created with `monitorCommands: true`, e.g. `monitorCommands=true`
 * in the URI). Server monitoring (hello/heartbeats) is not command monitoring and is not counted.
 */
export class CommandCounter {
  private counts: CommandCounts = { total: 0, byName: {}, keyLookups: 0, keyPolls: 0, docsReturned: {}, updateStatements: {} };
  private readonly collections = new Map<number, string>();

  constructor(client: mongo.MongoClient) {
    client.on('commandStarted', (event) => {
      const collection = collectionOf(event);
      const name = collection ? `${event.commandName} ${collection}` : event.commandName;
      this.counts.total++;
      this.counts.byName[name] = (this.counts.byName[name] ?? 0) + 1;
      if (event.commandName === 'find' && collection === 'keys') {
        const filter = (event.command as { filter?: Record<string, unknown> }).filter ?? {};
        if ('changedAt' in filter) this.counts.keyPolls++;
        else if ('keyId' in filter) this.counts.keyLookups++;
      }
      if (event.commandName === 'update') {
        const statements = ((event.command as { updates?: unknown[] }).updates ?? []).length;
        this.counts.updateStatements[collection] = (this.counts.updateStatements[collection] ?? 0) + statements;
      }
      if (event.commandName === 'find' || event.commandName === 'getMore') this.collections.set(event.requestId, collection);
    });
    client.on('commandSucceeded', (event) => {
      const collection = this.collections.get(event.requestId);
      if (collection === undefined) return;
      this.collections.delete(event.requestId);
      const cursor = (event.reply as { cursor?: { firstBatch?: unknown[]; nextBatch?: unknown[] } }).cursor;
      const returned = (cursor?.firstBatch ?? cursor?.nextBatch ?? []).length;
      this.counts.docsReturned[collection] = (this.counts.docsReturned[collection] ?? 0) + returned;
    });
    client.on('commandFailed', (event) => void this.collections.delete(event.requestId));
  }

  snapshot(): CommandCounts {
    return structuredClone(this.counts);
  }
}

/** What happened between two snapshots. */
export function commandsBetween(before: CommandCounts, after: CommandCounts): CommandCounts {
  const diff = (a: Record<string, number>, b: Record<string, number>) =>
    Object.fromEntries(
      Object.entries(b)
        .map(([k, v]) => [k, v - (a[k] ?? 0)] as const)
        .filter(([, v]) => v !== 0),
    );
  return {
    total: after.total - before.total,
    byName: diff(before.byName, after.byName),
    keyLookups: after.keyLookups - before.keyLookups,
    keyPolls: after.keyPolls - before.keyPolls,
    docsReturned: diff(before.docsReturned, after.docsReturned),
    updateStatements: diff(before.updateStatements, after.updateStatements),
  };
}
