// Days as the kitchen counts them: midnight to midnight in the kitchen's TIME_ZONE — not the
// server's zone, which in a container is usually UTC. Order numbers restart with each such day,
// the Done view and the day's counts use the same boundaries.

export type DayRange = { from: Date; to: Date };

export type KitchenDays = {
  /** The kitchen's calendar day of a moment, "2026-11-23". */
  name(moment: Date): string;
  /** The day "YYYY-MM-DD" names, as the instants [from, to) of the zone's midnights; undefined when it names no real day. */
  parse(text: string): DayRange | undefined;
  /** The day a moment falls in. */
  of(moment: Date): DayRange;
};

const pad = (value: number) => String(value).padStart(2, '0');

export function createKitchenDays(timeZone: string): KitchenDays {
  const format = new Intl.DateTimeFormat('en-GB', {
    timeZone, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23',
  });
  const wallClock = (moment: Date) => {
    const parts = new Map(format.formatToParts(moment).map((part) => [part.type, Number(part.value)]));
    return { year: parts.get('year')!, month: parts.get('month')!, day: parts.get('day')!, hour: parts.get('hour')!, minute: parts.get('minute')!, second: parts.get('second')! };
  };
  // How far the zone's wall clock is ahead of UTC at a moment.
  const offsetAt = (moment: Date) => {
    const clock = wallClock(moment);
    return Date.UTC(clock.year, clock.month - 1, clock.day, clock.hour, clock.minute, clock.second) - Math.floor(moment.getTime() / 1000) * 1000;
  };
  // The instant the zone's clock first shows this date: midnight, or the first minute after a DST
  // jump that skips midnight. The offset is read twice because it may change between the guess and midnight.
  const startOf = (year: number, month: number, day: number) => {
    const midnightUtc = Date.UTC(year, month - 1, day);
    let instant = midnightUtc - offsetAt(new Date(midnightUtc));
    instant = midnightUtc - offsetAt(new Date(instant));
    const clock = wallClock(new Date(instant));
    // Midnight did not exist that day (the clock jumped from 23:59 to 01:00): take the jump's instant.
    if (clock.day !== day) instant += 3_600_000 - (clock.minute * 60_000 + clock.second * 1000);
    return new Date(instant);
  };

  const name = (moment: Date) => {
    const clock = wallClock(moment);
    return `${clock.year}-${pad(clock.month)}-${pad(clock.day)}`;
  };
  const parse = (text: string): DayRange | undefined => {
    const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
    if (!match) return undefined;
    const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
    const calendar = new Date(Date.UTC(year, month - 1, day));
    if (year < 1970 || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return undefined;
    const next = new Date(Date.UTC(year, month - 1, day + 1));
    return { from: startOf(year, month, day), to: startOf(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate()) };
  };
  return { name, parse, of: (moment) => parse(name(moment))! };
}
