// Workflow deprecations (spec core-api §2.4): keyed by (bundle_id, flow_id | "*"), applying to
// every version, persisted in <DATA_DIR>/workflow_deprecations.json.

import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../model/time.js';

export interface Deprecation {
  deprecated_at: string;
  reason?: string;
}

interface FileShape {
  version: 1;
  bundles: Record<string, Record<string, Deprecation>>;
}

export const WILDCARD = '*';

export class Deprecations {
  private data: FileShape = { version: 1, bundles: {} };
  private readonly file: string;

  constructor(
    dataDir: string,
    private readonly clock: Clock,
  ) {
    this.file = join(dataDir, 'workflow_deprecations.json');
    try {
      const parsed = JSON.parse(readFileSync(this.file, 'utf8'));
      if (parsed && typeof parsed.bundles === 'object' && parsed.bundles !== null) this.data = { version: 1, bundles: parsed.bundles };
    } catch {
      // Missing or unreadable file: nothing is deprecated.
    }
  }

  /** The record for this flow, or the bundle-wide wildcard record. */
  get(bundleId: string, flowId: string): Deprecation | undefined {
    const b = this.data.bundles[bundleId];
    return b?.[flowId] ?? b?.[WILDCARD];
  }

  deprecate(bundleId: string, flowId: string, reason?: string): Deprecation {
    const rec: Deprecation = { deprecated_at: new Date(this.clock.nowMs()).toISOString(), ...(reason ? { reason } : {}) };
    (this.data.bundles[bundleId] ??= {})[flowId] = rec;
    this.save();
    return rec;
  }

  undeprecate(bundleId: string, flowId: string): boolean {
    const b = this.data.bundles[bundleId];
    if (!b || !(flowId in b)) return false;
    delete b[flowId];
    if (Object.keys(b).length === 0) delete this.data.bundles[bundleId];
    this.save();
    return true;
  }

  private save(): void {
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(this.data, null, 2));
    renameSync(tmp, this.file);
  }
}
