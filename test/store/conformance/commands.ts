// Store conformance: The command inbox: dedupe by command id, seq order, settle exactly once.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isoFromMs } from '../../../src/model/time.js';
import type { CaseRunner } from './backend.js';
import { T0, command } from './fixtures.js';

export function commandCases({ withRuntime }: CaseRunner): void {
  describe('commands', () => {
    it('accepts, deduplicates and detects conflicting reuse of a command id', withRuntime(async (rt) => {
      const cmd = command('r1', { type: 'emit_event', payload: { name: 'go', payload: { a: 1, b: [1, 2] } }, client_id: 'c1' });
      const first = await rt.submitCommand(cmd);
      assert.equal(first.accepted, true);
      assert.ok(first.seq >= 1);
      const reordered = { ...cmd, payload: { payload: { b: [1, 2], a: 1 }, name: 'go' }, ts: isoFromMs(T0 + 5) };
      assert.deepEqual(await rt.submitCommand(reordered), { accepted: false, duplicate: true, seq: first.seq });
      assert.deepEqual(await rt.submitCommand({ ...cmd, payload: { name: 'other' } }), { accepted: false, duplicate: false, conflict: true, seq: first.seq });
      assert.deepEqual(await rt.submitCommand({ ...cmd, run_id: 'r2' }), { accepted: false, duplicate: false, conflict: true, seq: first.seq });
      assert.deepEqual(await rt.submitCommand({ ...cmd, type: 'cancel' }), { accepted: false, duplicate: false, conflict: true, seq: first.seq });
      assert.deepEqual(await rt.getCommand(cmd.command_id), {
        command_id: cmd.command_id,
        run_id: 'r1',
        type: 'emit_event',
        payload: cmd.payload,
        ts: cmd.ts,
        client_id: 'c1',
        seq: first.seq,
        state: 'pending',
        reason: null,
        applied_at: null,
      });
      assert.equal(await rt.getCommand('missing'), null);
    }));

    it('lists pending commands in seq order and settles each exactly once', withRuntime(async (rt) => {
      const cmds = Array.from({ length: 5 }, (_, i) => command(`r${i}`));
      const seqs: number[] = [];
      for (const c of cmds) seqs.push((await rt.submitCommand(c)).seq);
      for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! > seqs[i - 1]!);
      assert.deepEqual((await rt.pendingCommands(3)).map((c) => c.seq), seqs.slice(0, 3));

      const at = isoFromMs(T0 + 1);
      await rt.tx((tx) => tx.settleCommand(seqs[0]!, 'applied', null, at));
      await rt.tx((tx) => tx.settleCommand(seqs[2]!, 'rejected', 'Run is not waiting', at));
      await assert.rejects(rt.tx((tx) => tx.settleCommand(seqs[0]!, 'rejected', 'again', at)));
      await assert.rejects(rt.tx((tx) => tx.settleCommand(999_999, 'applied', null, at)));
      assert.deepEqual((await rt.pendingCommands(10)).map((c) => c.seq), [seqs[1], seqs[3], seqs[4]]);
      const applied = await rt.getCommand(cmds[0]!.command_id);
      assert.deepEqual([applied?.state, applied?.reason, applied?.applied_at], ['applied', null, at]);
      const rejected = await rt.getCommand(cmds[2]!.command_id);
      assert.deepEqual([rejected?.state, rejected?.reason], ['rejected', 'Run is not waiting']);
    }));

    it('concurrent duplicate submits accept exactly one', withRuntime(async (rt) => {
      const cmd = command('r1');
      const results = await Promise.all(Array.from({ length: 10 }, () => rt.submitCommand(cmd)));
      assert.equal(results.filter((r) => r.accepted).length, 1);
      assert.equal(new Set(results.map((r) => r.seq)).size, 1);
    }));
  });
}
