export type StreamEvent = { id?: string; event: string; data: string };

/** Reads a text/event-stream response event by event (comments come through as event ':'). */
export class EventReader {
  private readonly events: StreamEvent[] = [];
  private waiting: (() => void) | undefined;
  ended = false;

  constructor(body: ReadableStream<Uint8Array>) {
    void this.read(body);
  }

  private async read(body: ReadableStream<Uint8Array>) {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event: StreamEvent = { event: 'message', data: '' };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) event.event = ':';
            else if (line.startsWith('id: ')) event.id = line.slice(4);
            else if (line.startsWith('event: ')) event.event = line.slice(7);
            else if (line.startsWith('data: ')) event.data = line.slice(6);
          }
          this.events.push(event);
          this.waiting?.();
        }
      }
    } catch {
      // The connection was cut: that is the end of the stream too.
    }
    this.ended = true;
    this.waiting?.();
  }

  /** The next event matching `test`, skipping others; fails after `timeoutMs`. */
  async next(test: (event: StreamEvent) => boolean = () => true, timeoutMs = 5000): Promise<StreamEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.events.findIndex(test);
      if (index >= 0) return this.events.splice(0, index + 1).at(-1)!;
      this.events.length = 0;
      if (this.ended) throw new Error('the stream ended');
      if (Date.now() > deadline) throw new Error('no matching event in time');
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.waiting = () => { clearTimeout(timer); resolve(); };
      });
    }
  }

  async end(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error('the stream did not end');
      await this.next(() => false, deadline - Date.now()).catch(() => undefined);
    }
  }
}
