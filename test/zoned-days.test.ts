import { describe, expect, it } from 'vitest';
import { addDays, createZonedCalendar, daysBetween, isDay } from '../src/web/zoned-days.ts';

/** The first minute the zone's calendar shows `day`, found by walking the clock: slow, but obviously right. */
function firstMinuteOf(timeZone: string, day: string): number {
  const { dayOf } = createZonedCalendar(timeZone);
  // Every zone's midnight lies within 15 hours of UTC's.
  let instant = Date.parse(`${day}T00:00:00Z`) - 15 * 3_600_000;
  while (dayOf(new Date(instant)) !== day) instant += 60_000;
  return instant;
}

describe('the kitchen\'s calendar in TIME_ZONE', () => {
  it('starts each day at the zone\'s midnight, summer-time days 23 and 25 hours long', () => {
    const amsterdam = createZonedCalendar('Europe/Amsterdam');
    expect(amsterdam.bounds('2026-11-20')).toEqual({ day: '2026-11-20', from: new Date('2026-11-19T23:00:00Z'), to: new Date('2026-11-20T23:00:00Z') });
    expect(amsterdam.bounds('2026-03-29')).toEqual({ day: '2026-03-29', from: new Date('2026-03-28T23:00:00Z'), to: new Date('2026-03-29T22:00:00Z') });
    expect(amsterdam.bounds('2026-10-25')).toEqual({ day: '2026-10-25', from: new Date('2026-10-24T22:00:00Z'), to: new Date('2026-10-25T23:00:00Z') });
  });

  it('starts a day whose midnight is skipped at the first moment it has', () => {
    // Chile moves from 00:00 to 01:00 on 6 September 2026.
    expect(createZonedCalendar('America/Santiago').bounds('2026-09-06').from).toEqual(new Date('2026-09-06T04:00:00Z'));
  });

  it.each([
    ['Europe/Amsterdam', '2026-03-29'],
    ['America/New_York', '2026-03-08'],
    ['America/Santiago', '2026-09-06'],
    ['America/Havana', '2026-03-08'], // also skips midnight
    ['Asia/Kolkata', '2026-11-23'], // a half-hour offset
    ['Pacific/Chatham', '2026-09-27'], // a 45-minute offset on a DST day
    ['Pacific/Auckland', '2026-11-23'],
    ['UTC', '2026-11-23'],
  ])('agrees with a walk of the clock on where %s %s starts and ends', (timeZone, day) => {
    const calendar = createZonedCalendar(timeZone);
    expect(calendar.parse(day)).toEqual({ day, from: new Date(firstMinuteOf(timeZone, day)), to: new Date(firstMinuteOf(timeZone, addDays(day, 1))) });
    expect(calendar.of(new Date(firstMinuteOf(timeZone, day) + 3_600_000)).day).toBe(day);
  });

  it('parses only text that names a real day', () => {
    expect(createZonedCalendar('UTC').parse('2026-02-30')).toBeUndefined();
  });

  it('names the day and the time of a moment on the zone\'s clock', () => {
    const auckland = createZonedCalendar('Pacific/Auckland');
    expect(auckland.dayOf(new Date('2026-11-20T11:30:00Z'))).toBe('2026-11-21');
    expect(auckland.dateTime(new Date('2026-11-20T11:30:05Z'))).toBe('2026-11-21 00:30:05');
    expect(createZonedCalendar('UTC').dateTime(new Date('2026-11-20T11:30:05.999Z'))).toBe('2026-11-20 11:30:05');
  });

  it('checks and counts calendar days', () => {
    expect(['2026-11-20', '2024-02-29'].map(isDay)).toEqual([true, true]);
    expect(['2026-02-29', '2026-13-01', '2026-1-01', '20261120', ' 2026-11-20'].map(isDay)).toEqual([false, false, false, false, false]);
    expect(addDays('2026-03-28', 2)).toBe('2026-03-30');
    expect(addDays('2026-03-01', -1)).toBe('2026-02-28');
    expect(daysBetween('2026-11-20', '2026-11-20')).toBe(1);
    expect(daysBetween('2025-11-21', '2026-11-21')).toBe(366);
  });

  it('reads a time typed on the zone\'s clock as its instant: none in the hour the clocks skip, the first pass of the repeated one', () => {
    const amsterdam = createZonedCalendar('Europe/Amsterdam');
    expect(amsterdam.instantOf('2026-12-05T19:30')).toEqual(new Date('2026-12-05T18:30:00Z'));
    expect(amsterdam.instantOf('2026-07-01T12:00')).toEqual(new Date('2026-07-01T10:00:00Z'));
    expect(amsterdam.instantOf('2026-03-29T02:30')).toBeUndefined();
    expect(amsterdam.instantOf('2026-10-25T02:30')).toEqual(new Date('2026-10-25T00:30:00Z'));
    expect(amsterdam.localInput(new Date('2026-10-25T01:30:00Z'))).toBe('2026-10-25T02:30');
    for (const text of ['2026-02-30T10:00', '2026-12-05T24:00', '2026-12-05T19:60', '2026-12-05 19:30', '19:30', '']) {
      expect(amsterdam.instantOf(text)).toBeUndefined();
    }
  });
});
