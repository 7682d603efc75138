// Minimal SSE reader for tests: parses frames from a fetch Response body.

export interface SseFrame {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

export class SseReader {
  private buf = '';
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  readonly frames: SseFrame[] = [];
  ended = false;

  constructor(res: Response) {
    this.reader = res.body!.getReader();
  }

  /** Read until `pred(frames)` holds or the stream ends; throws after `timeoutMs`. */
  async until(pred: (frames: SseFrame[]) => boolean, timeoutMs = 5000): Promise<SseFrame[]> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.frames)) {
      if (this.ended) throw new Error(`stream ended before condition; frames: ${JSON.stringify(this.frames.slice(-5))}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout; frames: ${JSON.stringify(this.frames.slice(-5))}`);
      let timer: NodeJS.Timeout | undefined;
      const chunk = await Promise.race([this.reader.read(), new Promise<null>((r) => (timer = setTimeout(() => r(null), left)))]);
      clearTimeout(timer); // else every chunk read leaves a timer that keeps the process alive
      if (chunk === null) continue;
      if (chunk.done) {
        this.ended = true;
        continue;
      }
      this.buf += this.decoder.decode(chunk.value, { stream: true });
      this.parse();
    }
    return this.frames;
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }

  private parse(): void {
    const { frames, rest } = parseFrames(this.buf);
    this.frames.push(...frames);
    this.buf = rest;
  }
}

/** The complete frames in `text`, and the incomplete tail (a frame cut off mid-way). */
export function parseFrames(text: string): { frames: SseFrame[]; rest: string } {
  const frames: SseFrame[] = [];
  let idx;
  while ((idx = text.indexOf('\n\n')) >= 0) {
    const block = text.slice(0, idx);
    text = text.slice(idx + 2);
    const frame: SseFrame = {};
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) frame.comment = line.slice(1).trim();
      else {
        const c = line.indexOf(':');
        const key = line.slice(0, c);
        const value = line.slice(c + 1).replace(/^ /, '');
        if (key === 'id' || key === 'event' || key === 'data') frame[key] = value;
      }
    }
    frames.push(frame);
  }
  return { frames, rest: text };
}

export const steps = (frames: SseFrame[]) => frames.filter((f) => f.event === 'step').map((f) => JSON.parse(f.data!));
export const hasDone = (frames: SseFrame[]) => frames.some((f) => f.event === 'done');
