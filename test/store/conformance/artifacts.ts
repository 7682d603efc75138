// Store conformance: Artifacts: content-addressed blobs with metadata, per runtime.

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';

import type { CaseRunner } from './backend.js';

export function artifactCases({ withRuntime }: CaseRunner): void {
  describe('artifacts', () => {
    it('stores content-addressed blobs with metadata', withRuntime(async (rt) => {
      const bytes = Buffer.from('hello artifact');
      const meta = await rt.artifacts.put(bytes, { content_type: 'text/plain', run_id: 'r1', tags: { kind: 'note' }, metadata: { n: 1 } });
      const sha = createHash('sha256').update(bytes).digest('hex');
      const expectedId = createHash('sha256').update('r1\0').update(bytes).digest('hex').slice(0, 32);
      assert.equal(meta.artifact_id, expectedId);
      assert.equal(meta.blob_id, sha);
      assert.deepEqual(
        { ...meta, created_at: undefined },
        { artifact_id: expectedId, blob_id: sha, content_type: 'text/plain', size_bytes: bytes.length, created_at: undefined, run_id: 'r1', tags: { kind: 'note' }, metadata: { n: 1 } },
      );
      const got = await rt.artifacts.get(meta.artifact_id);
      assert.deepEqual(got?.metadata, meta);
      assert.ok(got?.content.equals(bytes));
      assert.deepEqual(await rt.artifacts.getMetadata(meta.artifact_id), meta);
      assert.equal(await rt.artifacts.get('missing'), null);
    }));

    it('dedupes identical content, separates runs, and is idempotent', withRuntime(async (rt) => {
      const bytes = Buffer.from('same bytes');
      const a = await rt.artifacts.put(bytes, { run_id: 'r1' });
      const again = await rt.artifacts.put(bytes, { run_id: 'r1' });
      const b = await rt.artifacts.put(bytes, { run_id: 'r2' });
      const noRun = await rt.artifacts.put(bytes, {});
      assert.deepEqual(again, a);
      assert.notEqual(a.artifact_id, b.artifact_id);
      assert.equal(noRun.artifact_id, createHash('sha256').update(bytes).digest('hex').slice(0, 32));
      assert.equal(noRun.run_id, null);
      assert.equal(noRun.content_type, 'application/octet-stream');
      assert.equal(a.blob_id, b.blob_id);
      assert.ok((await rt.artifacts.get(b.artifact_id))?.content.equals(bytes));
    }));

    it('accepts explicit ids, rejects invalid ones, lists by run', withRuntime(async (rt) => {
      const x = await rt.artifacts.put(Buffer.from('x'), { run_id: 'r1', artifact_id: 'my_id-1' });
      assert.equal(x.artifact_id, 'my_id-1');
      await assert.rejects(rt.artifacts.put(Buffer.from('y'), { artifact_id: '../etc/passwd' }));
      await assert.rejects(rt.artifacts.put(Buffer.from('y'), { artifact_id: '' }));
      const y = await rt.artifacts.put(Buffer.from('y'), { run_id: 'r1' });
      await rt.artifacts.put(Buffer.from('z'), { run_id: 'r2' });
      assert.deepEqual((await rt.artifacts.listByRun('r1')).map((m) => m.artifact_id), [x.artifact_id, y.artifact_id]);
      assert.deepEqual(await rt.artifacts.listByRun('nope'), []);
    }));
  });
}
