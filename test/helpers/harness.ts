// A real runtime on a temp data dir: SQLite store, bundle registry with the compiler,
// embedded runner. Flows written in tests are registered as on-disk bundles.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileFlow } from '../../src/flow/compiler.js';
import { BundleRegistry } from '../../src/bundles/registry.js';
import type { VisualFlow } from '../../src/flow/types.js';
import { Runtime, type RuntimeOptions } from '../../src/runtime/runtime.js';
import type { RunState, StepRecord } from '../../src/model/run.js';
import type { Clock } from '../../src/model/time.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/store.js';
import { workflowIds, writeBundleDir } from './bundles.js';

export const FIXTURES = new URL('../../../test/fixtures/bundles/', import.meta.url).pathname;

export interface Harness {
  dir: string;
  store: SqliteStore;
  registry: BundleRegistry;
  runtime: Runtime;
  /** Register flows as bundle `bundleId@0.0.0`; returns flow id → workflow id. */
  addFlows(bundleId: string, flows: VisualFlow[]): Promise<Record<string, string>>;
  addFixture(file: string): Promise<void>;
  start(workflowId: string, input?: Record<string, unknown>, sessionId?: string): Promise<string>;
  waitFor(runId: string, pred: (r: RunState) => boolean, timeoutMs?: number): Promise<RunState>;
  ledger(runId: string): Promise<StepRecord[]>;
  close(): Promise<void>;
}

export async function makeHarness(opts: Partial<Omit<RuntimeOptions, 'store' | 'workflows'>> & { clock?: Clock } = {}): Promise<Harness> {
  const dir = await mkdtemp(join(tmpdir(), 'agw-test-'));
  const { clock, ...runtimeOpts } = opts;
  const store = openSqliteStore({ dataDir: dir, clock });
  const registry = new BundleRegistry({ compile: compileFlow });
  const runtime = new Runtime({ store, workflows: registry, ledgerPollMs: 0, ...runtimeOpts }).start();
  const h: Harness = {
    dir,
    store,
    registry,
    runtime,
    async addFlows(bundleId, flows) {
      await registry.addBundle(await writeBundleDir(join(dir, 'bundles'), bundleId, flows));
      return workflowIds(bundleId, flows);
    },
    async addFixture(file) {
      await registry.addBundle(join(FIXTURES, file));
    },
    async start(workflowId, input = {}, sessionId) {
      return (await runtime.startRun({ workflow_id: workflowId, input_data: input, session_id: sessionId })).run_id;
    },
    async waitFor(runId, pred, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const run = await runtime.getRun(runId);
        if (run && pred(run)) return run;
        if (Date.now() > deadline) throw new Error(`timeout waiting for run ${runId}: ${JSON.stringify(run && { status: run.status, waiting: run.waiting, error: run.error })}`);
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    async ledger(runId) {
      return (await runtime.readLedger(runId, 0, 2000)).items;
    },
    async close() {
      await runtime.stop();
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return h;
}

export const isDone = (r: RunState) => r.status === 'completed' || r.status === 'failed' || r.status === 'cancelled';
export const isWaiting = (r: RunState) => r.status === 'waiting';

/** Compact ledger shape for assertions: "node status effect-type". */
export const shape = (records: StepRecord[]) => records.map((r) => `${r.node_id} ${r.status} ${r.effect?.type ?? '-'}`);
