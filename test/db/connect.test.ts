/**
 * MONGODB_URI as operators write it: a URI that names no database uses `phonekeys` (not the
 * driver's `test`), and the outage tests' proxy works out its target from any URI shape
 * (one host, several, `mongodb+srv://`) or says why it cannot.
 */
import { expect, inject, it } from 'vitest';
import { connectDatabase, databaseNameOf } from '../../src/db/connect.js';
import { createLogger } from '../../src/logger.js';
import { testDatabaseUri, withDatabaseName } from '../support/database.js';
import { directUri, proxyTarget } from '../support/tcpProxy.js';

const logger = createLogger({ level: 'silent' });

it('uses the database phonekeys when MONGODB_URI names none, and the one it names otherwise', async () => {
  const unnamed = withDatabaseName(inject('mongoUri'), '');
  expect(databaseNameOf(unnamed)).toBeUndefined();
  const database = await connectDatabase({ uri: unnamed, logger, dataDir: '/nonexistent' });
  try {
    expect(database.connection.name).toBe('phonekeys');
  } finally {
    await database.close();
  }
  const named = testDatabaseUri('named');
  const other = await connectDatabase({ uri: named, logger, dataDir: '/nonexistent' });
  try {
    expect(other.connection.name).toBe(databaseNameOf(named));
  } finally {
    await other.close();
  }
});

it('reads the database name of every URI shape', () => {
  expect(databaseNameOf('mongodb://h1:27017,h2:27018/app?replicaSet=rs0')).toBe('app');
  expect(databaseNameOf('mongodb+srv://user:p%40ss@cluster0.example.net/fleet?retryWrites=true')).toBe('fleet');
  expect(databaseNameOf('mongodb+srv://cluster0.example.net/?retryWrites=true')).toBeUndefined();
  expect(databaseNameOf('mongodb://localhost')).toBeUndefined();
});

it('points the outage proxy at any URI shape, or says why it cannot', async () => {
  // SRV: TLS on (the record implies it), the host name not checked (the certificate names the member)
  expect(
    directUri('mongodb+srv://u:p@cluster0.example.net/app?retryWrites=true&w=majority', 4000, { tls: true, authSource: 'admin' }),
  ).toBe(
    'mongodb://u:p@127.0.0.1:4000/app?retryWrites=true&w=majority&tls=true&tlsAllowInvalidHostnames=true&authSource=admin&directConnection=true',
  );
  // several hosts: one of them, directly, without the replica set
  expect(directUri('mongodb://h1:1,h2:2/app?replicaSet=rs0&readPreference=secondary', 4000)).toBe(
    'mongodb://127.0.0.1:4000/app?readPreference=secondary&directConnection=true',
  );
  // one host: as it is
  const single = await proxyTarget('mongodb://db.example.net:27100/app');
  expect(single).toMatchObject({ host: 'db.example.net', port: 27100 });

  const unreachable = await proxyTarget('mongodb+srv://cluster0.phonekeys-test.invalid/app');
  expect(unreachable).toMatchObject({ skip: expect.stringContaining('could not find the primary of MONGODB_URI') });
});
