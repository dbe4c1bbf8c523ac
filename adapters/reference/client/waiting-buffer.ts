/**
 * What a queue subscription pushed, handed out by `poll`: the pull side of a push-fed queue
 * member (embedded and over TCP alike). `take` waits up to `waitMs` for the first item.
 */
export class WaitingBuffer<T> {
  private readonly items: T[] = [];
  private wake: (() => void) | null = null;

  push(batch: readonly T[]): void {
    for (const item of batch) this.items.push(item);
    this.wake?.();
  }

  async take(max: number, waitMs: number): Promise<T[]> {
    if (this.items.length === 0 && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.wake = null;
          resolve();
        }, waitMs);
        this.wake = () => {
          clearTimeout(t);
          this.wake = null;
          resolve();
        };
      });
    }
    return this.items.splice(0, max);
  }
}
