// The reference's real bundles, run end to end through the runtime (spec §9.2 / §9.6).

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isDone, makeHarness, shape, type Harness } from '../helpers/harness.js';

describe('fixture bundles', () => {
  let h: Harness;
  before(async () => {
    h = await makeHarness();
    for (const f of ['yoda@dev.flow', 'basic-agent@0.0.1.flow', 'basic-llm-test@0.0.0.flow']) await h.addFixture(f);
  });
  after(() => h.close());

  it('yoda completes without an LLM call: completion record then terminal status', async () => {
    const id = await h.start('yoda@dev:646770d8', { prompt: 'hello master' });
    const run = await h.waitFor(id, isDone);
    assert.equal(run.status, 'completed');
    assert.deepEqual(run.output, { success: true, result: { prompt: 'hello master' } });
    const records = await h.ledger(id);
    assert.deepEqual(shape(records), ['node-7 completed -', 'node-7 completed emit_event']);
    assert.deepEqual(records[0].result, { completed: true, output: { success: true, result: { prompt: 'hello master' } } });
    assert.equal(records[1].idempotency_key, 'system:terminal_status:completed');
    assert.deepEqual(records[1].result, { emitted: true, name: 'abstract.status', payload: { text: 'completed' } });
  });

  it('basic-agent status child 15f19f7f emits abstract.status and ends on the effect node', async () => {
    const id = await h.start('basic-agent@0.0.1:15f19f7f', { state: 'Thinking...' });
    const run = await h.waitFor(id, isDone);
    const expectedResult = { wait_key: `evt:run:${id}:abstract.status`, name: 'abstract.status', scope: 'run', delivered: 0, delivered_to: [], resumed: [] };
    assert.equal(run.status, 'completed');
    assert.deepEqual(run.output, { success: true, result: expectedResult });
    const records = await h.ledger(id);
    assert.deepEqual(shape(records), ['node-4 started emit_event', 'node-4 completed emit_event', 'node-4 completed emit_event']);
    const [started, done, terminal] = records;
    assert.equal(started.step_id, done.step_id);
    assert.equal(started.ended_at, null);
    assert.equal(started.idempotency_key, done.idempotency_key);
    assert.match(started.idempotency_key!, /^[0-9a-f]{32}$/);
    assert.equal(started.effect!.payload.name, 'abstract.status');
    assert.equal(started.effect!.payload.scope, 'run');
    assert.deepEqual(started.effect!.payload.payload, { value: 'Thinking...' });
    assert.deepEqual(done.result, expectedResult);
    assert.equal(terminal.idempotency_key, 'system:terminal_status:completed');
  });

  it('basic-agent root runs its status child, then fails clearly when the agent child has no LLM provider', async () => {
    const id = await h.start('basic-agent@0.0.1:81795ea9', { prompt: 'hello' });
    const run = await h.waitFor(id, isDone);
    assert.equal(run.status, 'failed');
    // The agent's ReAct child fails at its first llm_call; the agent node fails the root with it.
    assert.match(run.error!, /Agent sub-run .* failed: .*No LLM provider configured/);
    const records = await h.ledger(id);
    assert.deepEqual(shape(records), [
      'node-4 started start_subworkflow',
      'node-4 waiting start_subworkflow',
      'node-4 completed resume',
      'node-2 started start_subworkflow',
      'node-2 waiting start_subworkflow',
      'node-2 completed resume',
      'node-2 failed -',
      'node-2 completed emit_event',
    ]);
    const wait = records[1].result.wait;
    assert.equal(wait.reason, 'subworkflow');
    assert.equal(wait.resume_to_node, 'node-2');
    assert.equal(wait.details.sub_workflow_id, 'basic-agent@0.0.1:15f19f7f');
    const child = await h.runtime.getRun(wait.details.sub_run_id);
    assert.equal(child!.parent_run_id, id);
    assert.equal(child!.status, 'completed');
    assert.equal(child!.session_id, run.session_id);
    assert.equal(records[7].idempotency_key, 'system:terminal_status:failed');
  });

  it('basic-llm-test fails with a clear error record at the llm_call node', async () => {
    const id = await h.start('basic-llm-test@0.0.0:ec5a574d', { prompt: 'hi' });
    const run = await h.waitFor(id, isDone);
    assert.equal(run.status, 'failed');
    const records = await h.ledger(id);
    assert.deepEqual(shape(records), ['node-2 started llm_call', 'node-2 failed llm_call', 'node-2 completed emit_event']);
    assert.match(records[1].error!, /No LLM provider configured: cannot execute llm_call \(node 'node-2'\)/);
  });
});
