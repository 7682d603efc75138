// Reading a `.flow` bundle (spec core-api §2.1, runtime-visualflow §4.1.1): a zip archive or
// an unpacked directory → validated manifest, raw VisualFlow documents and assets.
// Bundles are untrusted uploads: everything is read into memory under hard limits and
// nothing is ever written to disk.

import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { crc32 } from 'node:zlib';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { GatewayError } from '../errors.js';
import { bundleError, isSafeRelPath, parseManifest, type Manifest } from './manifest.js';
import type { VisualFlow } from '../flow/types.js';
import { parseFlowDocument, parseJsonFile } from './flow-document.js';
import { flowCostOffThread, OFF_THREAD_PARSE_BYTES } from './flow-parse-thread.js';
import { addCost, checkGraphCost, DEFAULT_GRAPH_LIMITS, NO_COST, type GraphLimits } from './graph-limits.js';

export interface BundleLimits {
  /** Largest `.flow` file accepted, in (compressed) bytes. */
  maxArchiveBytes: number;
  /** Most entries (files and directories) in an archive or directory. */
  maxEntries: number;
  /** Largest single file once uncompressed. */
  maxEntryBytes: number;
  /** Largest sum of all uncompressed files. */
  maxTotalBytes: number;
  /** Largest uncompressed:compressed ratio of an entry bigger than 64 KiB (zip-bomb guard). */
  maxCompressionRatio: number;
}

const MiB = 1024 * 1024;

// The archive cap matches the reference's upload cap (ABSTRACTGATEWAY_MAX_BUNDLE_BYTES, 75 MiB).
export const DEFAULT_BUNDLE_LIMITS: Readonly<BundleLimits> = Object.freeze({
  maxArchiveBytes: 75 * MiB,
  maxEntries: 2000,
  maxEntryBytes: 64 * MiB,
  maxTotalBytes: 256 * MiB,
  maxCompressionRatio: 100,
});

/** Small entries may legitimately compress very well (e.g. whitespace-heavy JSON). */
const RATIO_FLOOR_BYTES = 64 * 1024;

export interface BundleContents {
  manifest: Manifest;
  /** flow_id → VisualFlow document exactly as stored (not namespaced). */
  flows: Record<string, VisualFlow>;
  /** asset name (manifest.assets) → bytes. */
  assets: Record<string, Buffer>;
}

/** Random access to the files of a bundle, by safe relative path. */
interface BundleFiles {
  has(path: string): boolean;
  read(path: string): Promise<Buffer>;
}

/**
 * Read a bundle from zip bytes, a `.flow` file path or an unpacked bundle directory. Flows are
 * counted against `graph` as they are parsed: an over-limit bundle is refused (413) before the
 * event loop parses a large flow (flow-parse-thread.ts).
 */
export async function readBundle(source: Buffer | string, limits: Partial<BundleLimits> = {}, graph: GraphLimits = DEFAULT_GRAPH_LIMITS): Promise<BundleContents> {
  return withBundleFiles(source, limits, (files) => assemble(files, graph));
}

/** Only the validated manifest of a bundle (its flows are not read). */
export async function readBundleManifest(source: Buffer | string, limits: Partial<BundleLimits> = {}): Promise<Manifest> {
  return withBundleFiles(source, limits, readManifest);
}

async function withBundleFiles<T>(source: Buffer | string, limits: Partial<BundleLimits>, use: (files: BundleFiles) => Promise<T>): Promise<T> {
  const lim = { ...DEFAULT_BUNDLE_LIMITS, ...limits };
  if (Buffer.isBuffer(source)) return withZipFiles(source, lim, use);
  const info = await stat(source).catch((err: Error) => {
    throw bundleError(`Cannot open bundle '${source}': ${err.message}`);
  });
  if (info.isDirectory()) return use(await directoryFiles(source, lim));
  if (info.size > lim.maxArchiveBytes) throw tooLargeArchive(info.size, lim);
  return withZipFiles(await readFile(source), lim, use);
}

async function withZipFiles<T>(zipBytes: Buffer, lim: BundleLimits, use: (files: BundleFiles) => Promise<T>): Promise<T> {
  if (zipBytes.length > lim.maxArchiveBytes) throw tooLargeArchive(zipBytes.length, lim);
  const zip = await openZip(zipBytes);
  try {
    return await use(await zipFiles(zip, lim));
  } finally {
    zip.close();
  }
}

const tooLargeArchive = (size: number, lim: BundleLimits): GatewayError =>
  bundleError(`Bundle archive is too large: ${size} bytes (limit ${lim.maxArchiveBytes})`);

// ---------------------------------------------------------------------------------------
// Zip archives

