// A peer process for the socket notifier tests: `node socket-notifier-peer.js <dataDir> [once <hints-json>]`.
// serve (default): prints {"ready": socketPath}, then one {"got": hint} line per hint it receives;
//   reads stdin lines {"publish": Hint[]} and {"close": true}.
// once: publishes the hints, closes the notifier and lets the process end by itself (nothing may keep it alive).

import { createInterface } from 'node:readline';
import type { Hint } from '../../src/store/notifier.js';
import { openSocketNotifier } from '../../src/store/sqlite/socket-notifier.js';

const [dataDir, mode, hintsJson] = process.argv.slice(2);
const notifier = await openSocketNotifier(dataDir!, { rescanMs: 200 });

if (mode === 'once') {
  notifier.publish(JSON.parse(hintsJson!) as Hint[]);
  await notifier.close();
} else {
  const print = (v: unknown): void => void process.stdout.write(JSON.stringify(v) + '\n');
  notifier.on('ledger', (runtimeId, runId, lastSeq) => print({ got: { kind: 'ledger', runtimeId, runId, lastSeq } }));
  notifier.on('runnable', (runtimeId) => print({ got: { kind: 'runnable', runtimeId } }));
  notifier.on('command', (runtimeId) => print({ got: { kind: 'command', runtimeId } }));
  print({ ready: notifier.socketPath });
  for await (const line of createInterface({ input: process.stdin })) {
    const msg = JSON.parse(line) as { publish?: Hint[]; close?: boolean };
    if (msg.publish) notifier.publish(msg.publish);
    if (msg.close) break;
  }
  process.stdin.destroy(); // the parent keeps its end open
  await notifier.close();
}
