// Status changes for the benchmarks: each one a real change that keeps the order on the board.
export type BenchStatus = 'pending' | 'confirmed' | 'delayed';

const cycle: readonly BenchStatus[] = ['pending', 'confirmed', 'delayed'];

export function nextBenchStatus(status: BenchStatus): BenchStatus {
  return cycle[(cycle.indexOf(status) + 1) % cycle.length]!;
}
