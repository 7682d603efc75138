// Hosted-mode authentication cost (issue 9; target ≤ 0.05 ms per request with 10,000 users):
//  1. bearer token → user: sha256 + one probe of the unique token_hash index (UsersRegistry.authenticate);
//  2. session cookie → principal: sha256 + session row + user row (SessionService.authenticate);
//  3. sign-ins per second (one token check + one session insert each), sequential and 64 at a time.
// In-process on the real SQLite store, so the figures are the auth work each request adds.
// Run: npm run build && node dist/bench/auth.bench.js; copy the printed lines into bench/README.md.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SessionService } from '../src/gateway/sessions.js';
import { UsersRegistry } from '../src/gateway/users.js';
import { newUserToken, userTokenHash } from '../src/model/credentials.js';
import { systemClock } from '../src/model/time.js';
import { openSqliteStore } from '../src/store/sqlite/store.js';

const USERS = 10_000;
const OPS = 50_000;

async function perOp(label: string, n: number, op: (i: number) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < 2_000; i++) await op(i); // warm-up: statement cache, JIT
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await op(i);
  const ms = performance.now() - t0;
  console.log(`${label}: ${((ms / n) * 1000).toFixed(1)} µs/op (${n} ops, ${(n / (ms / 1000)).toFixed(0)}/s)`);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'agw-auth-bench-'));
  const store = openSqliteStore({ dataDir: dir });
  try {
    const registry = new UsersRegistry(store.users, systemClock);
    const sessions = new SessionService(registry, store.users, systemClock, { sessionTtlS: 28_800, rememberSessionTtlS: 2_592_000, maxSessionsPerUser: 20 });
    const tokens: string[] = [];
    await store.users.tx(async (tx) => {
      for (let i = 0; i < USERS; i++) {
        const token = newUserToken();
        tokens.push(token);
        const now = new Date().toISOString();
        await tx.putUser({ tenant_id: 'default', user_id: `u${i}`, email: '', roles: ['user'], scopes: [], enabled: true, runtime_id: `u${i}`, token_hash: userTokenHash(token), created_at: now, updated_at: now });
      }
    });
    console.log(`${USERS} users`);
    const pick = (i: number) => (i * 7919) % USERS;

    await perOp('bearer token → user', OPS, async (i) => {
      if (!(await registry.authenticate(tokens[pick(i)]!))) throw new Error('no user');
    });
    await perOp('unknown bearer token', OPS, async () => registry.authenticate('agw_nobody-has-this-token'));

    const values: string[] = [];
    const t0 = performance.now();
    for (let i = 0; i < 2_000; i++) values.push((await sessions.login(`u${pick(i)}`, tokens[pick(i)]!, false)).value);
    const seq = performance.now() - t0;
    console.log(`sign-ins, sequential: ${(2_000 / (seq / 1000)).toFixed(0)}/s`);
    const t1 = performance.now();
    for (let b = 0; b < 2_000; b += 64) await Promise.all(Array.from({ length: 64 }, (_, k) => sessions.login(`u${pick(b + k)}`, tokens[pick(b + k)]!, true)));
    const conc = performance.now() - t1;
    console.log(`sign-ins, 64 concurrent: ${(2_048 / (conc / 1000)).toFixed(0)}/s`);

    await perOp('session cookie → principal', OPS, async (i) => {
      if (!(await sessions.authenticate(values[i % values.length]))) throw new Error('no session');
    });
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
