import type { Database } from '../db/database.ts';
import type { ZonedDay } from '../web/zoned-days.ts';
import { messageStates, stateRank } from './message-states.ts';
import type { MessageKind } from './message-repository.ts';
import type { MessageState } from './message-states.ts';

// The chart's groups come from the one state list: each final state is a group of its own, every
// state before them is "still open" (queued, sending, checking, sent, and whatever comes later).
const finalRank = Math.max(...messageStates.map((state) => stateRank[state]));
export const finalStates: readonly MessageState[] = messageStates.filter((state) => stateRank[state] === finalRank);
export type Outcome = MessageState | 'open';
export const outcomes: readonly Outcome[] = [...finalStates, 'open'];
export const outcomeOf = (state: MessageState): Outcome => (stateRank[state] === finalRank ? state : 'open');

/** The states a delivery rate is taken over: the ones MessageBird settled, one way or the other. */
const settledStates: readonly MessageState[] = ['delivered', 'failed', 'expired'];
const failureStates: readonly MessageState[] = ['failed', 'expired'];
const sqlList = (states: readonly MessageState[]) => states.map((state) => `'${state}'`).join(', ');

export type DayOutcomes = { day: string; counts: Map<Outcome, number>; total: number };
export type FailureReason = { code: number | null; description: string | null; count: number };
export type RecentFailure = {
  id: number; orderId: string; orderNumber: number | null; orderDay: string | null; customerName: string;
  recipient: string; state: MessageState; errorCode: number | null; errorDescription: string | null; requestedAt: string; updatedAt: string;
};

export type MessageSummary = {
  days: DayOutcomes[];
  totals: Map<Outcome, number>;
  /** delivered / (delivered + failed + expired), undefined when none settled. */
  deliveryRate: number | undefined;
  settled: number;
  /** Median seconds from queued (requested_at) to MessageBird's delivery time, over `timedDeliveries`. */
  medianDeliverySeconds: number | undefined;
  timedDeliveries: number;
  failureReasons: FailureReason[];
  recentFailures: RecentFailure[];
};

/** One line of the message log export. */
export type MessageLogRow = {
  id: number; requestedAt: string; sentAt: string | null; deliveredAt: string | null; orderId: string; orderNumber: number | null;
  customerName: string; recipient: string; orderStatus: string; kind: MessageKind; state: MessageState; attempts: number;
  errorCode: number | null; errorDescription: string | null; body: string;
};

export type MessageStatsRepository = ReturnType<typeof createMessageStatsRepository>;

/**
 * What the Messages page and the export read. Every query is a range of the messages_requested_at
 * index (the days asked for), so its cost follows the messages of those days, not the whole log.
 */
