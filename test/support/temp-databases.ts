import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';

/**
 * Call at the top of a test file. Returns a function that gives a database path in a fresh temporary
 * folder on each call; the folders are removed after each test.
 */
export function useTempDatabases(fileName = 'orders.db'): () => string {
  const folders: string[] = [];
  afterEach(() => {
    for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
  });
  return () => {
    const folder = mkdtempSync(join(tmpdir(), 'order-desk-'));
    folders.push(folder);
    return join(folder, fileName);
  };
}
