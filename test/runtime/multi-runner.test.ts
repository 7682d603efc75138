// Several runners on one data dir (separate connections, as separate processes would have)
// share the work without ever executing a step twice.

import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, data, wire, flowOf, pure } from '../flow/flowkit.js';
import { compileFlow } from '../../src/flow/compiler.js';
import { Runtime } from '../../src/runtime/runtime.js';
import { openSqliteStore } from '../../src/store/sqlite/store.js';
import type { WorkflowSource } from '../../src/flow/types.js';

describe('multiple runners on one store', () => {
  it('each step runs exactly once across four runners', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'agw-multi-'));
    const wfDoc = flowOf(
      [
        exec('start', 'on_flow_start', { entry: true, outputs: [] }),
        exec('for', 'for', { inputs: ['start', 'end'], execOuts: ['loop', 'done'], outputs: ['i'], pinDefaults: { start: 0, end: 5 } }),
        pure('msg', 'concat', { inputs: ['a', 'b'], pinDefaults: { a: 'step' } }),
        exec('say', 'answer_user', { inputs: ['message'] }),
        exec('end', 'on_flow_end', { inputs: [], execOuts: [] }),
      ],
      [wire('start', 'for'), wire('for', 'say', 'loop'), wire('for', 'end', 'done'), data('for', 'i', 'msg', 'b'), data('msg', 'result', 'say', 'message')],
      { id: 'multi@1:f' },
    );
    const compiled = compileFlow(wfDoc);
    const workflows: WorkflowSource = { getWorkflow: (id) => (id === compiled.workflow_id ? compiled : undefined) };
    const stores = Array.from({ length: 4 }, () => openSqliteStore({ dataDir: dir }));
    const runtimes = stores.map((store) => new Runtime({ store, workflows, ledgerPollMs: 0, runner: { concurrency: 8, pollMs: 20 } }).start());

    const ids = await Promise.all(Array.from({ length: 200 }, (_, i) => runtimes[i % 4].startRun({ workflow_id: compiled.workflow_id }).then((r) => r.run_id)));
    const scope = stores[0].scope('default');
    for (const rt of runtimes) await rt.runner!.idle();
    for (let waited = 0; ; waited += 20) {
      const done = await scope.listRuns({ status: 'completed', limit: 1000 });
      if (done.length === ids.length) break;
      assert.ok(waited < 30_000, `only ${done.length} runs completed`);
      await new Promise((r) => setTimeout(r, 20));
    }
    for (const id of ids) {
      const records = (await scope.readLedger(id, 0, 100)).items;
      const said = records.filter((r) => r.effect?.type === 'answer_user').map((r) => `${r.status}:${r.result?.message ?? ''}`);
      assert.deepEqual(said, ['started:', 'completed:step 0', 'started:', 'completed:step 1', 'started:', 'completed:step 2', 'started:', 'completed:step 3', 'started:', 'completed:step 4']);
      assert.equal(records.length, 12);
    }
    for (const rt of runtimes) await rt.stop();
    for (const s of stores) await s.close();
    await rm(dir, { recursive: true, force: true });
  });
});
