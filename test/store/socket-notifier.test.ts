import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';

import type { Hint } from '../../src/store/notifier.js';
import { notifyDir, openSocketNotifier, type SocketNotifier } from '../../src/store/sqlite/socket-notifier.js';

const PEER = new URL('./socket-notifier-peer.js', import.meta.url).pathname;
const TIMEOUT_MS = 10_000;

const cleanup: Array<() => unknown> = [];
after(async () => {
  for (const fn of cleanup.reverse()) await fn();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ag-notify-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

async function open(dataDir: string): Promise<SocketNotifier> {
  const n = await openSocketNotifier(dataDir, { rescanMs: 200 });
  cleanup.push(() => n.close());
  return n;
}

/** Every hint a notifier's listeners see, in order, as Hint objects. */
function record(n: SocketNotifier): Hint[] {
  const seen: Hint[] = [];
  n.on('ledger', (runtimeId, runId, lastSeq) => seen.push({ kind: 'ledger', runtimeId, runId, lastSeq }));
  n.on('runnable', (runtimeId) => seen.push({ kind: 'runnable', runtimeId }));
  n.on('command', (runtimeId) => seen.push({ kind: 'command', runtimeId }));
  return seen;
}

/** Resolves when `n` hears `command` for `runtimeId`; rejects after a generous timeout. */
function heard(n: SocketNotifier, runtimeId: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no command hint for ${runtimeId} within ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    const off = n.on('command', (rt) => {
      if (rt !== runtimeId) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

/** Publishes `command(runtimeId)` from `from` until `arrived` settles: a peer found by a later directory listing may miss the first ones. */
async function publishUntil(from: { publish(h: Hint[]): void }, runtimeId: string, arrived: Promise<void>): Promise<void> {
  const send = (): void => from.publish([{ kind: 'command', runtimeId }]);
  send();
  const timer = setInterval(send, 50);
  try {
    await arrived;
  } finally {
    clearInterval(timer);
  }
}

async function until(what: string, cond: () => boolean): Promise<void> {
  const deadline = Date.now() + TIMEOUT_MS;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `p`, or a rejection after a generous timeout (never hang the suite). */
function within<T>(what: string, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), TIMEOUT_MS)));
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/** A child process running socket-notifier-peer.js in serve mode. */
interface Peer {
  child: ChildProcess;
  socketPath: string;
  /** Resolves when the child reports receiving command(runtimeId). */
  heard(runtimeId: string): Promise<void>;
  got: Hint[];
  publish(hints: Hint[]): void;
  exited: Promise<number | null>;
}

async function spawnPeer(dataDir: string): Promise<Peer> {
  const child = spawn(process.execPath, [PEER, dataDir], { stdio: ['pipe', 'pipe', 'inherit'] });
  cleanup.push(() => child.kill('SIGKILL'));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const got: Hint[] = [];
  const waiters: Array<() => void> = [];
  let ready!: (path: string) => void;
  const readyP = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('peer did not start')), TIMEOUT_MS);
    void exited.then(() => reject(new Error('peer exited before ready')));
    ready = (path) => {
      clearTimeout(timer);
      resolve(path);
    };
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const msg = JSON.parse(line) as { ready?: string; got?: Hint };
    if (msg.ready) ready(msg.ready);
    if (msg.got) {
      got.push(msg.got);
      for (const w of waiters.splice(0)) w();
    }
  });
  const socketPath = await readyP;
  return {
    child,
    socketPath,
    got,
    exited,
    publish: (hints) => void child.stdin!.write(JSON.stringify({ publish: hints }) + '\n'),
    heard: (runtimeId) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`peer did not hear ${runtimeId}`)), TIMEOUT_MS);
        const check = (): void => {
          if (got.some((h) => h.kind === 'command' && h.runtimeId === runtimeId)) {
            clearTimeout(timer);
            resolve();
          } else waiters.push(check);
        };
        check();
      }),
  };
}

