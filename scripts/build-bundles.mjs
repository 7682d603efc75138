#!/usr/bin/env node
// Builds the shipped bundles: bundles/src/<name>/{manifest.json, <files listed in manifest>}
// → bundles/<name>.flow. Reproducible: fixed entry order, timestamps and modes, so a rebuild
// of unchanged sources gives identical bytes. Usage: node scripts/build-bundles.mjs

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import yazl from 'yazl';

const BUNDLES = fileURLToPath(new URL('../bundles/', import.meta.url));
const SOURCES = join(BUNDLES, 'src');
const MTIME = new Date('2026-01-01T00:00:00Z');

function zip(entries) {
  const z = new yazl.ZipFile();
  for (const [name, data] of entries) z.addBuffer(data, name, { mtime: MTIME, mode: 0o100644, compress: true });
  z.end();
  return new Promise((resolve, reject) => {
    const chunks = [];
    z.outputStream.on('data', (c) => chunks.push(c));
    z.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    z.outputStream.on('error', reject);
  });
}

for (const name of readdirSync(SOURCES).sort()) {
  const dir = join(SOURCES, name);
  const manifestBytes = readFileSync(join(dir, 'manifest.json'));
  const manifest = JSON.parse(manifestBytes.toString('utf8'));
  // Only what the manifest lists goes in, so stray files never leak into a bundle.
  const listed = [...Object.values(manifest.flows ?? {}), ...Object.values(manifest.assets ?? {})].sort();
  const bytes = await zip([['manifest.json', manifestBytes], ...listed.map((rel) => [rel, readFileSync(join(dir, rel))])]);
  writeFileSync(join(BUNDLES, `${name}.flow`), bytes);
  console.log(`bundles/${name}.flow  ${manifest.bundle_id}@${manifest.bundle_version}  ${bytes.length} bytes`);
}
