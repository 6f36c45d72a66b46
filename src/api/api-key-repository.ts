import { createHash, randomBytes } from 'node:crypto';
import type { Database } from '../db/database.ts';

/** Every key starts with this, so a leaked one is easy to recognise (and to scan for). */
export const keyPrefix = 'od_live_';

export const apiKeyNamePattern = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,49}$/;
export const apiKeyNameRule = 'must be 1 to 50 letters, digits, spaces, dots, dashes or underscores';

export type ApiKey = {
  id: number;
  name: string;
  /** The key's first characters, e.g. od_live_Xy12Ab: shown on the admin page and in logs. */
  prefix: string;
  createdBy: string | null;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
  /** Where the shop wants its orders' status changes posted (webhooks); null for nowhere. */
  webhookUrl: string | null;
};

// 256 random bits: guessing is hopeless, so one SHA-256 is a safe way to store it (unlike a
// password, which needs a slow hash). https://cheatsheetseries.owasp.org/cheatsheets/Password_Storage_Cheat_Sheet.html
const hashKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** The part of a presented key that may be logged, whether the key is valid or not. */
export const visiblePrefix = (key: string) => key.slice(0, keyPrefix.length + 6);

const columns = `key.id, key.name, key.prefix, staff.username AS "createdBy", key.created_at AS "createdAt",
  key.last_used_at AS "lastUsedAt", key.revoked_at AS "revokedAt", key.webhook_url AS "webhookUrl"`;
const from = 'FROM api_keys AS key LEFT JOIN staff ON staff.id = key.created_by';

export type ApiKeyRepository = ReturnType<typeof createApiKeyRepository>;

export function createApiKeyRepository(db: Database, now: () => Date = () => new Date()) {
  const sql = {
    insert: `INSERT INTO api_keys (name, prefix, key_hash, created_by, created_at)
      VALUES (@name, @prefix, @keyHash, @createdBy, @at) ON CONFLICT DO NOTHING RETURNING id`,
    findById: `SELECT ${columns} ${from} WHERE key.id = ?`,
    findActiveByName: `SELECT ${columns} ${from} WHERE key.name = ? AND key.revoked_at IS NULL`,
    findActiveByHash: `SELECT ${columns} ${from} WHERE key.key_hash = ? AND key.revoked_at IS NULL`,
    list: `SELECT ${columns} ${from} ORDER BY CASE WHEN key.revoked_at IS NULL THEN 0 ELSE 1 END, key.name, key.id`,
    revoke: 'UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL',
    // At most one write a minute per key: "last used" needs no more precision than that, and a
    // read-only request should not wait for a disk sync every time.
    touch: `UPDATE api_keys SET last_used_at = @at
      WHERE id = @id AND (last_used_at IS NULL OR last_used_at < @minuteAgo)`,
  };
  const findById = (id: number) => db.get<ApiKey>(sql.findById, [id]);

  return {
    /**
     * Makes a key and returns it with its record; the key itself is never stored, so this is the
     * only time anyone sees it. Undefined when an active key already has that name.
     */
    async create(input: { name: string; createdBy: number | null }): Promise<{ key: string; apiKey: ApiKey } | undefined> {
      const key = keyPrefix + randomBytes(32).toString('base64url');
      const id = await db.value<number>(sql.insert, { name: input.name, prefix: visiblePrefix(key), keyHash: hashKey(key), createdBy: input.createdBy, at: now().toISOString() });
      if (id === undefined) return undefined;
      return { key, apiKey: (await findById(id))! };
    },
    list: () => db.all<ApiKey>(sql.list),
    findById,
    findActiveByName: (name: string) => db.get<ApiKey>(sql.findActiveByName, [name]),
    /** The active key this secret belongs to, or undefined for an unknown or revoked one. */
    async authenticate(key: string): Promise<ApiKey | undefined> {
      const apiKey = await db.get<ApiKey>(sql.findActiveByHash, [hashKey(key)]);
      if (apiKey) {
        const at = now();
        await db.run(sql.touch, { id: apiKey.id, at: at.toISOString(), minuteAgo: new Date(at.getTime() - 60_000).toISOString() });
      }
      return apiKey;
    },
    /** True when the key was active and is now revoked. */
    revoke: async (id: number) => (await db.run(sql.revoke, [now().toISOString(), id])).changes === 1,
  };
}
