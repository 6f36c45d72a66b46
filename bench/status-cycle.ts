// Status changes for the benchmarks: each one a real change that keeps the order on the board.
export type BenchStatus = 'pending' | 'confirmed' | 'delayed';

const cycle: readonly BenchStatus[] = ['pending', 'confirmed', 'delayed'];

export function nextBenchStatus(status: BenchStatus): BenchStatus {
  return cycle[(cycle.indexOf(status) + 1) % cycle.length]!;
}

/** A change to delayed says how late, as the board's +20 button does. */
export const benchDelayMinutes = 20;

/** The board form's fields for the change from `expectedStatus` to the next status. */
export function statusFormFields(csrfToken: string, expectedStatus: BenchStatus): Record<string, string> {
  const status = nextBenchStatus(expectedStatus);
  return { _csrf: csrfToken, expectedStatus, status, ...(status === 'delayed' ? { quickDelay: String(benchDelayMinutes) } : {}) };
}