function openZip(zipBytes: Buffer): Promise<ZipFile> {
  // decodeStrings:false → raw name bytes: we validate names ourselves (yauzl would silently
  // turn '\' into '/'); validateEntrySizes:false → our own size guard below reports clearly.
  const options = { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: false };
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zipBytes, options, (err, zip) => {
      if (err) reject(bundleError(`Not a valid .flow bundle (zip) archive: ${err.message}`));
      else resolve(zip);
    });
  });
}

function nextEntry(zip: ZipFile): Promise<Entry | null> {
  return new Promise((resolve, reject) => {
    const settle = (fn: () => void) => {
      zip.off('entry', onEntry).off('end', onEnd).off('error', onError);
      fn();
    };
    const onEntry = (entry: Entry) => settle(() => resolve(entry));
    const onEnd = () => settle(() => resolve(null));
    const onError = (err: Error) => settle(() => reject(bundleError(`Corrupt bundle archive: ${err.message}`)));
    zip.on('entry', onEntry).on('end', onEnd).on('error', onError);
    zip.readEntry();
  });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;

/** Check every entry header (names, types, declared sizes) before anything is inflated. */
async function zipFiles(zip: ZipFile, lim: BundleLimits): Promise<BundleFiles> {
  if (zip.entryCount > lim.maxEntries) {
    throw bundleError(`Bundle archive has too many entries: ${zip.entryCount} (limit ${lim.maxEntries})`);
  }
  const seen = new Set<string>();
  const files = new Map<string, Entry>();
  let declaredTotal = 0;
  for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) {
    const { path, isDir } = entryPath(entry);
    if (seen.has(path)) throw bundleError(`Bundle archive has a duplicate entry '${path}'`);
    seen.add(path);
    if (((entry.externalFileAttributes >>> 16) & S_IFMT) === S_IFLNK) {
      throw bundleError(`Bundle archive entry '${path}' is a symbolic link; links are not allowed`);
    }
    if (isDir) continue;
    if (entry.isEncrypted()) throw bundleError(`Bundle archive entry '${path}' is encrypted; encrypted bundles are not supported`);
    const size = entry.uncompressedSize;
    if (size > lim.maxEntryBytes) {
      throw bundleError(`Bundle archive entry '${path}' is too large: ${size} bytes uncompressed (limit ${lim.maxEntryBytes})`);
    }
    if (size > RATIO_FLOOR_BYTES && size > entry.compressedSize * lim.maxCompressionRatio) {
      throw bundleError(
        `Bundle archive entry '${path}' expands ${Math.round(size / Math.max(entry.compressedSize, 1))}x ` +
          `(limit ${lim.maxCompressionRatio}x); refusing a possible zip bomb`,
      );
    }
    declaredTotal += size;
    if (declaredTotal > lim.maxTotalBytes) {
      throw bundleError(`Bundle archive is too large once uncompressed: over ${lim.maxTotalBytes} bytes`);
    }
    files.set(path, entry);
  }
  return {
    has: (path) => files.has(path),
    read: async (path) => {
      const entry = files.get(path)!;
      const label = `Bundle archive entry '${path}'`;
      const stream = await openEntry(zip, entry, label);
      // Headers can lie, so the inflater is stopped the moment it produces more than the
      // declared size. yauzl feeds it exactly compressedSize input bytes, so the real size and
      // ratio can never exceed the declared ones that passed the limits above.
      const data = await collect(stream, entry.uncompressedSize, label, 'inflates beyond its declared size (corrupt or malicious archive)');
      if (data.length !== entry.uncompressedSize || crc32(data) !== entry.crc32) {
        throw bundleError(`${label} is corrupt (size or checksum mismatch)`);
      }
      return data;
    },
  };
}

function entryPath(entry: Entry): { path: string; isDir: boolean } {
  let name: string;
  try {
    name = utf8.decode(entry.fileName as unknown as Buffer); // a Buffer with decodeStrings:false
  } catch {
    throw bundleError('Bundle archive has an entry name that is not valid UTF-8');
  }
  const isDir = name.endsWith('/');
  const path = isDir ? name.slice(0, -1) : name;
  if (!isSafeRelPath(path)) {
    throw bundleError(
      `Bundle archive has an unsafe entry path ${JSON.stringify(name)}: ` +
        "absolute paths, drive letters, backslashes and '.'/'..' segments are not allowed",
    );
  }
  return { path, isDir };
}

function openEntry(zip: ZipFile, entry: Entry, label: string): Promise<Readable> {
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err) reject(bundleError(`${label} could not be read: ${err.message}`));
      else resolve(stream);
    });
  });
}

// ---------------------------------------------------------------------------------------
// Unpacked directories

