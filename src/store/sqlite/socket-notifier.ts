// Cross-process wake-up hints for processes sharing one SQLite data dir (e.g. an API process and a
// separate runner). SQLite has no LISTEN/NOTIFY, so without this a process sees another one's
// commits only through its fallback poll (~250 ms). Here every process listens on its own Unix
// socket in a shared directory and sends its coalesced hints to every other socket found there, as
// newline-delimited JSON (one hint per line; JSON escapes any character a run id may contain).
//
// Hints stay hints (see ../notifier.ts): publish never throws and never waits; a dead, slow or
// unreachable peer only loses hints, and its consumers keep their fallback poll. Hints received
// from a peer go to local listeners only, never on to other peers. Nothing here keeps the process
// alive: the server, the sockets, the timers and the directory watcher are all unref'd.

import { createHash, randomBytes } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { chmod, lstat, mkdir, readdir, realpath, unlink } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { coalesce, LocalNotifier, type Hint, type HintListeners, type Notifier } from '../notifier.js';

export interface SocketNotifierOptions {
  /** How often the directory is listed again, to find peers a missed watch event hid and to retry refused ones (default 2,000 ms). */
  rescanMs?: number;
  /** Longest line (in characters) accepted from a peer; a peer sending a longer one is disconnected (default 64 Ki). */
  maxLineLength?: number;
  /** A peer whose socket already buffers this many bytes (it is not reading) gets no more hints until it drains (default 1 MiB). */
  maxBufferedBytes?: number;
}

/** `<pid>-<8 hex>.sock`: the pid tells whether a socket nobody listens on is stale. */
const SOCKET_NAME = /^(\d+)-[0-9a-f]{8}\.sock$/;
/** The longest name we create (10-digit pid), so that every process picks the same directory. */
const LONGEST_NAME = '0123456789-01234567.sock';
/** sun_path holds 108 bytes on Linux and 104 on the BSDs and macOS, including the final NUL. */
const SUN_PATH_MAX = process.platform === 'linux' ? 107 : 103;
/** A socket refused again this long after a first refusal is stale even if its pid is in use. */
const REFUSED_GRACE_MS = 1_000;
/** Delay that gathers a burst of directory events (or peer failures) into one listing. */
const RESCAN_DEBOUNCE_MS = 20;

/**
 * The directory where the processes sharing `dataDir` meet: `<dataDir>/notify`, or, when a socket
 * path there would not fit in sun_path, `<tmpdir>/agw-notify-<hash of the data dir's realpath>`
 * (`/tmp/…` if even that is too long). Every process computes the same answer for the same data dir.
 */
export async function notifyDir(dataDir: string): Promise<string> {
  await mkdir(dataDir, { recursive: true });
  const real = await realpath(dataDir);
  const fits = (dir: string): boolean => Buffer.byteLength(join(dir, LONGEST_NAME)) <= SUN_PATH_MAX;
  const inDataDir = join(real, 'notify');
  if (fits(inDataDir)) return inDataDir;
  const name = `agw-notify-${createHash('sha256').update(real).digest('hex').slice(0, 16)}`;
  for (const base of [tmpdir(), '/tmp']) if (fits(join(base, name))) return join(base, name);
  throw new Error(`No directory for notification sockets fits in sun_path (data dir ${real}, tmpdir ${tmpdir()})`);
}

/** Opens a notifier that exchanges hints with every other process that opened one on `dataDir`. */
export async function openSocketNotifier(dataDir: string, opts: SocketNotifierOptions = {}): Promise<SocketNotifier> {
  return SocketNotifier.open(await notifyDir(dataDir), opts);
}

export class SocketNotifier implements Notifier {
  private readonly local = new LocalNotifier();
  /** Outgoing connections (we only write to them), by the peer's socket file name. */
  private readonly peers = new Map<string, Socket>();
  /** Incoming connections (we only read from them). */
  private readonly incoming = new Set<Socket>();
  /** Socket files that refused a connection although their pid is in use: when that first happened. */
  private readonly refusedAt = new Map<string, number>();
  private readonly rescanMs: number;
  private readonly maxLine: number;
  private readonly maxBuffered: number;
  private server: Server | undefined;
  private name = '';
  private pending: Hint[] = [];
  private flushScheduled = false;
  private watcher: FSWatcher | undefined;
  private interval: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private scan: Promise<void> | undefined;
  private scanAgain = false;
  private closed = false;

