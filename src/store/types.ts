// The one storage contract. SQLite implements it now, PostgreSQL later; both must pass
// the conformance suite in test/store/.
//
// Every data access goes through a RuntimeStore obtained from Store.scope(runtimeId):
// there is no query that can forget the runtime scope.

import type { CommandRecord } from '../model/command.js';
import type { JsonObject, RunState, RunStatus, StepRecord, WaitReason } from '../model/run.js';
import type { Clock } from '../model/time.js';
import type { Notifier } from './notifier.js';
import type { StoreHealth } from './write-health.js';

/** A run as persisted: the checkpoint plus the columns the store maintains for it. */
export interface StoredRun {
  run: RunState;
  /** Incremented on every write; updates must name the version they read (optimistic concurrency). */
  version: number;
  /** Number of ledger records of this run (= last seq). */
  ledger_len: number;
  lease_owner: string | null;
  lease_epoch: number;
}

/** What changes whenever a run's stored state or its ledger does: enough to revalidate a cached view. */
export type RunStamp = Pick<StoredRun, 'version' | 'ledger_len'>;

export interface RunListQuery {
  status?: RunStatus;
  workflow_id?: string;
  session_id?: string;
  parent_run_id?: string;
  root_only?: boolean;
  /** Only runs updated strictly before this instant (paging cursor, ISO). */
  before_updated_at?: string;
  limit?: number;
}

export interface LedgerPage {
  items: StepRecord[];
  next_after: number;
}

/** A ledger page as the stored JSON text of each record (for callers that only forward it). */
export interface LedgerJsonPage {
  json: string[];
  next_after: number;
}

/** What a client submits; the store assigns seq and tracks the outcome. */
export type NewCommand = Pick<CommandRecord, 'command_id' | 'run_id' | 'type' | 'payload' | 'ts' | 'client_id'>;

export type SubmitResult =
  | { accepted: true; duplicate: false; seq: number }
  | { accepted: false; duplicate: true; seq: number }
  /** Same command_id was used before with a different run_id/type/payload. */
  | { accepted: false; duplicate: false; conflict: true; seq: number };

export interface Claim {
  run_id: string;
  lease_epoch: number;
}

/** Thrown by updateRun when the stored version differs from the expected one. */
export class VersionConflict extends Error {
  constructor(readonly runId: string) {
    super(`Run '${runId}' was modified concurrently`);
    this.name = 'VersionConflict';
  }
}

/** Thrown by updateRun when a fenced write names a lease the caller no longer holds. */
export class LeaseLost extends Error {
  constructor(readonly runId: string) {
    super(`Lease on run '${runId}' was lost`);
    this.name = 'LeaseLost';
  }
}

export interface Fence {
  owner: string;
  epoch: number;
}

export interface UpdateRunOptions {
  /** Write only while holding this lease (else LeaseLost). */
  fence?: Fence;
  /** Clear the lease in the same write. */
  releaseLease?: boolean;
  /**
   * A run handed back while still runnable (its tick used up its slice) queues as if it became
   * runnable at this instant: behind every run already waiting, so a spinning run cannot keep
   * its place at the head of the claim order.
   */
  requeueAtMs?: number;
}

/**
 * Operations available inside one atomic transaction. Nothing is visible to other
 * readers until the transaction commits; if the callback throws, nothing is written.
 * Callbacks must not await outside I/O (LLM calls, sleeps): only these methods.
 */
