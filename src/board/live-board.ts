import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';

export type BoardEvent = { id: number; kind: 'order-created' | 'order-changed' | 'message-changed'; orderId: string };

/** One order to show again: the newest event about it, and whether it is new on the board. */
export type OrderNews = { eventId: number; orderId: string; created: boolean };

export type LiveBoardOptions = {
  /** How often to look for new events while a board is connected. */
  pollMs?: number;
  /** How many of the newest events to keep for reconnecting boards. */
  keepEvents?: number;
  /** A reconnecting board that missed more than this many events reloads instead. */
  maxReplay?: number;
  logger?: Logger;
};

/** Several events about one order in a batch become one row update, in event order. */
export function coalesce(events: readonly BoardEvent[]): OrderNews[] {
  const byOrder = new Map<string, OrderNews>();
  for (const event of events) {
    const known = byOrder.get(event.orderId);
    byOrder.set(event.orderId, { eventId: event.id, orderId: event.orderId, created: (known?.created ?? false) || event.kind === 'order-created' });
  }
  return [...byOrder.values()].sort((a, b) => a.eventId - b.eventId);
}

export type LiveBoard = ReturnType<typeof createLiveBoard>;

/**
 * The per-process hub behind GET /events. Triggers write every change to board_events (whichever
 * process or code made it); while at least one board is connected, the hub reads the rows after the
 * last one it saw, a few times a second, and hands them to every stream. With nobody connected it
 * does nothing.
 */
export function createLiveBoard(db: Database, options: LiveBoardOptions = {}) {
  // 20 times a second: a change reaches every board well within 100 ms, and a look at the newest
  // events by their primary key costs microseconds.
  const pollMs = options.pollMs ?? 50;
  const keepEvents = options.keepEvents ?? 10_000;
  const maxReplay = options.maxReplay ?? 500;
  const sql = {
    after: 'SELECT id, kind, order_id AS "orderId" FROM board_events WHERE id > ? ORDER BY id LIMIT ?',
    newest: 'SELECT coalesce(max(id), 0) FROM board_events',
    oldest: 'SELECT min(id) FROM board_events',
    prune: 'DELETE FROM board_events WHERE id <= ?',
  };
  const newest = async () => (await db.value<number>(sql.newest))!;
  const listeners = new Set<(events: BoardEvent[]) => void>();
  const closers = new Set<() => void>();
  let last = 0;
  let timer: NodeJS.Timeout | undefined;
  let lastPrune = 0;
  // Where the first subscriber starts: read once, before the first look for events.
  let starting: Promise<void> | undefined;

  async function poll() {
    await starting;
    let events: BoardEvent[];
    do {
      events = await db.all<BoardEvent>(sql.after, [last, 1000]);
      if (events.length === 0) break;
      last = events.at(-1)!.id;
      for (const listener of listeners) listener(events);
    } while (events.length === 1000);
    if (Date.now() - lastPrune > 60_000) {
      lastPrune = Date.now();
      await db.run(sql.prune, [last - keepEvents]);
    }
  }

  // One look at a time: a tick that comes while the last one still waits for the database is skipped.
  let polling = false;
  function tick() {
    if (polling) return;
    polling = true;
    poll().catch((error: unknown) => {
      // A busy database: the next tick tries again; the events stay in the table.
      options.logger?.warn({ err: error }, 'could not read board events');
    }).finally(() => {
      polling = false;
    });
  }

  let waking = false;

  return {
    newestEventId: newest,

    /** The newest event this hub has handed out (no query): what its listeners have seen. */
    lastSeenEventId: () => last,

    /**
     * Looks for new events at once (on the next turn of the event loop) rather than at the next
     * tick, when boards are connected: this process has just written something they should see.
     */
    wake(): void {
      if (!timer || waking) return;
      waking = true;
      setImmediate(() => {
        waking = false;
        if (timer) tick();
      });
    },

    /**
     * The events after `eventId`, for a board that reconnects; undefined when some were pruned or
     * there are too many, and the board should load the page afresh.
     */
    async replay(eventId: number): Promise<BoardEvent[] | undefined> {
      const newestId = await newest();
      if (eventId > newestId) return undefined;
      if (eventId === newestId) return [];
      const oldest = (await db.value<number | null>(sql.oldest)) ?? null;
      if (oldest === null || oldest > eventId + 1) return undefined;
      const events = await db.all<BoardEvent>(sql.after, [eventId, maxReplay + 1]);
      return events.length > maxReplay ? undefined : events;
    },

    /** Calls `listener` with each batch of new events until the returned function is called. */
    subscribe(listener: (events: BoardEvent[]) => void): () => void {
      if (listeners.size === 0) {
        starting = newest().then((id) => {
          last = id;
        }, (error: unknown) => {
          options.logger?.warn({ err: error }, 'could not read board events');
        });
        timer = setInterval(tick, pollMs);
        timer.unref();
      }
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && timer) {
          clearInterval(timer);
          timer = undefined;
        }
      };
    },

    /** Registers a stream to end at shutdown; returns the function that unregisters it. */
    track(close: () => void): () => void {
      closers.add(close);
      return () => closers.delete(close);
    },

    /** Ends every stream (boards reconnect to the next server) and stops polling. */
    close() {
      for (const close of [...closers]) close();
      closers.clear();
      listeners.clear();
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
