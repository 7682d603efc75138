// A counting semaphore whose acquire gives up after a short wait (spec security §1.8: about
// 10 ms, then 429). The permit is returned by the caller when the response closes.

export class Semaphore {
  private inUse = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(readonly size: number) {}

  async tryAcquire(waitMs: number): Promise<boolean> {
    if (this.inUse < this.size) {
      this.inUse++;
      return true;
    }
    return new Promise<boolean>((resolve) => {
      const grant = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(grant), 1);
        resolve(false);
      }, waitMs);
      this.waiters.push(grant);
    });
  }

  /** Hands the permit straight to a waiter, if any, so it cannot be stolen in between. */
  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.inUse--;
  }
}