export interface StoreTx {
  /** Now, on the store's clock: every timestamp a transaction writes takes it from here. */
  nowIso(): string;
  getRun(runId: string): Promise<StoredRun | null>;
  insertRun(run: RunState): Promise<void>;
  /**
   * Write a new checkpoint. Throws VersionConflict if the stored version is not
   * `expectedVersion`; with `fence`, throws LeaseLost unless the lease owner/epoch match.
   * `releaseLease` clears the lease in the same write; `requeueAtMs` sends a runnable run to the
   * back of the claim order. Returns the new version.
   */
  updateRun(run: RunState, expectedVersion: number, opts?: UpdateRunOptions): Promise<number>;
  /** Append records to a run's ledger, assigning seq ledger_len+1…; returns the last seq. */
  appendLedger(runId: string, records: StepRecord[]): Promise<number>;
  /** First `completed` ledger record of the run carrying this idempotency key. */
  findCompletedRecord(runId: string, idempotencyKey: string): Promise<StepRecord | null>;
  /** Last `waiting` record of the run whose result.wait.wait_key equals waitKey. */
  findWaitingRecord(runId: string, waitKey: string): Promise<StepRecord | null>;
  /** Waiting, non-terminal runs with the given wait reason and one of the keys. */
  findWaitingRuns(reason: WaitReason, waitKeys: string[], limit: number): Promise<StoredRun[]>;
  /** Direct children of a run, oldest first. */
  listChildren(parentRunId: string): Promise<StoredRun[]>;
  /** Record the outcome of a command (exactly once: throws if it is no longer pending). */
  settleCommand(seq: number, state: 'applied' | 'rejected', reason: string | null, appliedAt: string): Promise<void>;
}

export interface RuntimeStore {
  readonly runtimeId: string;
  /** Run `fn` atomically. Concurrent transactions may be committed together (group commit). */
  tx<T>(fn: (tx: StoreTx) => Promise<T>): Promise<T>;

  getRun(runId: string): Promise<StoredRun | null>;
  /** The run's version and ledger length without its state (a point read, no JSON to parse). */
  getRunStamp(runId: string): Promise<RunStamp | null>;
  listRuns(q: RunListQuery): Promise<StoredRun[]>;
  readLedger(runId: string, after: number, limit: number): Promise<LedgerPage>;
  /** The same page as readLedger, unparsed: JSON.parse of each entry equals the record. */
  readLedgerJson(runId: string, after: number, limit: number): Promise<LedgerJsonPage>;

  submitCommand(c: NewCommand): Promise<SubmitResult>;
  getCommand(commandId: string): Promise<CommandRecord | null>;
  /** Pending commands in seq order. */
  pendingCommands(limit: number): Promise<CommandRecord[]>;

  /**
   * Lease up to `limit` runnable runs to `owner` for `leaseMs`: running and not paused, or
   * waiting on a timer that is due at `nowMs` (paused runs are never runnable).
   * Expired leases are taken over; each claim increments lease_epoch.
   */
  claimRunnable(owner: string, leaseMs: number, limit: number, nowMs: number): Promise<Claim[]>;
  renewLease(runId: string, fence: Fence, leaseMs: number, nowMs: number): Promise<boolean>;
  releaseLease(runId: string, fence: Fence): Promise<void>;
  /**
   * Earliest instant (ms) at which claimRunnable could return a run: a runnable run's due time
   * (0 = now, or its timer) when its lease is free, else the later of that and its lease expiry
   * (so a crashed runner's runs are taken over on time). May lie in the past; null if nothing
   * is runnable.
   */
  nextWakeAt(): Promise<number | null>;

  artifacts: ArtifactStore;
}

export interface ArtifactMetadata {
  artifact_id: string;
  blob_id: string;
  content_type: string;
  size_bytes: number;
  created_at: string;
  run_id: string | null;
  tags: Record<string, string>;
  metadata: JsonObject;
}

export interface ArtifactStore {
  /** Store bytes (content-addressed blob + metadata row). Idempotent for the same id. */
  put(content: Uint8Array, o: { content_type?: string; run_id?: string | null; tags?: Record<string, string>; metadata?: JsonObject; artifact_id?: string }): Promise<ArtifactMetadata>;
  get(artifactId: string): Promise<{ metadata: ArtifactMetadata; content: Buffer } | null>;
  getMetadata(artifactId: string): Promise<ArtifactMetadata | null>;
  listByRun(runId: string): Promise<ArtifactMetadata[]>;
}