  /** Use `openSocketNotifier(dataDir)`; this takes the socket directory itself (see `notifyDir`). */
  static async open(dir: string, opts: SocketNotifierOptions = {}): Promise<SocketNotifier> {
    const n = new SocketNotifier(dir, opts);
    try {
      await n.listen();
      n.watchDir();
      n.interval = setInterval(() => void n.rescan(), n.rescanMs).unref();
      await n.rescan(); // connected (or not) to every peer already there before we return
      return n;
    } catch (err) {
      await n.close();
      throw err;
    }
  }

  private constructor(
    /** The directory holding the sockets of every process sharing the data dir. */
    readonly dir: string,
    opts: SocketNotifierOptions,
  ) {
    this.rescanMs = opts.rescanMs ?? 2_000;
    this.maxLine = opts.maxLineLength ?? 64 * 1024;
    this.maxBuffered = opts.maxBufferedBytes ?? 1024 * 1024;
  }

  /** This process's socket. */
  get socketPath(): string {
    return join(this.dir, this.name);
  }

  /** Socket file names of the peers hints are currently sent to (connected or connecting). */
  get peerNames(): string[] {
    return [...this.peers.keys()];
  }

  on<K extends keyof HintListeners>(kind: K, fn: HintListeners[K]): () => void {
    return this.local.on(kind, fn);
  }

  publish(hints: Hint[]): void {
    this.local.publish(hints);
    if (this.closed || this.peers.size === 0 || hints.length === 0) return;
    for (const h of hints) this.pending.push(h);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush(); // hints published just before close still go out
    this.closed = true;
    clearInterval(this.interval);
    clearTimeout(this.debounce);
    this.watcher?.close();
    for (const s of this.peers.values()) s.end(() => s.destroy());
    this.peers.clear();
    for (const s of this.incoming) s.destroy();
    const server = this.server;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    if (this.name) await unlink(this.socketPath).catch(() => {}); // normally already done by server.close()
    await this.local.close();
  }

  /** One write per peer per event-loop turn: everything published in the turn, coalesced, serialized once. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0 || this.closed) return;
    const hints = coalesce(this.pending);
    this.pending = [];
    let data = '';
    for (const h of hints) {
      const line = JSON.stringify(h);
      if (line.length <= this.maxLine) data += line + '\n'; // a peer would drop it anyway
    }
    if (data === '') return;
    for (const s of this.peers.values()) {
      if (s.destroyed || s.writableLength > this.maxBuffered) continue; // gone or not reading: it loses this batch
      try {
        s.write(data);
      } catch {
        // write errors arrive as 'error' events; this only guards the event loop
      }
    }
  }

  /** fs.watch tells us at once when a peer creates or removes its socket; periodic listings catch what it misses. */
  private watchDir(): void {
    this.watcher?.close();
    this.watcher = undefined;
    try {
      const w = watch(this.dir, { persistent: false }, () => this.scheduleRescan());
      w.on('error', () => w.close()); // e.g. the directory was removed: periodic listings remain
      this.watcher = w;
    } catch {
      // no fs.watch here (some network or container filesystems): periodic listings only
    }
  }

  /** Listens on a new socket file (at start, or when ours was removed from the directory). */
  private async listen(): Promise<void> {
    await ensurePrivateDir(this.dir);
    const name = `${process.pid}-${randomBytes(4).toString('hex')}.sock`;
    const server = createServer((s) => this.accept(s));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(join(this.dir, name), () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => {}); // accept errors (e.g. EMFILE) must not crash the process
    server.unref();
    if (this.closed) return void server.close();
    const old = this.server;
    this.server = server;
    this.name = name;
    old?.close(); // its accepted connections stay open until their peers drop them
  }

