// Builders for hand-made (and deliberately malicious) `.flow` archives used by the bundle
// and registry tests.

import { fileURLToPath } from 'node:url';
import yazl from 'yazl';

/** The reference's real bundles (repo copy of /work/shared/fixtures/bundles). */
export const FIXTURES_DIR = fileURLToPath(new URL('../../../test/fixtures/bundles/', import.meta.url));

export interface ZipEntry {
  name: string;
  data?: string | Buffer;
  /** Unix mode written to the external attributes (e.g. 0o120777 for a symlink). */
  mode?: number;
  compress?: boolean;
}

export function buildZip(entries: ZipEntry[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const e of entries) {
    const data = typeof e.data === 'string' ? Buffer.from(e.data) : (e.data ?? Buffer.alloc(0));
    zip.addBuffer(data, e.name, { ...(e.mode !== undefined && { mode: e.mode }), compress: e.compress ?? true });
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
  });
}

/** A minimal valid VisualFlow document. */
export function flowDoc(id: string, nodes: { id: string }[] = []): object {
  return { id, name: id, nodes, edges: [], ...(nodes[0] && { entryNode: nodes[0].id }) };
}

/** A valid manifest for the given flow ids (first one is the entrypoint), with overrides. */
export function manifestFor(bundleId: string, version: string, flowIds: string[], overrides: object = {}): Record<string, unknown> {
  return {
    bundle_format_version: '1',
    bundle_id: bundleId,
    bundle_version: version,
    created_at: '2026-01-01T00:00:00+00:00',
    entrypoints: [{ flow_id: flowIds[0], name: bundleId, description: '', interfaces: [] }],
    default_entrypoint: flowIds[0],
    flows: Object.fromEntries(flowIds.map((f) => [f, `flows/${f}.json`])),
    ...overrides,
  };
}

/** A bundle zip from flow documents keyed by flow id. */
export function bundleZip(bundleId: string, version: string, flows: Record<string, object>, manifestOverrides: object = {}, extra: ZipEntry[] = []): Promise<Buffer> {
  const manifest = manifestFor(bundleId, version, Object.keys(flows), manifestOverrides);
  return buildZip([
    { name: 'manifest.json', data: JSON.stringify(manifest) },
    ...Object.entries(flows).map(([f, doc]) => ({ name: `flows/${f}.json`, data: JSON.stringify(doc) })),
    ...extra,
  ]);
}

/**
 * Rename an entry in place (yazl refuses unsafe names, attackers don't). `from` and `to` must
 * have the same byte length; every occurrence is replaced (local + central headers).
 */
export function renameEntry(zip: Buffer, from: string, to: string): Buffer {
  const a = Buffer.from(from);
  const b = Buffer.from(to);
  if (a.length !== b.length) throw new Error('renameEntry needs names of equal byte length');
  const out = Buffer.from(zip);
  for (let i = out.indexOf(a); i >= 0; i = out.indexOf(a, i + 1)) b.copy(out, i);
  return out;
}

/** Make both headers of entry `name` declare `size` uncompressed bytes (a lying header). */
export function setDeclaredSize(zip: Buffer, name: string, size: number): Buffer {
  const out = Buffer.from(zip);
  const nameBytes = Buffer.from(name);
  const headers = [
    { signature: 0x04034b50, nameAt: 30, sizeAt: 22 },
    { signature: 0x02014b50, nameAt: 46, sizeAt: 24 },
  ];
  for (let i = 0; i + 4 <= out.length; i++) {
    for (const h of headers) {
      const named = out.subarray(i + h.nameAt, i + h.nameAt + nameBytes.length).equals(nameBytes);
      if (out.readUInt32LE(i) === h.signature && named) out.writeUInt32LE(size, i + h.sizeAt);
    }
  }
  return out;
}
