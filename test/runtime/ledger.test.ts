// Ledger reading: live subscriptions that replay then follow without gaps or duplicates,
// and offloading of large values to artifacts.

import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { exec, data, wire, flowOf, pure } from '../flow/flowkit.js';
import { isDone, makeHarness, type Harness } from '../helpers/harness.js';
import { waitUntil } from '../helpers/processes.js';
import type { StepRecord } from '../../src/model/run.js';

describe('ledger', () => {
  let h: Harness;
  let wf: Record<string, string>;
  before(async () => {
    h = await makeHarness({ inlineLimitBytes: 1024 });
    const chatty = flowOf(
      [
        exec('start', 'on_flow_start', { entry: true, outputs: ['n', 'big'] }),
        exec('for', 'for', { inputs: ['start', 'end'], execOuts: ['loop', 'done'], outputs: ['i'], pinDefaults: { start: 0 } }),
        pure('msg', 'concat', { inputs: ['a', 'b'], pinDefaults: { a: 'line' } }),
        exec('say', 'answer_user', { inputs: ['message'] }),
        exec('shout', 'answer_user', { inputs: ['message'] }),
        exec('end', 'on_flow_end', { inputs: [], execOuts: [] }),
      ],
      [
        wire('start', 'for'),
        data('start', 'n', 'for', 'end'),
        wire('for', 'say', 'loop'),
        data('for', 'i', 'msg', 'b'),
        data('msg', 'result', 'say', 'message'),
        wire('for', 'shout', 'done'),
        data('start', 'big', 'shout', 'message'),
        wire('shout', 'end'),
      ],
      { id: 'chatty' },
    );
    wf = await h.addFlows('ledger', [chatty]);
  });
  after(() => h.close());

  it('a subscription replays, then follows live appends with no gap and no duplicate', async () => {
    const id = await h.start(wf.chatty, { n: 300, big: 'x' });
    const seen: StepRecord[] = [];
    const cursors: number[] = [];
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => (resolveDone = r));
    const sub = h.runtime.watchLedger(id, 0, async (records, cursor) => {
      seen.push(...records);
      cursors.push(cursor);
      // A slow consumer: the run keeps appending meanwhile; nothing may be lost.
      await new Promise((r) => setTimeout(r, 1));
      if (records.some((r) => r.idempotency_key?.startsWith('system:terminal_status'))) resolveDone();
    });
    await done;
    sub.close();
    const all = await h.ledger(id);
    assert.equal(all.length, 300 * 2 + 2 + 2);
    assert.deepEqual(seen, all);
    assert.equal(cursors.at(-1), all.length);
    assert.deepEqual([...cursors].sort((a, b) => a - b), cursors, 'cursors only move forward');
  });

  it('a full consumer takes a prefix, is offered the rest once ready, and gets every record once, in order', async () => {
    const id = await h.start(wf.chatty, { n: 40, big: 'x' });
    await h.waitFor(id, isDone);
    const all = await h.ledger(id);
    const got: StepRecord[] = [];
    const offered: number[] = [];
    let ready!: () => void;
    const sub = h.runtime.watchLedger(id, 0, (records) => {
      offered.push(records.length);
      got.push(...records.slice(0, 3));
      return { taken: Math.min(3, records.length), ready: new Promise<void>((r) => (ready = r)) };
    });
    while (got.length < all.length) {
      await waitUntil(() => ready, 'the consumer to be offered records');
      const release = ready;
      ready = undefined as unknown as () => void;
      release();
    }
    sub.close();
    assert.deepEqual(got, all);
    assert.ok(offered.slice(1).every((n) => n <= 8), `a full consumer is offered small pages after the first: ${offered.join(',')}`);
  });

  it('a late subscriber starting mid-ledger gets exactly the records after its cursor', async () => {
    const id = await h.start(wf.chatty, { n: 5, big: 'x' });
    await h.waitFor(id, isDone);
    const all = await h.ledger(id);
    const got: StepRecord[] = [];
    const sub = h.runtime.watchLedger(id, 4, (records) => void got.push(...records));
    for (let i = 0; i < 100 && got.length < all.length - 4; i++) await new Promise((r) => setTimeout(r, 5));
    sub.close();
    assert.deepEqual(got, all.slice(4));
  });

  it('offloads values larger than the inline limit to artifacts and keeps the record shape', async () => {
    const big = 'é'.repeat(2000); // 4000 bytes of UTF-8
    const id = await h.start(wf.chatty, { n: 0, big });
    await h.waitFor(id, isDone);
    const records = await h.ledger(id);
    const started = records.find((r) => r.node_id === 'shout' && r.status === 'started')!;
    const done = records.find((r) => r.node_id === 'shout' && r.status === 'completed')!;
    assert.equal(started.effect!.type, 'answer_user');
    const ref = started.effect!.payload.message;
    assert.deepEqual(Object.keys(ref), ['$artifact']);
    assert.equal(done.result.level, 'message');
    const stored = await h.store.scope('default').artifacts.get(done.result.message.$artifact);
    assert.equal(stored!.content.toString('utf8'), big);
    assert.equal(stored!.metadata.run_id, id);
    assert.equal(stored!.metadata.tags.source, 'ledger_result_offload');
    // The same bytes also appear in the completion output: one content-addressed artifact serves both.
    assert.match(stored!.metadata.tags.path, /^ledger\.result\./);
    const completion = records.find((r) => r.node_id === 'end' && r.effect === null)!;
    assert.deepEqual(completion.result.output.big, { $artifact: done.result.message.$artifact });
    // The run itself still has the full value: offloading only shapes the ledger.
    assert.equal((await h.runtime.getRun(id))!.vars._temp.effects.shout.message, big);
  });
});
