import { z } from 'zod';
import { dueAt } from './schedule.ts';

/** How late staff may say an order runs, in minutes, and the board's one-press picks. */
export const delayLimits = { min: 1, max: 180 } as const;
export const quickDelays = [10, 20, 30] as const;

export const delayRule = `Say how late it runs: ${quickDelays.map((minutes) => `+${minutes}`).join(', ')} or ${delayLimits.min}–${delayLimits.max} minutes`;

/**
 * A minutes field of the status form: whole minutes in range, as digits (not "1e1" or "0x14"), or
 * absent (empty counts as absent).
 */
export const delayMinutesField = z.preprocess(
  (value) => (value === '' ? undefined : value),
  z.string({ error: delayRule })
    .trim()
    .regex(/^\d{1,3}$/, { error: delayRule })
    .transform(Number)
    .pipe(z.number().min(delayLimits.min, { error: delayRule }).max(delayLimits.max, { error: delayRule }))
    .optional(),
);

/**
 * When the order is now expected: the time the customer was last given (or, before any delay, the
 * time it is due: the time asked for, or when the board starts calling it late), or now if that has passed, plus the delay. A delay is
 * counted from what the customer expects, so "+20" twice means 40 minutes later than first promised,
 * and never from a time already gone.
 */
export function expectedAfterDelay(order: { expectedAt: string | null; createdAt: string; scheduledFor: string | null }, minutes: number, now: Date, lateAfterMinutes: number): Date {
  const previous = order.expectedAt ? Date.parse(order.expectedAt) : dueAt(order, lateAfterMinutes);
  return new Date(Math.max(previous, now.getTime()) + minutes * 60_000);
}

/** "20 minutes", "1 minute": the delay as a text says it. */
export function delayText(minutes: number): string {
  return minutes === 1 ? '1 minute' : `${minutes} minutes`;
}
