/** Opening the configured database and bringing its schema up to date. */
import { openStore, type Store } from '../store/connect.js';
import { migrateToLatest } from '../store/migrate.js';
import type { DeskConfig } from './config.js';

export async function openMigratedStore(
  config: Pick<DeskConfig, 'databaseUrl'>,
): Promise<{ store: Store; applied: string[] }> {
  // SQLite: WAL checkpoints on a worker thread, not inside a request's commit (store/connect.ts).
  const store = openStore({ url: config.databaseUrl, sqliteCheckpoints: 'background' });
  try {
    const result = await migrateToLatest(store.db, store.engine);
    return { store, applied: (result.results ?? []).map((r) => r.migrationName) };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** The database URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
