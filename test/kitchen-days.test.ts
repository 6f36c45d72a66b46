import { describe, expect, it } from 'vitest';
import { createKitchenDays } from '../src/orders/kitchen-days.ts';

const minute = 60_000;

/** The first minute the zone's calendar shows `day`, found by walking the clock: slow, but obviously right. */
function firstMinuteOf(timeZone: string, day: string): number {
  const name = createKitchenDays(timeZone).name;
  const [year, month, date] = day.split('-').map(Number) as [number, number, number];
  // Every zone's midnight lies within 15 hours of UTC's.
  let instant = Date.UTC(year, month - 1, date) - 15 * 60 * minute;
  while (name(new Date(instant)) !== day) instant += minute;
  return instant;
}

describe('kitchen days', () => {
  it('names the day by the kitchen\'s clock, not UTC\'s', () => {
    const auckland = createKitchenDays('Pacific/Auckland');
    expect(auckland.name(new Date('2026-11-22T23:30:00Z'))).toBe('2026-11-23');
    const losAngeles = createKitchenDays('America/Los_Angeles');
    expect(losAngeles.name(new Date('2026-11-23T05:00:00Z'))).toBe('2026-11-22');
  });

  it('runs a day from the zone\'s midnight to the next', () => {
    expect(createKitchenDays('Europe/Amsterdam').parse('2026-11-23')).toEqual({
      from: new Date('2026-11-22T23:00:00Z'),
      to: new Date('2026-11-23T23:00:00Z'),
    });
  });

  it.each([
    ['Europe/Amsterdam', '2026-03-29'], // 23 hours: the clocks go forward at 02:00
    ['Europe/Amsterdam', '2026-10-25'], // 25 hours
    ['America/New_York', '2026-03-08'],
    ['America/Santiago', '2026-09-06'], // midnight itself is skipped: the day starts at 01:00
    ['America/Havana', '2026-03-08'], // also skips midnight
    ['Asia/Kolkata', '2026-11-23'], // a half-hour offset
    ['Pacific/Chatham', '2026-09-27'], // a 45-minute offset on a DST day
    ['UTC', '2026-11-23'],
  ])('finds the true start and end of %s %s, DST days included', (timeZone, day) => {
    const range = createKitchenDays(timeZone).parse(day)!;
    const next = new Date(Date.UTC(...(day.split('-').map(Number) as [number, number, number]).map((part, index) => index === 1 ? part - 1 : part) as [number, number, number]) + 86_400_000).toISOString().slice(0, 10);
    expect(range.from.getTime()).toBe(firstMinuteOf(timeZone, day));
    expect(range.to.getTime()).toBe(firstMinuteOf(timeZone, next));
  });

  it('refuses text that names no real day', () => {
    const days = createKitchenDays('Europe/Amsterdam');
    for (const text of ['2026-02-30', '2026-13-01', '2026-11-23T00:00', '23-11-2026', '', '1969-12-31']) {
      expect(days.parse(text)).toBeUndefined();
    }
  });

  it('gives the day a moment falls in', () => {
    const days = createKitchenDays('Pacific/Auckland');
    const range = days.of(new Date('2026-11-23T10:59:00Z'));
    expect(range.from.toISOString()).toBe('2026-11-22T11:00:00.000Z');
    expect(range.to.toISOString()).toBe('2026-11-23T11:00:00.000Z');
  });
});
