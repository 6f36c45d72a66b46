import type { Logger } from 'pino';
import type { Database } from '../db/database.ts';
import type { PostgresDatabase } from '../db/postgres.ts';

export type BoardEvent = { id: number; kind: 'order-created' | 'order-changed' | 'message-changed'; orderId: string };

/** The order id of an event about no order: a customer's text from a number on no order (migration 110). */
export const noOrder = '';

/** One order to show again: the newest event about it, and whether it is new on the board. */
export type OrderNews = { eventId: number; orderId: string; created: boolean };

export type LiveBoardOptions = {
  /** SQLite: how often to look for new events while a board is connected. */
  pollMs?: number;
  /** PostgreSQL: how many ids back from the newest seen to read again (see `margin` below). */
  reorderMargin?: number;
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
 * last one it saw and hands them to every stream: on SQLite a few times a second, on PostgreSQL
 * whenever a NOTIFY from the board_events trigger (migration 010, sent at commit by whichever
 * instance wrote) says there is something to read. With nobody connected it does nothing.
 */
export function createLiveBoard(db: Database, options: LiveBoardOptions = {}) {
  // 20 times a second: a change reaches every board well within 100 ms, and a look at the newest
  // events by their primary key costs microseconds.
  const pollMs = options.pollMs ?? 50;
  const keepEvents = options.keepEvents ?? 10_000;
  const maxReplay = options.maxReplay ?? 500;
  const postgres = db.engine === 'postgres' ? db as PostgresDatabase : undefined;
  // PostgreSQL hands out board_events ids before commit, so a transaction holding a smaller id can
  // commit after one holding a larger id has been read; reading only "after the last id seen" would
  // skip it for good. So each read starts this many ids back and drops the ids already handed out.
  // Writes that overlap by more than 100 events are far beyond a kitchen's load. SQLite commits one
  // writer at a time, in id order: no margin.
  const margin = postgres ? options.reorderMargin ?? 100 : 0;
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
  // The ids handed out within `margin` of `last` (PostgreSQL only), so a re-read hands none twice.
  const delivered = new Set<number>();
  let timer: NodeJS.Timeout | undefined;
  // PostgreSQL: stops the LISTEN connection; set while boards are connected.
  let unlisten: Promise<(() => Promise<void>) | undefined> | undefined;
  let running = false;
  let lastPrune = 0;
  // Where the first subscriber starts: read once, before the first look for events.
  let starting: Promise<void> | undefined;

  async function poll() {
    await starting;
    let cursor = last - margin;
    let events: BoardEvent[];
    do {
      events = await db.all<BoardEvent>(sql.after, [cursor, 1000]);
      if (events.length === 0) break;
      cursor = events.at(-1)!.id;
      const fresh = margin === 0 ? events : events.filter((event) => !delivered.has(event.id));
      if (fresh.length === 0) continue;
      last = Math.max(last, fresh.at(-1)!.id);
      if (margin > 0) {
        for (const event of fresh) delivered.add(event.id);
        for (const id of delivered) if (id <= last - margin) delivered.delete(id);
      }
      for (const listener of listeners) listener(fresh);
    } while (events.length === 1000);
    if (Date.now() - lastPrune > 60_000) {
      lastPrune = Date.now();
      await db.run(sql.prune, [last - keepEvents]);
    }
  }

  // One look at a time. A tick that comes while the last one still waits for the database is skipped
  // on SQLite (the next tick comes soon), but on PostgreSQL no next tick may come: it is remembered,
  // and the look runs again once the current one ends.
  let polling = false;
  let again = false;
  function tick() {
    if (polling) {
      again = postgres !== undefined;
      return;
    }
    polling = true;
    again = false;
    poll().catch((error: unknown) => {
      // A busy database: the next tick tries again; the events stay in the table. On PostgreSQL the
      // next notification may be far off, so a tick of its own comes a second later.
      options.logger?.warn({ err: error }, 'could not read board events');
      if (postgres) setTimeout(() => { if (running) tick(); }, 1000).unref();
    }).finally(() => {
      polling = false;
      if (again && running) tick();
    });
  }

  /**
   * PostgreSQL: listens on this schema's channel until stopped; every notification, and every
   * reconnect after a lost connection (notifications sent meanwhile are gone), reads the table from
   * the last id seen. db.listen reconnects with a growing wait; a first attempt that fails is retried
   * here the same way.
   */
  function startListening(database: PostgresDatabase): Promise<(() => Promise<void>) | undefined> {
    let failures = 0;
    const attempt = async (): Promise<() => Promise<void>> => {
      const channel = `board_events:${(await database.value<string>('SELECT current_schema()'))!}`;
      const stop = await database.listen(channel, tick, tick);
      // Events committed between the first read of the newest id and LISTEN taking effect.
      tick();
      return stop;
    };
    const loop = async (): Promise<(() => Promise<void>) | undefined> => {
      while (running) {
        try {
          const stop = await attempt();
          if (!running) {
            await stop();
            return undefined;
          }
          return stop;
        } catch (error) {
          options.logger?.warn({ err: error }, 'could not listen for board events');
          await new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** failures++, 10_000)).unref());
        }
      }
      return undefined;
    };
    return loop();
  }

  function stop() {
    running = false;
    if (timer) clearInterval(timer);
    timer = undefined;
    const stopping = unlisten;
    unlisten = undefined;
    void stopping?.then((stopListening) => stopListening?.());
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
      if (!running || waking) return;
      waking = true;
      setImmediate(() => {
        waking = false;
        if (running) tick();
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
        delivered.clear();
        starting = newest().then(async (id) => {
          last = id;
          // What is already committed within the margin was there before this board: not news.
          if (margin > 0) {
            for (const row of await db.all<{ id: number }>('SELECT id FROM board_events WHERE id > ? AND id <= ?', [id - margin, id])) delivered.add(row.id);
          }
        }).catch((error: unknown) => {
          options.logger?.warn({ err: error }, 'could not read board events');
        });
        running = true;
        if (postgres) {
          unlisten = startListening(postgres);
        } else {
          timer = setInterval(tick, pollMs);
          timer.unref();
        }
      }
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && running) stop();
      };
    },

    /** Registers a stream to end at shutdown; returns the function that unregisters it. */
    track(close: () => void): () => void {
      closers.add(close);
      return () => closers.delete(close);
    },

    /** Ends every stream (boards reconnect to the next server) and stops polling or listening. */
    close() {
      for (const close of [...closers]) close();
      closers.clear();
      listeners.clear();
      stop();
    },
  };
}
