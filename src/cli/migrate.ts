// `abstractgateway migrate --from sqlite:PATH --to postgres:URL`: copies a SQLite data dir into
// PostgreSQL (../store/transfer/), printing progress, and fails unless every source row is found
// in the target at the end. Safe to run again: what is already there is skipped.

import { ConfigError } from '../config/config.js';
import { transferSqliteToPostgres, type Progress } from '../store/transfer/sqlite-to-postgres.js';

const FROM = /^sqlite:(.+)$/;
const TO = /^(postgres(?:ql)?:\/\/.+)$|^postgres:(postgres(?:ql)?:\/\/.+)$/;

/** Returns the process exit code: 0 when verified, 1 when counts differ. */
export async function migrateCommand(from: string | undefined, to: string | undefined, say: (msg: string) => void): Promise<number> {
  const source = FROM.exec(from ?? '')?.[1];
  const target = TO.exec(to ?? '');
  if (!source) throw new ConfigError(`--from must be sqlite:PATH (a data dir or its gateway.sqlite3), got '${from ?? ''}'`);
  if (!target) throw new ConfigError(`--to must be postgres:postgres://user@host:port/database, got '${to ?? ''}'`);
  const url = target[1] ?? target[2];
  say(`migrating ${source} → ${new URL(url).host}${new URL(url).pathname} (stop the SQLite gateway first)`);
  let last = '';
  const progress = (p: Progress) => {
    const line = `${p.table}: ${p.done}/${p.total} (${p.copied} copied, ${p.done - p.copied} already there)`;
    if (line !== last) say((last = line));
  };
  const r = await transferSqliteToPostgres({ from: source, to: url, onProgress: progress });
  for (const table of Object.keys(r.source) as (keyof typeof r.source)[]) {
    say(`${table}: ${r.source[table]} in source, ${r.verified[table]} found in target, ${r.copied[table]} copied now`);
  }
  say(r.ok ? 'verified: every source row is in the target' : 'NOT verified: counts differ (see above)');
  return r.ok ? 0 : 1;
}