export interface Store {
  scope(runtimeId: string): RuntimeStore;
  /** Hosted mode's users, runtime reservations and browser sessions (one registry for every API node). */
  readonly users: UsersStore;
  /** Deletes everything of one runtime scope (runs, ledgers, commands, artifact rows): purging a retained runtime. */
  purgeScope(runtimeId: string): Promise<void>;
  /** Where the store publishes its post-commit hints; runners and ledger streams listen here. */
  readonly notifier: Notifier;
  /** The process clock (injected by the composition root): timestamps, timers, leases. */
  readonly clock: Clock;
  /** Whether writes currently reach the disk (probes when its knowledge is stale): /api/health. */
  writeHealth(): Promise<StoreHealth>;
  /** Closes the store (not the notifier, which its creator owns). */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Users registry and browser sessions (hosted mode; spec security §3–§4). Kept apart from the
// run data: not scoped by runtime (the registry decides the scopes), small, and all a backend
// needs to implement for hosted mode. Ids arrive already normalised (model/principal.ts
// safeComponent); timestamps are ISO strings written by the caller.

export interface UserRow {
  tenant_id: string;
  user_id: string;
  email: string;
  roles: string[];
  scopes: string[];
  enabled: boolean;
  /** Effective runtime id (never empty); unique per tenant, compared case-insensitively. */
  runtime_id: string;
  /** `sha256$<hex>` (indexed, unique) or an imported reference `pbkdf2_sha256$…` hash. */
  token_hash: string;
  created_at: string;
  updated_at: string;
}

/** A runtime id kept for its former owner (deleted user, reassigned or transferred runtime). */
export interface ReservationRow {
  tenant_id: string;
  runtime_id: string;
  owner_key: string;
  owner_user_id: string;
  reason: 'deleted-user' | 'runtime-reassigned' | 'runtime-transferred' | 'purging' | string;
  created_at: string;
  updated_at: string;
}

/** A browser session; only hashes of its id and CSRF token are stored. */
export interface SessionRow {
  session_hash: string;
  tenant_id: string;
  user_id: string;
  csrf_hash: string;
  /** credentialFingerprint(user.token_hash) at login: a rotated token no longer matches. */
  credential_fingerprint: string;
  token_fingerprint: string;
  remember: boolean;
  created_at: string;
  expires_at_ms: number;
  last_seen_ms: number;
}

/** Registry operations inside one atomic transaction (same rules as StoreTx: await only these). */
export interface UsersTx {
  getUser(tenantId: string, userId: string): Promise<UserRow | null>;
  /** The user of this tenant whose runtime id equals `runtimeId` ignoring case, if any. */
  userByRuntime(tenantId: string, runtimeId: string): Promise<UserRow | null>;
  userByTokenHash(tokenHash: string): Promise<UserRow | null>;
  /** Insert or replace the user keyed by (tenant_id, user_id). */
  putUser(user: UserRow): Promise<void>;
  deleteUser(tenantId: string, userId: string): Promise<boolean>;
  /** By (tenant_id, runtime_id ignoring case). */
  getReservation(tenantId: string, runtimeId: string): Promise<ReservationRow | null>;
  putReservation(r: ReservationRow): Promise<void>;
  deleteReservation(tenantId: string, runtimeId: string): Promise<boolean>;
  /** Revokes every session of the user; returns how many there were. */
  deleteSessionsOf(tenantId: string, userId: string): Promise<number>;
}

export interface UsersStore {
  tx<T>(fn: (tx: UsersTx) => Promise<T>): Promise<T>;
  getUser(tenantId: string, userId: string): Promise<UserRow | null>;
  /** O(1): through the unique index on token_hash. */
  userByTokenHash(tokenHash: string): Promise<UserRow | null>;
  /** Every user, ordered by (tenant_id, user_id). */
  listUsers(): Promise<UserRow[]>;
  countUsers(): Promise<number>;
  /** Ordered by (tenant_id, runtime_id). */
  listReservations(): Promise<ReservationRow[]>;
  /**
   * Store a new session; in the same transaction drop sessions expired at `nowMs` and keep only
   * the user's `perUserCap` most recently seen (one user cannot evict everyone else's).
   */
  insertSession(s: SessionRow, perUserCap: number, nowMs: number): Promise<void>;
  getSession(sessionHash: string): Promise<SessionRow | null>;
  touchSession(sessionHash: string, lastSeenMs: number): Promise<void>;
  deleteSession(sessionHash: string): Promise<boolean>;
}
