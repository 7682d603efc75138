// The command inbox over a real socket (spec core-api §5): validation, idempotency, outcomes.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startServer, type TestServer } from '../helpers/http.js';
import { GO_SESSION, demoFlows, installFlows, json, postCommand, startRun, terminal, waitRun, waitingOnKey } from './runs-kit.js';

describe('commands HTTP', () => {
  let s: TestServer;
  before(async () => {
    s = await startServer();
    await installFlows(s, 'demo', demoFlows());
  });
  after(() => s.close());

  const getCommand = (id: string) => s.api(`/api/gateway/commands/${encodeURIComponent(id)}`);

  /** Poll GET /commands/{id} until the runner has settled it. */
  async function settled(id: string): Promise<any> {
    for (let i = 0; i < 500; i++) {
      const c = await json(await getCommand(id));
      if (c.state !== 'pending') return c;
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`command ${id} never settled`);
  }

  it('a resume answers ask_user; the outcome is readable as applied', async () => {
    const runId = await startRun(s, { bundle_id: 'demo', flow_id: 'ask' });
    const { waiting } = await waitRun(s, runId, waitingOnKey);
    const commandId = randomUUID();
    const payload = { wait_key: waiting.wait_key, payload: { response: 'Ada' } };
    const res = await json(await postCommand(s, { command_id: commandId, run_id: runId, type: 'resume', payload, client_id: 'web' }));
    assert.deepEqual(Object.keys(res).sort(), ['accepted', 'duplicate', 'seq']);
    assert.equal(res.accepted, true);
    assert.equal(res.duplicate, false);
    assert.ok(Number.isInteger(res.seq) && res.seq >= 1);
    const run = await waitRun(s, runId, terminal);
    assert.equal(run.status, 'completed');
    const cmd = await settled(commandId);
    assert.deepEqual({ ...cmd, ts: 'x', applied_at: 'x' }, {
      command_id: commandId, run_id: runId, type: 'resume', payload, ts: 'x', client_id: 'web', seq: res.seq, state: 'applied', reason: null, applied_at: 'x',
    });
    assert.match(cmd.applied_at, /^\d{4}-\d\d-\d\dT/);
  });

  it('a resume of a run that is not waiting is accepted, then rejected with a reason', async () => {
    const runId = await startRun(s, { bundle_id: 'demo', flow_id: 'echo' });
    await waitRun(s, runId, terminal);
    const commandId = randomUUID();
    await json(await postCommand(s, { command_id: commandId, run_id: runId, type: 'resume', payload: { payload: { response: 'late' } } }));
    const cmd = await settled(commandId);
    assert.equal(cmd.state, 'rejected');
    assert.equal(typeof cmd.reason, 'string');
    assert.ok(cmd.reason.length > 0);
  });

  it('an emit_event command wakes a run waiting on evt:session:<sid>:go', async () => {
    const runId = await startRun(s, { bundle_id: 'demo', flow_id: 'wait_go', session_id: GO_SESSION });
    const { waiting } = await waitRun(s, runId, waitingOnKey);
    assert.equal(waiting.wait_key, `evt:session:${GO_SESSION}:go`);
    await json(await postCommand(s, { command_id: randomUUID(), run_id: GO_SESSION, type: 'emit_event', payload: { name: 'go', payload: { x: 1 } }, client_id: 'tester' }));
    const run = await waitRun(s, runId, terminal);
    assert.equal(run.status, 'completed');
  });

  it('cancel stops a waiting run', async () => {
    const runId = await startRun(s, { bundle_id: 'demo', flow_id: 'ask' });
    await waitRun(s, runId, waitingOnKey);
    await json(await postCommand(s, { command_id: randomUUID(), run_id: runId, type: 'cancel', payload: { reason: 'enough' } }));
    const run = await waitRun(s, runId, terminal);
    assert.equal(run.status, 'cancelled');
    assert.equal(run.error, 'enough');
  });

  it('a repeated command_id is a duplicate with the original seq; a different payload is a 409', async () => {
    const body = { command_id: randomUUID(), run_id: 'some-run', type: 'pause', payload: { reason: 'r' } };
    const first = await json(await postCommand(s, body));
    assert.deepEqual(await json(await postCommand(s, body)), { accepted: false, duplicate: true, seq: first.seq });
    const clash = await json(await postCommand(s, { ...body, payload: { reason: 'other' } }), 409);
    assert.equal(typeof clash.detail, 'string');
    assert.match(clash.detail, new RegExp(body.command_id));
  });

  it('commands for unknown runs are accepted (fulfilment is asynchronous)', async () => {
    const id = randomUUID();
    assert.equal((await json(await postCommand(s, { command_id: id, run_id: 'ghost', type: 'pause' }))).accepted, true);
    assert.equal((await settled(id)).state, 'rejected');
  });

  it('a blank command_id gets a generated id (no idempotency)', async () => {
    const a = await json(await postCommand(s, { command_id: ' ', run_id: 'x', type: 'pause' }));
    const b = await json(await postCommand(s, { command_id: '', run_id: 'x', type: 'pause' }));
    assert.equal(a.accepted && b.accepted, true);
    assert.notEqual(a.seq, b.seq);
  });

  it('validation: case-sensitive type, blank run_id, missing fields, non-object payload', async () => {
    const base = { command_id: randomUUID(), run_id: 'r', type: 'pause' };
    assert.deepEqual(await json(await postCommand(s, { ...base, type: 'Pause' }), 400), {
      detail: 'type must be one of pause|resume|cancel|emit_event|update_schedule|compact_memory',
    });
    assert.deepEqual(await json(await postCommand(s, { ...base, run_id: '  ' }), 400), {
      detail: 'Failed to append command: CommandRecord.run_id must be non-empty',
    });
    const missing = await json(await postCommand(s, { run_id: 'r', type: 'pause' }), 422);
    assert.deepEqual(missing.detail[0].loc, ['body', 'command_id']);
    assert.equal(missing.detail[0].type, 'missing');
    assert.equal(missing.detail[0].msg, 'Field required');
    const payload = await json(await postCommand(s, { ...base, payload: [1] }), 422);
    assert.deepEqual(payload.detail[0].loc, ['body', 'payload']);
  });

  it('GET /commands/{id} of an unknown command → 404', async () => {
    assert.deepEqual(await json(await getCommand('nope'), 404), { detail: "Command 'nope' not found" });
  });
});
