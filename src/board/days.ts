// Days as the kitchen counts them: midnight to midnight on the server's clock, named as order
// numbers name them (kitchenDay, "2026-11-23").
import { kitchenDay } from '../orders/order-repository.ts';

/** The day "YYYY-MM-DD" names as [from, to), or undefined when it names no real day. */
export function parseDay(text: string): { from: Date; to: Date } | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const from = new Date(year, month - 1, day);
  if (from.getFullYear() !== year || from.getMonth() !== month - 1 || from.getDate() !== day) return undefined;
  return { from, to: new Date(year, month - 1, day + 1) };
}

export function dayOf(date: Date): { from: Date; to: Date } {
  return parseDay(kitchenDay(date))!;
}
