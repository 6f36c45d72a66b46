/**
 * Orders for later: a customer may ask for an order at a time ("deliver at 19:30", "pick up
 * tomorrow at noon") instead of as soon as possible. The kitchen works to that time: the board
 * sorts by it and calls the order late once it has passed.
 */

import type { ZonedCalendar } from '../web/zoned-days.ts';

/** How far ahead an order may be scheduled: a shop's pre-orders for the coming week and a bit. */
export const scheduleMaxDays = 14;

const minuteMs = 60_000;

/**
 * When the order is due: the time asked for, or for an order wanted as soon as possible, its
 * arrival plus LATE_AFTER_MINUTES (when the board starts calling it late). The board's active
 * orders are in this order, and an order is late from it.
 */
export function dueAt(order: { scheduledFor: string | null; createdAt: string }, lateAfterMinutes: number): number {
  return order.scheduledFor ? Date.parse(order.scheduledFor) : Date.parse(order.createdAt) + lateAfterMinutes * minuteMs;
}

/** Whether an order for later is due on a later day than the kitchen's day of `now` (off its queue). */
export function isForLaterDay(scheduledFor: string | null, calendar: ZonedCalendar, now: Date): boolean {
  return scheduledFor !== null && Date.parse(scheduledFor) >= calendar.of(now).to.getTime();
}

/**
 * Why a time newly asked for cannot be taken, or undefined when it can: it must still be ahead
 * (a time that passed while the form was typed is a mistake to point out, not an order to take
 * late) and at most scheduleMaxDays away. A time the order already had is not checked again.
 */
export function scheduleProblem(at: Date, now: Date): string | undefined {
  if (at.getTime() <= now.getTime()) return 'That time has already passed: give a later one, or leave it empty for as soon as possible.';
  if (at.getTime() > now.getTime() + scheduleMaxDays * 1440 * minuteMs) return `An order can be scheduled at most ${scheduleMaxDays} days ahead.`;
  return undefined;
}
