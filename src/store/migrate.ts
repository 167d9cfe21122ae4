/** One set of migrations, run on start and by `refund-desk migrate`, on either engine. */
import { Migrator, sql, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import type { Engine } from './connect.js';
import * as initial from './migrations/0001-initial.js';
import * as auth from './migrations/0002-auth.js';
import * as intake from './migrations/0003-intake.js';
import * as cases from './migrations/0004-cases.js';
import * as timersNotify from './migrations/0005-timers-notify.js';
import * as payouts from './migrations/0006-payouts.js';
import * as payoutBatches from './migrations/0007-payout-batches.js';
import * as evidenceContent from './migrations/0008-evidence-content.js';
import * as incidentsOrder from './migrations/0009-incidents-order.js';
import * as hostTokenUses from './migrations/0010-host-token-uses.js';
import * as staffSignInFailures from './migrations/0011-staff-sign-in-failures.js';
import * as housekeepingIndexes from './migrations/0012-housekeeping-indexes.js';
import type { Database } from './schema.js';

const MIGRATIONS: Readonly<Record<string, Migration>> = {
  '0001-initial': initial,
  '0002-auth': auth,
  '0003-intake': intake,
  '0004-cases': cases,
  '0005-timers-notify': timersNotify,
  '0006-payouts': payouts,
  '0007-payout-batches': payoutBatches,
  '0008-evidence-content': evidenceContent,
  '0009-incidents-order': incidentsOrder,
  '0010-host-token-uses': hostTokenUses,
  '0011-staff-sign-in-failures': staffSignInFailures,
  '0012-housekeeping-indexes': housekeepingIndexes,
};

/**
 * Brings the schema up to date. On PostgreSQL the migration tables live in the connection's
 * current schema: Kysely otherwise looks for its lock table in every schema and, when another
 * schema of the database has one, skips creating its own.
 */
export async function migrateToLatest(
  db: Kysely<Database>,
  engine: Engine = 'sqlite',
): Promise<MigrationResultSet> {
  let migrationTableSchema: string | undefined;
  if (engine === 'postgres') {
    const row = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
    migrationTableSchema = row.rows[0]?.schema;
  }
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve({ ...MIGRATIONS }) },
    ...(migrationTableSchema === undefined ? {} : { migrationTableSchema }),
  });
  const result = await migrator.migrateToLatest();
  if (result.error !== undefined) {
    throw result.error instanceof Error ? result.error : new Error(String(result.error));
  }
  return result;
}