describe('SocketNotifier', () => {
  it('delivers a hint to its own listeners and to a peer exactly once, coalesced, any run id', async () => {
    const dataDir = tempDir();
    const a = await open(dataDir);
    const b = await open(dataDir);
    assert.equal(a.dir, join(dataDir, 'notify'));
    assert.equal(statSync(a.dir).mode & 0o777, 0o700);
    assert.ok(existsSync(a.socketPath) && existsSync(b.socketPath) && a.socketPath !== b.socketPath);

    // B found A when it opened; A finds B by watching the directory.
    await publishUntil(a, 'warm-ab', heard(b, 'warm-ab'));
    await publishUntil(b, 'warm-ba', heard(a, 'warm-ba'));

    const seenA = record(a);
    const seenB = record(b);
    const odd = 'run\n"x"\\ \u2028 é 😀 \ud800 {}';
    a.publish([
      { kind: 'ledger', runtimeId: 'rt', runId: 'r1', lastSeq: 1 },
      { kind: 'ledger', runtimeId: 'rt', runId: 'r1', lastSeq: 3 },
      { kind: 'ledger', runtimeId: 'rt', runId: 'r1', lastSeq: 2 },
      { kind: 'runnable', runtimeId: 'rt' },
      { kind: 'runnable', runtimeId: 'rt' },
      { kind: 'command', runtimeId: 'rt' },
      { kind: 'ledger', runtimeId: 'rt', runId: odd, lastSeq: 5 },
    ]);
    a.publish([{ kind: 'ledger', runtimeId: 'rt', runId: 'r1', lastSeq: 4 }]); // same turn: one write to B
    await turn();
    // Fences: one connection per direction keeps order, so anything sent before them has arrived.
    const fenceB = heard(b, 'fence-ab');
    a.publish([{ kind: 'command', runtimeId: 'fence-ab' }]);
    await fenceB;
    const fenceA = heard(a, 'fence-ba');
    b.publish([{ kind: 'command', runtimeId: 'fence-ba' }]);
    await fenceA;

    // Local delivery: each publish coalesced on its own, synchronously.
    assert.deepEqual(seenA, [
      { kind: 'ledger', runtimeId: 'rt', runId: 'r1', lastSeq: 3 },
      { kind: 'ledger', runtimeId: 'rt', runId: odd, lastSeq: 5 },
      { kind: 'runnable', runtimeId: 'rt' },
      { kind: 'command', runtimeId: 'rt' },
      { kind: 'ledger', runtimeId: 'rt', runId: 'r1', lastSeq: 4 },
      { kind: 'command', runtimeId: 'fence-ab' },
      { kind: 'command', runtimeId: 'fence-ba' }, // from B; nothing of A's came back
    ]);
    // The peer: the whole turn coalesced into one batch.
    assert.deepEqual(seenB, [
      { kind: 'ledger', runtimeId: 'rt', runId: 'r1', lastSeq: 4 },
      { kind: 'ledger', runtimeId: 'rt', runId: odd, lastSeq: 5 },
      { kind: 'runnable', runtimeId: 'rt' },
      { kind: 'command', runtimeId: 'rt' },
      { kind: 'command', runtimeId: 'fence-ab' },
      { kind: 'command', runtimeId: 'fence-ba' },
    ]);
  });

  it('discovers a notifier that joins later', async () => {
    const dataDir = tempDir();
    const a = await open(dataDir);
    const b = await open(dataDir);
    await publishUntil(a, 'warm', heard(b, 'warm'));

    const c = await open(dataDir);
    // C connected to A and B while opening: its first hint reaches both.
    const both = Promise.all([heard(a, 'from-c'), heard(b, 'from-c')]);
    c.publish([{ kind: 'command', runtimeId: 'from-c' }]);
    await both;
    // A and B find C through the directory.
    await publishUntil(a, 'a-to-c', heard(c, 'a-to-c'));
    await publishUntil(b, 'b-to-c', heard(c, 'b-to-c'));
    assert.deepEqual(a.peerNames.sort(), [basename(b.socketPath), basename(c.socketPath)].sort());

    // C leaves: its file goes, A and B drop it.
    const cName = basename(c.socketPath);
    await c.close();
    assert.ok(!existsSync(join(c.dir, cName)));
    await until('A and B to drop C', () => !a.peerNames.includes(cName) && !b.peerNames.includes(cName));
    await publishUntil(a, 'after-c', heard(b, 'after-c'));
  });

  it('unlinks a socket left by a killed process and keeps publishing', async () => {
    const dataDir = tempDir();
    const dead = await spawnPeer(dataDir);
    dead.child.kill('SIGKILL');
    await within('the killed peer to exit', dead.exited);
    assert.ok(existsSync(dead.socketPath), 'SIGKILL leaves the socket file behind');

    const a = await open(dataDir);
    await until('the stale socket to be unlinked', () => !existsSync(dead.socketPath));
    const b = await open(dataDir);
    assert.deepEqual(b.peerNames, [basename(a.socketPath)]);
    await publishUntil(a, 'ab', heard(b, 'ab'));
  });

  it('drops a peer that dies while connected, unlinks its socket, and keeps delivering to the others', async () => {
    const dataDir = tempDir();
    const a = await open(dataDir);
    const b = await open(dataDir);
    const peer = await spawnPeer(dataDir);
    await publishUntil(a, 'to-peer', peer.heard('to-peer'));
    await publishUntil(a, 'to-b', heard(b, 'to-b'));

    peer.child.kill('SIGKILL');
    await within('the killed peer to exit', peer.exited);
    for (let i = 0; i < 100; i++) a.publish([{ kind: 'ledger', runtimeId: 'rt', runId: `r${i}`, lastSeq: i }]); // never throws
    await until('the dead peer socket to be unlinked', () => !existsSync(peer.socketPath));
    assert.ok(!a.peerNames.includes(basename(peer.socketPath)));
    await publishUntil(a, 'still-b', heard(b, 'still-b'));
  });

  it('falls back to a short directory under tmpdir for a data dir too long for sun_path', async () => {
    let dataDir = tempDir();
    while (dataDir.length < 150) dataDir = join(dataDir, 'a-rather-long-directory-name');
    mkdirSync(dataDir, { recursive: true });
    const a = await open(dataDir);
    cleanup.push(() => rmSync(a.dir, { recursive: true, force: true }));
    const b = await open(dataDir);
    assert.equal(a.dir, b.dir);
    assert.match(a.dir, /^.+\/agw-notify-[0-9a-f]{16}$/);
    assert.ok(a.dir.startsWith(tmpdir()) || a.dir.startsWith('/tmp/'));
    assert.ok(Buffer.byteLength(a.socketPath) <= 103);
    assert.equal(statSync(a.dir).mode & 0o777, 0o700);

    // The same data dir reached through a symlink meets in the same place.
    const link = join(tempDir(), 'link');
    symlinkSync(dataDir, link);
    assert.equal(await notifyDir(link), a.dir);

    await publishUntil(a, 'long-ab', heard(b, 'long-ab'));
    await publishUntil(b, 'long-ba', heard(a, 'long-ba'));
  });

  it('exchanges hints with another process', async () => {
    const dataDir = tempDir();
    const a = await open(dataDir);
    const peer = await spawnPeer(dataDir);

    // The child connected to A while opening, so its first publish arrives.
    const seenA = record(a);
    const fromChild = heard(a, 'from-child');
    peer.publish([
      { kind: 'ledger', runtimeId: 'rt', runId: 'r', lastSeq: 7 },
      { kind: 'ledger', runtimeId: 'rt', runId: 'r', lastSeq: 6 },
      { kind: 'runnable', runtimeId: 'rt' },
      { kind: 'command', runtimeId: 'from-child' },
    ]);
    await fromChild;
    assert.deepEqual(seenA, [
      { kind: 'ledger', runtimeId: 'rt', runId: 'r', lastSeq: 7 },
      { kind: 'runnable', runtimeId: 'rt' },
      { kind: 'command', runtimeId: 'from-child' },
    ]);

    await publishUntil(a, 'to-child', peer.heard('to-child'));
    a.publish([{ kind: 'ledger', runtimeId: 'rt', runId: 'p', lastSeq: 1 }]);
    await publishUntil(a, 'to-child-2', peer.heard('to-child-2'));
    assert.ok(peer.got.some((h) => h.kind === 'ledger' && h.runId === 'p' && h.lastSeq === 1));

    peer.child.stdin!.write(JSON.stringify({ close: true }) + '\n');
    assert.equal(await within('the peer to exit after close', peer.exited), 0);
    assert.ok(!existsSync(peer.socketPath), 'close unlinks the socket');
  });

  it('a process that publishes and closes sends its hints and then ends by itself', async () => {
    const dataDir = tempDir();
    const a = await open(dataDir);
    const arrived = heard(a, 'last-words');
    const child = spawn(process.execPath, [PEER, dataDir, 'once', JSON.stringify([{ kind: 'command', runtimeId: 'last-words' }])], { stdio: 'inherit' });
    cleanup.push(() => child.kill('SIGKILL'));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(await within('the child to end by itself (nothing may keep it alive)', exited), 0);
    await arrived;
    await until('A to drop the closed peer', () => a.peerNames.length === 0);
  });

  it('reassembles partial lines, ignores malformed ones, and disconnects a peer sending an endless line', async () => {
    const a = await open(tempDir());
    const seen = record(a);
    const raw = createConnection(a.socketPath);
    await within('a raw connection', new Promise<void>((resolve, reject) => raw.once('connect', resolve).once('error', reject)));
    const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
    raw.on('error', () => {});
    const line = JSON.stringify({ kind: 'ledger', runtimeId: 'rt', runId: 'é😀', lastSeq: 9 }) + '\n';
    const bytes = Buffer.from(line);
    const done = heard(a, 'end');
    raw.write(bytes.subarray(0, 40)); // splits the emoji's UTF-8 bytes
    await turn();
    raw.write(bytes.subarray(40));
    raw.write(
      [
        'not json',
        '',
        '[1,2]',
        'null',
        JSON.stringify({ kind: 'ledger', runtimeId: 'rt', runId: 'r', lastSeq: 'x' }),
        JSON.stringify({ kind: 'ledger', runtimeId: 'rt', runId: 'r', lastSeq: 1.5 }),
        JSON.stringify({ kind: 'other', runtimeId: 'rt' }),
        JSON.stringify({ kind: 'runnable', runtimeId: 5 }),
        JSON.stringify({ kind: 'runnable', runtimeId: 'rt', extra: true }),
        JSON.stringify({ kind: 'command', runtimeId: 'end' }),
      ].join('\n') + '\n',
    );
    await done;
    assert.deepEqual(seen, [
      { kind: 'ledger', runtimeId: 'rt', runId: 'é😀', lastSeq: 9 },
      { kind: 'runnable', runtimeId: 'rt' },
      { kind: 'command', runtimeId: 'end' },
    ]);

    raw.write('x'.repeat(70 * 1024)); // no newline, over the 64 Ki cap
    await within('A to disconnect the endless line', closed);
  });
});
