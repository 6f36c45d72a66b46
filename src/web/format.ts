import { createZonedCalendar } from './zoned-days.ts';

export type TimeFormatter = (at: string | Date) => string;

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const dayMs = 86_400_000;

/**
 * The kitchen's clock: every time on every page, and in the board script (the server sends it the
 * formatted text), comes from here, in the configured time zone — not the server's, not the
 * browser's. The day is shown when it is not today: "19:42", "yesterday 23:50", "tomorrow 00:10",
 * "21 Nov 23:50", "30 Dec 2025 23:50".
 */
export function createTimeFormatter(timeZone: string, now: () => Date = () => new Date()): TimeFormatter {
  // The zone's wall clock is read as the kitchen's days are: one calendar for both.
  const calendar = createZonedCalendar(timeZone);
  const local = (date: Date) => {
    const [day, clock] = calendar.dateTime(date).split(' ') as [string, string];
    const [year, month, dayOfMonth] = day.split('-').map(Number) as [number, number, number];
    // The local calendar day as a day count, so "yesterday" follows the zone's midnight, DST included.
    return { year, month, day: dayOfMonth, dayNumber: Date.parse(`${day}T00:00:00Z`) / dayMs, time: clock.slice(0, 5) };
  };

  return (at) => {
    const then = local(typeof at === 'string' ? new Date(at) : at);
    const today = local(now());
    const days = then.dayNumber - today.dayNumber;
    if (days === 0) return then.time;
    if (days === -1) return `yesterday ${then.time}`;
    if (days === 1) return `tomorrow ${then.time}`;
    const date = `${then.day} ${months[then.month - 1]}${then.year === today.year ? '' : ` ${then.year}`}`;
    return `${date} ${then.time}`;
  };
}
