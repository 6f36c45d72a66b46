import type { Database } from '../db/database.ts';
import { createWebhookRepository } from '../webhooks/webhook-repository.ts';

/** The lengths of a pause staff can pick, in minutes. */
export const pauseMinutes = [15, 30, 60, 120] as const;

/** A pause of the online orders, as the pages list it. */
export type IntakePause = {
  id: number;
  startedAt: string;
  until: string;
  startedBy: string | null;
  /** When someone resumed early (or a new pause replaced it); null otherwise. */
  endedAt: string | null;
  endedBy: string | null;
};

export type IntakePauseRepository = ReturnType<typeof createIntakePauseRepository>;

/**
 * "We are swamped": the online orders paused for a while. Only the newest pause can be in force (a
 * new one ends the one before), so whether the intake is paused is one row read by its key. Each
 * pause and resume is posted to the shops that take status updates, in the same transaction.
 */
export function createIntakePauseRepository(db: Database, now: () => Date = () => new Date()) {
  const shopEvents = createWebhookRepository(db, now);
  const columns = `pause.id, pause.started_at AS "startedAt", pause.until, starter.username AS "startedBy",
    pause.ended_at AS "endedAt", ender.username AS "endedBy"`;
  const from = `FROM intake_pauses AS pause LEFT JOIN staff AS starter ON starter.id = pause.started_by
    LEFT JOIN staff AS ender ON ender.id = pause.ended_by`;
  const sql = {
    latest: `SELECT ${columns} ${from} ORDER BY pause.id DESC LIMIT 1`,
    recent: `SELECT ${columns} ${from} ORDER BY pause.id DESC LIMIT @limit`,
    endOpen: 'UPDATE intake_pauses SET ended_at = @at, ended_by = @by WHERE ended_at IS NULL AND until > @at',
    insert: 'INSERT INTO intake_pauses (started_at, until, started_by) VALUES (@at, @until, @by) RETURNING id',
  };
  const inForce = (pause: IntakePause | undefined, at: Date) =>
    pause && pause.endedAt === null && Date.parse(pause.until) > at.getTime() ? { ...pause, id: Number(pause.id) } : undefined;

  return {
    /** The pause in force now, if any. */
    current: async (at = now()) => inForce(await db.get<IntakePause>(sql.latest), at),
    /** The newest pauses, newest first, for the Online orders page. */
    recent: (limit = 10) => db.all<IntakePause>(sql.recent, { limit }),
    /** Pauses the online orders for `minutes` from now, replacing a pause in force. */
    pause: (minutes: number, staffId: number | null) => db.transaction(async () => {
      await db.lock('intake-pause');
      const at = now();
      const until = new Date(at.getTime() + minutes * 60_000).toISOString();
      await db.run(sql.endOpen, { at: at.toISOString(), by: staffId });
      await db.value<number>(sql.insert, { at: at.toISOString(), until, by: staffId });
      await shopEvents.intakeChanged({ open: false, pausedUntil: until, changedAt: at.toISOString() });
      return (await db.get<IntakePause>(sql.latest))!;
    }),
    /** Ends the pause in force now; false when there was none. */
    resume: (staffId: number | null) => db.transaction(async () => {
      await db.lock('intake-pause');
      const at = now().toISOString();
      if ((await db.run(sql.endOpen, { at, by: staffId })).changes === 0) return false;
      await shopEvents.intakeChanged({ open: true, pausedUntil: null, changedAt: at });
      return true;
    }),
  };
}
