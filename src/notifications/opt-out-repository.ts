import type { Database } from '../db/database.ts';

/** How an opt-out or opt-in came about: the customer's reply, or staff by hand (a customer who called). */
export type OptOutSource = { source: 'keyword'; keyword: string } | { source: 'staff'; staffId: number };

/** A number opted out now, and the event that did it. */
export type OptOut = {
  phone: string;
  optedOutAt: string;
  source: 'keyword' | 'staff';
  /** The keyword as the customer sent it (trimmed), for a reply. */
  keyword: string | null;
  /** Who marked it, for staff. */
  staffUsername: string | null;
};

export type OptOutEvent = {
  id: number;
  phone: string;
  optedOut: boolean;
  source: 'keyword' | 'staff';
  keyword: string | null;
  staffUsername: string | null;
  at: string;
};

/** What a message still queued for a number that opts out becomes: see message-states.ts. */
export const optedOutReason = 'Not sent: the customer opted out before it went out';

export type OptOutRepository = ReturnType<typeof createOptOutRepository>;

/**
 * The numbers that get no more texts, and the history of every opt-out and opt-in. Numbers are
 * E.164, as orders and messages store them.
 */
export function createOptOutRepository(db: Database, now: () => Date = () => new Date()) {
  const sql = {
    current: `SELECT event.phone, event.at AS "optedOutAt", event.source, event.keyword, staff.username AS "staffUsername"
      FROM opted_out_phones AS opted JOIN opt_out_events AS event ON event.id = opted.event_id
      LEFT JOIN staff ON staff.id = event.staff_id WHERE opted.phone = ?`,
    history: `SELECT event.id, event.phone, event.opted_out AS "optedOut", event.source, event.keyword,
        staff.username AS "staffUsername", event.at
      FROM opt_out_events AS event LEFT JOIN staff ON staff.id = event.staff_id WHERE event.phone = ? ORDER BY event.id DESC`,
    isOptedOut: 'SELECT 1 FROM opted_out_phones WHERE phone = ?',
    insertEvent: `INSERT INTO opt_out_events (phone, opted_out, source, keyword, staff_id, at)
      VALUES (@phone, @optedOut, @source, @keyword, @staffId, @at) RETURNING id`,
    insertOptedOut: 'INSERT INTO opted_out_phones (phone, event_id) VALUES (?, ?)',
    deleteOptedOut: 'DELETE FROM opted_out_phones WHERE phone = ?',
    // Texts queued before the opt-out never go out; the dispatcher cancels one it claimed and had
    // not yet sent (it reads the row again right before a send); one on its way cannot be stopped.
    cancelQueued: `UPDATE messages SET state = 'cancelled', next_attempt_at = NULL, error_description = @reason, updated_at = @at
      WHERE state = 'queued' AND recipient = @phone`,
  };

  const record = async (phone: string, optedOut: boolean, how: OptOutSource, at: string) => (await db.value<number>(sql.insertEvent, {
    phone,
    optedOut: optedOut ? 1 : 0,
    source: how.source,
    keyword: how.source === 'keyword' ? how.keyword : null,
    staffId: how.source === 'staff' ? how.staffId : null,
    at,
  }))!;
  const isOptedOut = async (phone: string) => (await db.value(sql.isOptedOut, [phone])) !== undefined;

  // Each is one transaction under the number's lock: check, history row and current list change together.
  return {
    /** The opt-out in force for this number, or undefined when it may be texted. */
    current: (phone: string) => db.get<OptOut>(sql.current, [phone]),
    /** Every opt-out and opt-in of the number, newest first. */
    history: async (phone: string) => (await db.all<Omit<OptOutEvent, 'optedOut'> & { optedOut: number }>(sql.history, [phone]))
      .map((event) => ({ ...event, optedOut: event.optedOut === 1 })),
    /** Opts the number out and cancels its queued texts; `changed` is false when it already was. */
    optOut: (phone: string, how: OptOutSource) => db.transaction(async (): Promise<{ changed: boolean; cancelled: number }> => {
      await db.lock(`phone:${phone}`);
      if (await isOptedOut(phone)) return { changed: false, cancelled: 0 };
      const at = now().toISOString();
      await db.run(sql.insertOptedOut, [phone, await record(phone, true, how, at)]);
      const cancelled = (await db.run(sql.cancelQueued, { phone, reason: optedOutReason, at })).changes;
      return { changed: true, cancelled };
    }),
    /** Lets the number be texted again; `changed` is false when it was not opted out. */
    optIn: (phone: string, how: OptOutSource) => db.transaction(async (): Promise<{ changed: boolean }> => {
      await db.lock(`phone:${phone}`);
      if (!(await isOptedOut(phone))) return { changed: false };
      await record(phone, false, how, now().toISOString());
      await db.run(sql.deleteOptedOut, [phone]);
      return { changed: true };
    }),
  };
}