export function createMessageStatsRepository(db: Database) {
  const inRange = 'message.requested_at >= @from AND message.requested_at < @to';
  const sql = {
    // One index range per day: the days come as a JSON array of [from, to) pairs.
    perDay: db.pick({
      sqlite: `SELECT span.key AS "position", message.state AS "state", count(*) AS "count"
        FROM json_each(@days) AS span
        JOIN messages AS message ON message.requested_at >= span.value ->> 0 AND message.requested_at < span.value ->> 1
        GROUP BY span.key, message.state`,
      postgres: `SELECT span.position - 1 AS "position", message.state AS "state", count(*) AS "count"
        FROM jsonb_array_elements(CAST(@days AS jsonb)) WITH ORDINALITY AS span (value, position)
        JOIN messages AS message ON message.requested_at >= span.value ->> 0 AND message.requested_at < span.value ->> 1
        GROUP BY span.position, message.state`,
    }),
    timedDeliveries: `SELECT count(*) FROM messages AS message
      WHERE ${inRange} AND message.state = 'delivered' AND message.provider_status_at IS NOT NULL`,
    deliverySeconds: `SELECT ${db.pick({
      sqlite: "unixepoch(message.provider_status_at, 'subsec') - unixepoch(message.requested_at, 'subsec')",
      postgres: 'extract(epoch FROM CAST(message.provider_status_at AS timestamptz) - CAST(message.requested_at AS timestamptz))',
    })} AS "seconds"
      FROM messages AS message WHERE ${inRange} AND message.state = 'delivered' AND message.provider_status_at IS NOT NULL
      ORDER BY 1 LIMIT @limit OFFSET @offset`,
    failureReasons: `SELECT message.error_code AS "code", message.error_description AS "description", count(*) AS "count"
      FROM messages AS message WHERE ${inRange} AND message.state IN (${sqlList(failureStates)})
      GROUP BY message.error_code, message.error_description ORDER BY 3 DESC, 2 LIMIT 5`,
    recentFailures: `SELECT message.id, message.order_id AS "orderId", orders.number AS "orderNumber", orders.day AS "orderDay",
        orders.customer_name AS "customerName", message.recipient, message.state, message.error_code AS "errorCode",
        message.error_description AS "errorDescription", message.requested_at AS "requestedAt", message.updated_at AS "updatedAt"
      FROM messages AS message JOIN orders ON orders.id = message.order_id
      WHERE ${inRange} AND message.state IN (${sqlList(failureStates)})
      ORDER BY message.requested_at DESC, message.id DESC LIMIT @limit`,
    // Keyset paging in the index's order (requested_at, then id): each page starts its index
    // range where the last one ended (@start), so a long export does not rescan what it has sent.
    logPage: `SELECT message.id, message.requested_at AS "requestedAt", message.last_attempt_at AS "sentAt",
        CASE WHEN message.state = 'delivered' THEN coalesce(message.provider_status_at, message.updated_at) END AS "deliveredAt",
        message.order_id AS "orderId", orders.number AS "orderNumber", orders.customer_name AS "customerName", message.recipient,
        message.order_status AS "orderStatus", message.kind, message.state, message.attempts, message.error_code AS "errorCode",
        message.error_description AS "errorDescription", message.body
      FROM messages AS message JOIN orders ON orders.id = message.order_id
      WHERE message.requested_at >= @start AND message.requested_at < @to AND (message.requested_at > @afterAt OR message.id > @afterId)
      ORDER BY message.requested_at, message.id LIMIT @limit`,
  };

  const range = (from: Date, to: Date) => ({ from: from.toISOString(), to: to.toISOString() });

  async function median(from: Date, to: Date): Promise<{ seconds: number | undefined; count: number }> {
    const count = (await db.value<number>(sql.timedDeliveries, range(from, to)))!;
    if (count === 0) return { seconds: undefined, count };
    // The middle one, or the mean of the middle two.
    const middle = await db.all<{ seconds: number }>(sql.deliverySeconds, { ...range(from, to), limit: 2 - (count % 2), offset: Math.floor((count - 1) / 2) });
    return { seconds: middle.reduce((sum, row) => sum + row.seconds, 0) / middle.length, count };
  }

  return {
    /** Messages asked for on each of the days, by outcome, and the figures beside them. */
    async summary(days: readonly ZonedDay[], options: { recentFailures?: number } = {}): Promise<MessageSummary> {
      const from = days[0]!.from;
      const to = days.at(-1)!.to;
      const perDay = days.map((zoned) => ({ day: zoned.day, counts: new Map(outcomes.map((outcome) => [outcome, 0])), total: 0 }));
      const rows = await db.all<{ position: number; state: MessageState; count: number }>(sql.perDay, { days: JSON.stringify(days.map((zoned) => [zoned.from.toISOString(), zoned.to.toISOString()])) });
      for (const row of rows) {
        const day = perDay[row.position]!;
        const outcome = outcomeOf(row.state);
        day.counts.set(outcome, day.counts.get(outcome)! + row.count);
        day.total += row.count;
      }
      const totals = new Map(outcomes.map((outcome) => [outcome, perDay.reduce((sum, day) => sum + day.counts.get(outcome)!, 0)]));
      const settled = settledStates.reduce((sum, state) => sum + (totals.get(state) ?? 0), 0);
      const { seconds, count } = await median(from, to);
      return {
        days: perDay,
        totals,
        deliveryRate: settled === 0 ? undefined : (totals.get('delivered') ?? 0) / settled,
        settled,
        medianDeliverySeconds: seconds,
        timedDeliveries: count,
        failureReasons: await db.all<FailureReason>(sql.failureReasons, range(from, to)),
        recentFailures: await db.all<RecentFailure>(sql.recentFailures, { ...range(from, to), limit: options.recentFailures ?? 20 }),
      };
    },

    /**
     * The messages asked for in [from, to), oldest first, a page at a time. Each page is read whole
     * before it is handed on: an open better-sqlite3 iterator keeps the connection busy, so holding
     * one while a slow download drains would make every write meanwhile (status changes, the
     * dispatcher) fail with "This database connection is busy executing a query".
     */
    async *log(from: Date, to: Date, pageSize = 500): AsyncGenerator<MessageLogRow[]> {
      let after = { start: from.toISOString(), afterAt: '', afterId: 0 };
      for (;;) {
        const page = await db.all<MessageLogRow>(sql.logPage, { to: to.toISOString(), ...after, limit: pageSize });
        if (page.length > 0) yield page;
        if (page.length < pageSize) return;
        const last = page.at(-1)!;
        after = { start: last.requestedAt, afterAt: last.requestedAt, afterId: last.id };
      }
    },
  };
}
