// A failure that repeats (a full disk, a read-only data dir) is reported once when it starts
// and once when it ends, not on every occurrence: a runner retrying every poll once wrote four
// identical errors a second, and an audit log that failed said nothing at all.

export class FaultStreak {
  private failures = 0;

  constructor(
    /** What fails, as the start of a sentence: "audit log write", "store write". */
    private readonly what: string,
    private readonly report: (message: string) => void,
  ) {}

  get failing(): boolean {
    return this.failures > 0;
  }

  /** Reports the first failure of a streak; later ones are only counted. */
  fail(reason: string): void {
    if (this.failures++ === 0) this.report(`${this.what} failed: ${reason} (repeats are not logged until it recovers)`);
  }

  /** Ends a streak, saying how many failures it had. */
  ok(): void {
    if (this.failures === 0) return;
    this.report(`${this.what} recovered after ${this.failures} failure(s)`);
    this.failures = 0;
  }
}

/** Writes `abstractgateway: <message>` to stderr: the default sink for fault reports. */
export const reportToStderr = (message: string): void => {
  process.stderr.write(`abstractgateway: ${message}\n`);
};
