/**
 * A fixed-offset zone whose clock shows about noon when the test starts, so that times a few hours
 * ahead (orders for later) fall on the same day whatever hour the tests run at, and a day's end is
 * not a few minutes away. `offsetMs` turns a UTC instant into that zone's wall clock.
 */
export function noonZone(now = new Date()): { timeZone: string; offsetMs: number } {
  const hours = 12 - now.getUTCHours();
  // The Etc zones name the offset with the opposite sign: Etc/GMT-3 is three hours ahead of UTC.
  return { timeZone: `Etc/GMT${hours > 0 ? '-' : '+'}${Math.abs(hours)}`, offsetMs: hours * 3_600_000 };
}
