// Calendar days and wall-clock times in the kitchen's TIME_ZONE, whatever zone the server runs in
// (in a container usually UTC): order numbers restart at its midnight, the board's counts and the
// Done view turn the page there, the Messages page counts its days and the export writes its times.

const dayMs = 86_400_000;
const quarterHourMs = 900_000;

export type ZonedDay = { day: string; from: Date; to: Date };

export type ZonedCalendar = ReturnType<typeof createZonedCalendar>;

export function createZonedCalendar(timeZone: string) {
  const format = new Intl.DateTimeFormat('en-GB', {
    timeZone, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric', hourCycle: 'h23',
  });
  // Offsets change at most on quarter hours (DST, zone rule changes): one Intl call per quarter
  // hour keeps a long export from calling it for every row.
  const offsets = new Map<number, number>();
  const offsetAt = (instant: number): number => {
    const key = Math.floor(instant / quarterHourMs);
    let offset = offsets.get(key);
    if (offset === undefined) {
      const parts = new Map(format.formatToParts(new Date(key * quarterHourMs)).map((part) => [part.type, Number(part.value)]));
      const wall = Date.UTC(parts.get('year')!, parts.get('month')! - 1, parts.get('day')!, parts.get('hour')!, parts.get('minute')!, parts.get('second')!);
      offset = wall - key * quarterHourMs;
      if (offsets.size > 100_000) offsets.clear();
      offsets.set(key, offset);
    }
    return offset;
  };
  /** The wall-clock time as if it were UTC, for reading its fields with getUTC*. */
  const wall = (moment: Date) => new Date(moment.getTime() + offsetAt(moment.getTime()));
  const dayOf = (moment: Date): string => wall(moment).toISOString().slice(0, 10);
  const dateTime = (moment: Date): string => wall(moment).toISOString().slice(0, 19).replace('T', ' ');

  /** The instant the day ("YYYY-MM-DD", already checked) starts: its midnight, or the first moment after a skipped one. */
  const startOf = (day: string): Date => {
    const [year, month, date] = day.split('-').map(Number) as [number, number, number];
    const midnight = Date.UTC(year, month - 1, date);
    // The offsets a day before and after: one of them holds at the day's start. The earliest
    // candidate that falls on the day wins (a skipped midnight starts the day at the jump).
    const candidates = [midnight - offsetAt(midnight - dayMs), midnight - offsetAt(midnight + dayMs)].sort((a, b) => a - b);
    return new Date(candidates.find((candidate) => dayOf(new Date(candidate)) === day) ?? candidates[0]!);
  };

  const bounds = (day: string): ZonedDay => ({ day, from: startOf(day), to: startOf(addDays(day, 1)) });

  /**
   * The instant a wall-clock time ("2026-12-05T19:30", as a datetime-local field sends it) names in
   * the zone, or undefined when it names none: no such day or time, or an hour the clocks skip. A
   * time the clocks pass twice (the autumn's repeated hour) is its first pass.
   */
  const instantOf = (text: string): Date | undefined => {
    const match = /^(\d{4}-\d{2}-\d{2})T(\d{2}):(\d{2})$/.exec(text);
    if (!match || !isDay(match[1]!) || Number(match[2]) > 23 || Number(match[3]) > 59) return undefined;
    const asUtc = Date.parse(`${text}:00Z`);
    const local = text.replace('T', ' ');
    return [asUtc - offsetAt(asUtc - dayMs), asUtc - offsetAt(asUtc + dayMs)].sort((a, b) => a - b)
      .map((candidate) => new Date(candidate))
      .find((candidate) => dateTime(candidate).slice(0, 16) === local);
  };

  return {
    timeZone,
    /** The calendar day the moment falls on in the zone: "2026-11-23". */
    dayOf,
    /** The day as [from, to) instants. */
    bounds,
    /** The day text "YYYY-MM-DD" names, or undefined when it names no real day. */
    parse: (text: string): ZonedDay | undefined => (isDay(text) ? bounds(text) : undefined),
    /** The day a moment falls in. */
    of: (moment: Date): ZonedDay => bounds(dayOf(moment)),
    /** "2026-11-23 19:42:05" on the zone's clock. */
    dateTime,
    instantOf,
    /** The moment as a datetime-local field shows it on the zone's clock: "2026-12-05T19:30". */
    localInput: (moment: Date): string => dateTime(moment).slice(0, 16).replace(' ', 'T'),
  };
}

/** Whether the text names a real calendar day as YYYY-MM-DD. */
export function isDay(text: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) return false;
  const date = new Date(Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3])));
  return date.toISOString().slice(0, 10) === text;
}

/** The day `count` calendar days after (or before) the given one. */
export function addDays(day: string, count: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + count * dayMs).toISOString().slice(0, 10);
}

const dayNames = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });

/** "Friday, 4 December 2026": the day's own name, read at noon UTC of that date so no zone moves it. */
export function nameOfDay(day: string): string {
  return dayNames.format(new Date(`${day}T12:00:00Z`));
}

/** Calendar days from the first to the second, counting both: 2026-11-01 to 2026-11-01 is 1. */
export function daysBetween(first: string, last: string): number {
  return Math.round((Date.parse(`${last}T00:00:00Z`) - Date.parse(`${first}T00:00:00Z`)) / dayMs) + 1;
}
