import { describe, expect, it } from 'vitest';
import { addDays, createZonedCalendar, daysBetween, isDay } from '../src/web/zoned-days.ts';

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
});
