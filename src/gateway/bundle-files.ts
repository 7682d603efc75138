// The `.flow` files of the private bundle directory (spec core-api §2.2, §2.4): installing an
// uploaded bundle and removing bundles by manifest identity. The in-memory registry only
// changes when the caller reloads.

import { createHash, randomUUID } from 'node:crypto';
import { link, readdir, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readBundleManifest } from '../bundles/archive.js';
import { bundleError } from '../bundles/manifest.js';
import type { BundleRegistry, LoadedBundle } from '../bundles/registry.js';
import { compareStrings } from '../bundles/versions.js';

export interface InstalledBundle {
  bundle: LoadedBundle;
  /** Absolute path of the installed file. */
  path: string;
  /** Hex sha256 of the installed file. */
  sha256: string;
}

interface BundleFile {
  path: string;
  bundle_id: string;
  bundle_version: string;
}

/** The readable `.flow` files of `dir` (not directories) with their manifest identity. */
async function bundleFiles(dir: string): Promise<BundleFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: BundleFile[] = [];
  for (const e of entries.filter((d) => d.isFile() && d.name.endsWith('.flow')).sort((a, b) => compareStrings(a.name, b.name))) {
    const path = join(dir, e.name);
    try {
      // Only the manifest: a bundle that fails to compile (or is over the limits) must still be removable.
      const manifest = await readBundleManifest(path);
      files.push({ path, bundle_id: manifest.bundle_id, bundle_version: manifest.bundle_version });
    } catch {
      // Unreadable: it has no identity anybody could address.
    }
  }
  return files;
}

const ignoreMissing = (err: NodeJS.ErrnoException): void => {
  if (err.code !== 'ENOENT') throw err;
};

/**
 * Validate (read + compile every flow into `validator`, an empty registry under the scope's
 * limits) and install zip bytes as `<dir>/<id>@<version>.flow`.
 * Nothing on disk changes unless the bundle is valid. Without `overwrite`, any file already
 * holding that id@version is a conflict; with it, those files are replaced.
 */
export async function installBundleFile(dir: string, validator: BundleRegistry, bytes: Buffer, overwrite: boolean): Promise<InstalledBundle> {
  if (bytes.length === 0) throw bundleError('Bundle content is empty');
  const bundle = await validator.addBundle(bytes);
  const dest = join(dir, `${bundle.bundle_ref}.flow`);
  const sameIdentity = (await bundleFiles(dir)).filter((f) => f.bundle_id === bundle.bundle_id && f.bundle_version === bundle.bundle_version);
  const alreadyInstalled = (name: string) => bundleError(`Bundle already installed: ${name}`);
  if (!overwrite && sameIdentity.length > 0) throw alreadyInstalled(basename(sameIdentity[0]!.path));

  // Written under a name the loader ignores, then moved in with one atomic step.
  const tmp = join(dir, `.upload-${randomUUID()}.tmp`);
  await writeFile(tmp, bytes, { flag: 'wx' });
  try {
    if (overwrite) {
      await rename(tmp, dest);
    } else {
      // link() fails if dest appeared meanwhile, where rename() would silently replace it.
      await link(tmp, dest).catch((err: NodeJS.ErrnoException) => {
        throw err.code === 'EEXIST' ? alreadyInstalled(basename(dest)) : err;
      });
    }
  } finally {
    await unlink(tmp).catch(ignoreMissing);
  }
  // Other files with this identity (e.g. `demo.flow`) would shadow the new one at load time.
  for (const f of sameIdentity) if (f.path !== dest) await unlink(f.path).catch(ignoreMissing);
  return { bundle, path: dest, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Delete the files of `bundleId` (one version, or all when `version` is omitted). Returns how many. */
export async function removeBundleFiles(dir: string, bundleId: string, version?: string): Promise<number> {
  const doomed = (await bundleFiles(dir)).filter((f) => f.bundle_id === bundleId && (version === undefined || f.bundle_version === version));
  for (const f of doomed) await unlink(f.path).catch(ignoreMissing);
  return doomed.length;
}