  private accept(s: Socket): void {
    if (this.closed) return void s.destroy();
    s.unref();
    s.setEncoding('utf8'); // multi-byte characters split across chunks are reassembled
    this.incoming.add(s);
    let partial = '';
    s.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop()!;
      if (partial.length > this.maxLine) return void s.destroy(); // a line that never ends: a broken or hostile peer
      const hints: Hint[] = [];
      for (const line of lines) {
        const h = line.length <= this.maxLine ? parseHint(line) : undefined;
        if (h) hints.push(h);
      }
      if (hints.length > 0) this.local.publish(hints); // local listeners only: never forwarded to peers
    });
    s.on('error', () => {});
    s.on('close', () => this.incoming.delete(s));
  }

  /** Resolves once the connection is established or has failed. */
  private connect(name: string): Promise<void> {
    return new Promise((resolve) => {
      const s = createConnection(join(this.dir, name));
      s.unref();
      this.peers.set(name, s); // writes made while connecting are buffered
      let connected = false;
      s.on('connect', () => {
        connected = true;
        this.refusedAt.delete(name);
        resolve();
      });
      s.on('error', (err: NodeJS.ErrnoException) => {
        if (!connected && err.code === 'ECONNREFUSED') void this.refused(name);
      });
      s.on('close', () => {
        if (this.peers.get(name) === s) this.peers.delete(name);
        resolve();
        if (connected) this.scheduleRescan(); // the peer went away: reconnect, or find its file stale
      });
      s.resume(); // peers never write back; reading lets us see their end of the connection at once
    });
  }

  /** Nobody listens on `name`: unlink it if its process is dead, or if it already refused a while ago. */
  private async refused(name: string): Promise<void> {
    const pid = Number(SOCKET_NAME.exec(name)?.[1]);
    const first = this.refusedAt.get(name);
    if (pidAlive(pid) && (first === undefined || Date.now() - first < REFUSED_GRACE_MS)) {
      // Another pid namespace, a reused pid, or (for microseconds) a peer between bind and listen.
      if (first === undefined) this.refusedAt.set(name, Date.now());
      return;
    }
    this.refusedAt.delete(name);
    await unlink(join(this.dir, name)).catch(() => {});
  }

  private scheduleRescan(): void {
    if (this.closed || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.rescan();
    }, RESCAN_DEBOUNCE_MS).unref();
  }

  /** Lists the directory and makes the connections match it; never rejects. */
  private rescan(): Promise<void> {
    if (this.scan) {
      this.scanAgain = true; // something changed while listing: list once more afterwards
      return this.scan;
    }
    const run = async (): Promise<void> => {
      try {
        do {
          this.scanAgain = false;
          await this.scanOnce();
        } while (this.scanAgain && !this.closed);
      } catch {
        // e.g. the directory cannot be recreated: the next periodic listing tries again
      } finally {
        this.scan = undefined;
      }
    };
    return (this.scan = run());
  }

  private async scanOnce(): Promise<void> {
    if (this.closed) return;
    const names = new Set((await readdir(this.dir).catch(ifMissing([] as string[]))).filter((n) => SOCKET_NAME.test(n)));
    if (this.closed) return;
    // Our file was removed (a tmp cleaner, `rm -r`): peers cannot find us any more, so make a new one.
    if (!names.has(this.name)) {
      await this.listen();
      this.watchDir(); // the directory may be a new one
      if (this.closed) return;
    }
    for (const [name, s] of this.peers) {
      if (!names.has(name)) {
        this.peers.delete(name); // its file is gone: the peer left, or moved to a new socket
        s.end(() => s.destroy());
      }
    }
    const attempts: Promise<void>[] = [];
    for (const name of names) if (name !== this.name && !this.peers.has(name)) attempts.push(this.connect(name));
    await Promise.all(attempts);
  }
}

/** Creates `dir` (mode 0700) or checks an existing one: a real directory of ours, private. */
async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const st = await lstat(dir);
  if (!st.isDirectory()) throw new Error(`Notification socket directory ${dir} is not a directory`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new Error(`Notification socket directory ${dir} belongs to another user (uid ${st.uid})`);
  if ((st.mode & 0o077) !== 0) await chmod(dir, 0o700);
}

function ifMissing<T>(value: T): (err: NodeJS.ErrnoException) => T {
  return (err) => {
    if (err.code === 'ENOENT') return value;
    throw err;
  };
}

function pidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** A hint from a peer's line, or undefined for anything malformed. */
function parseHint(line: string): Hint | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const { kind, runtimeId, runId, lastSeq } = v as Record<string, unknown>;
  if (typeof runtimeId !== 'string') return undefined;
  if (kind === 'runnable' || kind === 'command') return { kind, runtimeId };
  if (kind === 'ledger' && typeof runId === 'string' && typeof lastSeq === 'number' && Number.isSafeInteger(lastSeq)) {
    return { kind, runtimeId, runId, lastSeq };
  }
  return undefined;
}
