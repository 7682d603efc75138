// Writes hand-written flows as an unpacked bundle directory that the registry loads.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { VisualFlow } from '../../src/flow/types.js';

/** Writes `<dir>/<bundleId>.flow/` (manifest + flows/) and returns its path. The first flow is the entrypoint. */
export async function writeBundleDir(dir: string, bundleId: string, flows: VisualFlow[], version = '0.0.0'): Promise<string> {
  const bdir = join(dir, `${bundleId}.flow`);
  await mkdir(join(bdir, 'flows'), { recursive: true });
  const manifest = {
    bundle_format_version: '1',
    bundle_id: bundleId,
    bundle_version: version,
    entrypoints: [{ flow_id: flows[0].id, name: flows[0].id, description: '', interfaces: [] }],
    flows: Object.fromEntries(flows.map((f) => [f.id, `flows/${f.id}.json`])),
  };
  await writeFile(join(bdir, 'manifest.json'), JSON.stringify(manifest));
  for (const f of flows) await writeFile(join(bdir, 'flows', `${f.id}.json`), JSON.stringify(f));
  return bdir;
}

/** Workflow ids of `flows` once loaded as bundle `bundleId@version`. */
export const workflowIds = (bundleId: string, flows: VisualFlow[], version = '0.0.0'): Record<string, string> =>
  Object.fromEntries(flows.map((f) => [f.id, `${bundleId}@${version}:${f.id}`]));
