// A shutdown that always ends (issue 7: SIGTERM never exited while a client held an idle socket).
// The graceful path runs first: stop accepting, close idle keep-alive sockets, end SSE streams,
// let requests in flight and the runner's step in flight finish, close the store. Sockets Node
// does not count as idle (a connection that sent nothing or half a request, a stalled body) would
// hold it for ever, so shortly before the deadline every connection still open is cut; the
// store then still gets its moment to close. At the deadline the process exits regardless.

/** Time left to close the store after the open connections are cut. */
const STORE_CLOSE_MS = 1000;

export interface ShutdownPlan {
  deadlineMs: number;
  /** The graceful path, in order; resolves once everything is closed. */
  stop: () => Promise<void>;
  /** Cuts the connections the graceful path is still waiting on. */
  cutConnections?: () => void;
  say: (msg: string) => void;
  /** Ends the process when the deadline passes (process.exit outside tests). */
  exit: (code: number) => void;
}

export async function shutdownWithin(p: ShutdownPlan): Promise<void> {
  const cutAt = p.deadlineMs - Math.min(STORE_CLOSE_MS, p.deadlineMs / 2);
  const cut = p.cutConnections
    ? setTimeout(() => {
        p.say('shutdown: closing the connections still open');
        p.cutConnections!();
      }, cutAt)
    : undefined;
  const hard = setTimeout(() => {
    p.say(`shutdown: not done after ${p.deadlineMs / 1000} s (ABSTRACTGATEWAY_SHUTDOWN_TIMEOUT_S); exiting now`);
    p.exit(1);
  }, p.deadlineMs);
  try {
    await p.stop();
  } finally {
    clearTimeout(cut);
    clearTimeout(hard);
  }
}