async function directoryFiles(root: string, lim: BundleLimits): Promise<BundleFiles> {
  const files = new Map<string, { abs: string; size: number }>();
  let entries = 0;
  let total = 0;
  const walk = async (dir: string, prefix: string): Promise<void> => {
    for (const d of await readdir(dir, { withFileTypes: true })) {
      const path = prefix + d.name;
      const abs = join(dir, d.name);
      if (++entries > lim.maxEntries) throw bundleError(`Bundle directory has too many entries (limit ${lim.maxEntries})`);
      if (!isSafeRelPath(path)) throw bundleError(`Bundle directory has an unsafe file name ${JSON.stringify(path)}`);
      if (d.isSymbolicLink()) throw bundleError(`Bundle directory entry '${path}' is a symbolic link; links are not allowed`);
      if (d.isDirectory()) {
        await walk(abs, `${path}/`);
        continue;
      }
      if (!d.isFile()) throw bundleError(`Bundle directory entry '${path}' is not a regular file`);
      const { size } = await stat(abs);
      if (size > lim.maxEntryBytes) throw bundleError(`Bundle file '${path}' is too large: ${size} bytes (limit ${lim.maxEntryBytes})`);
      total += size;
      if (total > lim.maxTotalBytes) throw bundleError(`Bundle directory is too large: over ${lim.maxTotalBytes} bytes`);
      files.set(path, { abs, size });
    }
  };
  await walk(root, '');
  return {
    has: (path) => files.has(path),
    read: async (path) => {
      const { abs, size } = files.get(path)!;
      return collect(createReadStream(abs, { end: size }), size, `Bundle file '${path}'`, 'changed while it was being read');
    },
  };
}

// ---------------------------------------------------------------------------------------
// Shared

/**
 * Read a stream fully, failing (and destroying it) as soon as it yields more than `cap` bytes.
 * Chunks are copied into one buffer of `cap` bytes as they come: concatenating a 45 MB file at
 * the end would be one long copy on the event loop.
 */
async function collect(stream: Readable, cap: number, label: string, overflowReason: string): Promise<Buffer> {
  const data = Buffer.allocUnsafe(cap);
  let size = 0;
  try {
    for await (const chunk of stream) {
      if (size + (chunk as Buffer).length > cap) throw bundleError(`${label} ${overflowReason}`);
      size += (chunk as Buffer).copy(data, size);
    }
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw bundleError(`${label} could not be read: ${(err as Error).message}`);
  }
  return data.subarray(0, size);
}

/** manifest.json is a short list of files and entrypoints; a larger one is refused unparsed. */
const MANIFEST_MAX_BYTES = 1024 * 1024;

async function readManifest(files: BundleFiles): Promise<Manifest> {
  if (!files.has('manifest.json')) throw bundleError('manifest.json is missing: a .flow bundle needs manifest.json at its root');
  const bytes = await files.read('manifest.json');
  if (bytes.length > MANIFEST_MAX_BYTES) throw bundleError(`manifest.json is too large: ${bytes.length} bytes (limit ${MANIFEST_MAX_BYTES})`);
  return parseManifest(parseJsonFile(bytes, 'manifest.json'));
}

async function assemble(files: BundleFiles, graph: GraphLimits): Promise<BundleContents> {
  const manifest = await readManifest(files);
  const ref = `${manifest.bundle_id}@${manifest.bundle_version}`;
  const flows: [string, VisualFlow][] = [];
  let cost = NO_COST;
  for (const [flowId, path] of Object.entries(manifest.flows)) {
    let bytes = await readListed(files, path, `flows['${flowId}']`);
    if (bytes.length >= OFF_THREAD_PARSE_BYTES) {
      const counted = await flowCostOffThread(bytes, path);
      checkGraphCost(ref, addCost(cost, counted.cost), graph);
      bytes = counted.bytes;
    }
    const parsed = parseFlowDocument(bytes, path);
    cost = addCost(cost, parsed.cost);
    checkGraphCost(ref, cost, graph);
    flows.push([flowId, parsed.flow]);
  }
  const assets: [string, Buffer][] = [];
  for (const [name, path] of Object.entries(manifest.assets)) {
    assets.push([name, await readListed(files, path, `assets['${name}']`)]);
  }
  // fromEntries: ids come from the upload; a '__proto__' key must stay a plain own property.
  return { manifest, flows: Object.fromEntries(flows), assets: Object.fromEntries(assets) };
}

async function readListed(files: BundleFiles, path: string, field: string): Promise<Buffer> {
  if (!files.has(path)) throw bundleError(`manifest.${field} points to '${path}', which is not in the bundle`);
  return files.read(path);
}
