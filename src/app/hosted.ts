// Hosted mode in the composition root (spec security §2.6, §3): the users registry and sessions
// over the store, and one data plane per user runtime, opened on first use and cached. A plane
// is stopped and forgotten when its runtime is transferred, purged, or its user disabled or
// deleted, so its runner does not outlive the account (spec §8 W13).

import { rm, stat } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { Config } from '../config/config.js';
import { invalid, conflict } from '../errors.js';
import type { DataPlane, HostedServices } from '../gateway/plane.js';
import { runtimeScopeOf } from '../gateway/routing.js';
import { SessionService } from '../gateway/sessions.js';
import { ensureBootstrapAdmin, importReferenceUsers } from '../gateway/users-bootstrap.js';
import { UsersRegistry } from '../gateway/users.js';
import { safeComponent, type GatewayPrincipal } from '../model/principal.js';
import type { Store } from '../store/types.js';

export type PlaneOpener = (scope: { key: string; dir: string }) => Promise<DataPlane>;

export class HostedPlanes implements HostedServices {
  readonly users: UsersRegistry;
  readonly sessions: SessionService;
  private readonly planes = new Map<string, Promise<DataPlane>>();
  private readonly usersDir: string;

  constructor(
    private readonly c: Config,
    private readonly store: Store,
    private readonly root: DataPlane,
    private readonly open: PlaneOpener,
  ) {
    this.users = new UsersRegistry(store.users, store.clock);
    this.sessions = new SessionService(this.users, store.users, store.clock, c.hosted);
    this.usersDir = join(c.dataDir, 'users');
  }

  get config() {
    return this.c.hosted;
  }

  /** Imports a reference users.json into an empty registry; returns how many users came in. */
  importReferenceUsers(): Promise<number> {
    return importReferenceUsers(this.users, this.c.hosted.usersFile, this.store.clock.nowMs());
  }

  async bootstrapAdmin(token: string): Promise<boolean> {
    return (await ensureBootstrapAdmin(this.users, token)).created;
  }

  planeFor(p: GatewayPrincipal | null): DataPlane | Promise<DataPlane> {
    if (!p) return this.root;
    const scope = runtimeScopeOf(p, this.c.hosted.adminUsesDefaultRuntime);
    if (scope === 'root') return this.root;
    let plane = this.planes.get(scope.key);
    if (!plane) {
      plane = this.open({ key: scope.key, dir: this.runtimeDir(scope.tenantId, scope.runtimeId) });
      this.planes.set(scope.key, plane);
      plane.catch(() => this.planes.delete(scope.key)); // a failed open is retried by the next request
    }
    return plane;
  }

  runtimeDir(tenantId: string, runtimeId: string): string {
    const dir = resolve(this.usersDir, safeComponent(tenantId), safeComponent(runtimeId));
    const rel = relative(this.usersDir, dir);
    if (!rel || rel.startsWith('..') || rel.split(sep).length !== 2) throw invalid('Invalid retained runtime path');
    return dir;
  }

  async invalidate(tenantId: string, runtimeId: string): Promise<void> {
    const key = `${safeComponent(tenantId)}:${safeComponent(runtimeId)}`;
    const plane = this.planes.get(key);
    if (!plane) return;
    this.planes.delete(key);
    await (await plane.catch(() => null))?.runtime.stop();
  }

  async purgeRuntime(tenantId: string, runtimeId: string): Promise<{ deletedData: boolean; dataPath: string }> {
    const dataPath = this.runtimeDir(tenantId, runtimeId);
    await this.invalidate(tenantId, runtimeId);
    const st = await stat(dataPath).catch(() => null);
    if (st && !st.isDirectory()) throw conflict(`Retained runtime path is not a directory: ${dataPath}`);
    await this.store.purgeScope(`${safeComponent(tenantId)}:${safeComponent(runtimeId)}`);
    if (st) await rm(dataPath, { recursive: true, force: true });
    return { deletedData: true, dataPath };
  }

  /** Stops every user plane's runner. */
  async close(): Promise<void> {
    const planes = [...this.planes.values()];
    this.planes.clear();
    await Promise.all(planes.map(async (p) => (await p.catch(() => null))?.runtime.stop()));
  }
}
