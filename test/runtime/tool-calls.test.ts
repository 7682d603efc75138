// The tool_calls effect in real runs (spec runtime-visualflow §3.5.3, §1.5): approval waits
// answered through the command inbox, denial, delegated execution, local mode, allowlists and
// workspace refusals, with the ledger each one writes.

import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exec, data, wire, flowOf } from '../flow/flowkit.js';
import { isDone, isWaiting, makeHarness, shape, type Harness } from '../helpers/harness.js';
import type { ToolMode } from '../../src/tools/index.js';

const toolFlow = (calls: unknown[], allowed?: string[]) =>
  flowOf(
    [
      exec('start', 'on_flow_start', { entry: true, outputs: [] }),
      exec('tools', 'tool_calls', { inputs: ['tool_calls:array', ...(allowed ? ['allowed_tools:array'] : [])], outputs: ['results', 'success'], pinDefaults: { tool_calls: calls, ...(allowed ? { allowed_tools: allowed } : {}) } }),
      exec('end', 'on_flow_end', { inputs: ['results', 'success'], execOuts: [] }),
    ],
    [wire('start', 'tools'), wire('tools', 'end'), data('tools', 'results', 'end', 'results'), data('tools', 'success', 'end', 'success')],
    { id: 'tools' },
  );

const WRITE = { name: 'write_file', arguments: { file_path: 'hello.txt', content: 'hi there' }, call_id: 'call-1' };

describe('tool_calls effect', () => {
  let ws: string;
  let h: Harness | undefined;
  let seq = 0;
  before(async () => (ws = await realpath(await mkdtemp(join(tmpdir(), 'agw-tc-')))));
  after(() => rm(ws, { recursive: true, force: true }));
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  async function runFlow(mode: ToolMode, calls: unknown[], allowed?: string[]) {
    h = await makeHarness({ toolMode: mode });
    const bundle = `tc${++seq}`;
    const wf = await h.addFlows(bundle, [toolFlow(calls, allowed)]);
    const dir = join(ws, bundle);
    await mkdir(dir);
    const id = await h.start(wf.tools, { workspace_root: dir });
    return { h, id, dir };
  }

  async function resumeAndFinish(h: Harness, id: string, waitKey: string, payload: Record<string, unknown>) {
    const sub = await h.runtime.submitCommand({ command_id: `resume-${id}`, run_id: id, type: 'resume', payload: { wait_key: waitKey, payload } });
    assert.equal(sub.accepted, true);
    return h.waitFor(id, isDone);
  }

  it('approval mode: write_file waits for a person, runs once approved through the command inbox, and completes with the results', async () => {
    const { h, id, dir } = await runFlow('approval', [WRITE]);
    const waiting = await h.waitFor(id, isWaiting);
    const w = waiting.waiting!;
    assert.equal(w.reason, 'user');
    assert.match(w.wait_key!, /^tool_approval:[0-9a-f]{32}$/);
    assert.equal(w.resume_to_node, 'tools');
    const [started] = await h.ledger(id);
    const key = started.idempotency_key!;
    assert.equal(w.result_key, `_temp.tool_approval.${key}`);
    assert.equal(w.details!.mode, 'approval_required');
    assert.deepEqual(w.details!.tool_calls, [{ call_id: 'call-1', runtime_call_id: `rtcall_${key}_1`, name: 'write_file', arguments: { file_path: join(dir, 'hello.txt'), content: 'hi there' } }]);
    assert.equal(w.details!.executor.kind, 'tool_approval');
    assert.ok(w.details!.executor.policy.require_approval_tools.includes('write_file'));
    assert.ok(w.details!.executor.policy.auto_approve_tools.includes('read_file'));
    assert.equal(existsSync(join(dir, 'hello.txt')), false, 'nothing runs before approval');

    const done = await resumeAndFinish(h, id, w.wait_key!, { approved: true });
    assert.equal(done.status, 'completed', done.error ?? '');
    assert.equal(await readFile(join(dir, 'hello.txt'), 'utf8'), 'hi there');
    const result = { call_id: 'call-1', runtime_call_id: `rtcall_${key}_1`, name: 'write_file', success: true, output: "Wrote 8 bytes to 'hello.txt'", error: null };
    assert.deepEqual(done.output, { results: [result], success: true });
    const ledger = await h.ledger(id);
    assert.deepEqual(shape(ledger), [
      'tools started tool_calls',
      'tools waiting tool_calls',
      'tools completed resume',
      'tools started tool_calls',
      'tools completed tool_calls',
      'end completed -',
      'end completed emit_event',
    ]);
    assert.deepEqual(ledger[4].result, { mode: 'executed', results: [result] });
    assert.equal(ledger[3].idempotency_key, key, 're-entry plans the same batch');
    assert.equal(ledger[3].effect!.payload.tool_calls[0].runtime_call_id, `rtcall_${key}_1`, 'the started record carries the stamped calls');
    assert.equal(done.vars._temp.tool_approval, undefined, 'the decision is consumed');
  });

  it('approval mode: a denial answers every waiting call with the reason and runs nothing', async () => {
    const { h, id, dir } = await runFlow('approval', [WRITE, { name: 'execute_command', arguments: { command: 'touch ran' } }]);
    const w = (await h.waitFor(id, isWaiting)).waiting!;
    const done = await resumeAndFinish(h, id, w.wait_key!, { approved: false, reason: 'not today' });
    assert.equal(done.status, 'completed');
    assert.deepEqual(
      done.output!.results.map((r: any) => [r.name, r.success, r.error]),
      [
        ['write_file', false, 'not today'],
        ['execute_command', false, 'not today'],
      ],
    );
    assert.equal(done.output!.success, false);
    assert.equal(existsSync(join(dir, 'hello.txt')) || existsSync(join(dir, 'ran')), false);
  });

  it('approval mode: a read-only batch runs at once; calls outside the allowlist are blocked in place', async () => {
    const { h, id, dir } = await runFlow('approval', [{ name: 'list_files', arguments: {} }, WRITE, { name: 'read_file', arguments: { file_path: 'missing.txt' } }], ['list_files', 'read_file']);
    await writeFile(join(dir, 'a.txt'), 'x');
    const done = await h.waitFor(id, isDone);
    assert.deepEqual(shape(await h.ledger(id)).slice(0, 2), ['tools started tool_calls', 'tools completed tool_calls']);
    const [list, write, read] = done.output!.results;
    assert.equal(list.success, true);
    assert.deepEqual([write.name, write.success, write.error, write.output], ['write_file', false, "Tool 'write_file' is not allowed for this node", null]);
    assert.equal(read.success, false);
    assert.match(read.error, /No such file/);
  });

  it('a call escaping the workspace is refused before approval is asked, and its slot is kept in order', async () => {
    const escape = { name: 'read_file', arguments: { file_path: '../../etc/passwd' } };
    const { h, id } = await runFlow('approval', [WRITE, escape]);
    const w = (await h.waitFor(id, isWaiting)).waiting!;
    assert.deepEqual(w.details!.tool_calls.map((c: any) => c.name), ['write_file']);
    assert.equal(w.details!.original_call_count, 2);
    assert.match(w.details!.blocked_by_index['1'].error, /Access denied/);
    const done = await resumeAndFinish(h, id, w.wait_key!, { approved: true });
    assert.deepEqual(done.output!.results.map((r: any) => [r.name, r.success]), [
      ['write_file', true],
      ['read_file', false],
    ]);
  });

  it('delegated mode: the batch waits for an outside executor (reason job) and its results envelope completes the step', async () => {
    const { h, id, dir } = await runFlow('delegated', [WRITE]);
    const w = (await h.waitFor(id, isWaiting)).waiting!;
    assert.equal(w.reason, 'job');
    assert.equal(w.wait_key, `tool_calls:${id}:tools`);
    assert.equal(w.details!.mode, 'delegated');
    const envelope = { mode: 'executed', results: [{ call_id: 'call-1', name: 'write_file', success: true, output: 'written by the client', error: null }] };
    const done = await resumeAndFinish(h, id, w.wait_key!, envelope);
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.output!.results, envelope.results);
    assert.equal(existsSync(join(dir, 'hello.txt')), false, 'the gateway did not execute');
    const ledger = await h.ledger(id);
    assert.deepEqual(ledger.find((r) => r.status === 'completed' && r.effect?.type === 'tool_calls')!.result, envelope);
  });

  it('delegated mode: an approval is not an execution; the calls fail with a clear message', async () => {
    const { h, id, dir } = await runFlow('delegated', [WRITE]);
    const w = (await h.waitFor(id, isWaiting)).waiting!;
    const done = await resumeAndFinish(h, id, w.wait_key!, { approved: true });
    assert.match(done.output!.results[0].error, /delegated/);
    assert.equal(existsSync(join(dir, 'hello.txt')), false);
  });

  it('passthrough mode waits even for read-only tools (reason event)', async () => {
    const { h, id } = await runFlow('passthrough', [{ name: 'list_files', arguments: {} }]);
    const w = (await h.waitFor(id, isWaiting)).waiting!;
    assert.deepEqual([w.reason, w.details!.mode], ['event', 'passthrough']);
    const done = await resumeAndFinish(h, id, w.wait_key!, { approved: true });
    assert.equal(done.output!.success, true);
  });

  it('local mode executes everything at once', async () => {
    const { h, id, dir } = await runFlow('local', [WRITE, { name: 'execute_command', arguments: { command: 'cat hello.txt' } }]);
    const done = await h.waitFor(id, isDone);
    assert.equal(done.status, 'completed');
    assert.deepEqual(shape(await h.ledger(id)).slice(0, 2), ['tools started tool_calls', 'tools completed tool_calls']);
    assert.equal(done.output!.results[1].output.stdout, 'hi there');
    assert.equal(await readFile(join(dir, 'hello.txt'), 'utf8'), 'hi there');
  });

  it('open_attachment (runtime-owned, no approval) reads a session attachment, queues media, and refuses other sessions', async () => {
    h = await makeHarness({ toolMode: 'approval' });
    const put = (text: string, type: string, session: string, filename: string) =>
      h!.runtime.putArtifact(Buffer.from(text), { content_type: type, tags: { kind: 'attachment', session_id: session, filename } });
    const notes = await put('line one\nline two\nline three\n', 'text/markdown', 's1', 'notes.md');
    const image = await put('\x89PNG fake', 'image/png', 's1', 'cat.png');
    const foreign = await put('not yours', 'text/plain', 'someone-else', 'x.txt');
    const calls = [
      { name: 'open_attachment', arguments: { artifact_id: notes.artifact_id, start_line: 2, end_line: 2 } },
      { name: 'open_attachment', arguments: { handle: 'cat.png' } },
      { name: 'open_attachment', arguments: { artifact_id: foreign.artifact_id } },
    ];
    const wf = await h.addFlows('att', [toolFlow(calls)]);
    const context = { attachments: [{ $artifact: image.artifact_id, filename: 'cat.png' }] };
    const id = await h.start(wf.tools, { workspace_root: ws, context }, 's1');
    const done = await h.waitFor(id, isDone);
    const [text, media, other] = done.output!.results;
    assert.equal(text.success, true);
    assert.equal(text.output.excerpt, 'line two');
    assert.equal(media.output.queued_media, true);
    assert.deepEqual(done.vars._runtime.pending_media, [{ $artifact: image.artifact_id, content_type: 'image/png', filename: 'cat.png' }]);
    assert.deepEqual([other.success, other.error], [false, `Attachment '${foreign.artifact_id}' was not found in this session`]);
  });
});
