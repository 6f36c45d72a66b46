import type { Database } from '../db/database.ts';

export const staffRoles = ['staff', 'admin'] as const;
export type StaffRole = (typeof staffRoles)[number];

export type StaffAccount = {
  id: number;
  username: string;
  role: StaffRole;
  disabledAt: string | null;
  sessionsValidAfter: number;
  createdAt: string;
};

type StaffAccountWithHash = StaffAccount & { passwordHash: string };

const columns = 'id, username, role, disabled_at AS "disabledAt", sessions_valid_after AS "sessionsValidAfter", created_at AS "createdAt"';

export type StaffRepository = ReturnType<typeof createStaffRepository>;

export function createStaffRepository(db: Database, now: () => Date = () => new Date()) {
  const sql = {
    list: `SELECT ${columns} FROM staff ORDER BY username`,
    findById: `SELECT ${columns} FROM staff WHERE id = ?`,
    findForLogin: `SELECT ${columns}, password_hash AS "passwordHash" FROM staff WHERE username = ?`,
    count: 'SELECT count(*) FROM staff',
    // Any unique index refuses it: the username's, whichever form each engine gives it.
    insert: `INSERT INTO staff (username, password_hash, role, created_at, updated_at)
      VALUES (@username, @passwordHash, @role, @at, @at) ON CONFLICT DO NOTHING RETURNING id`,
    setDisabled: 'UPDATE staff SET disabled_at = @disabledAt, updated_at = @at WHERE id = @id',
    setPassword: 'UPDATE staff SET password_hash = @passwordHash, updated_at = @at WHERE id = @id',
    voidSessions: 'UPDATE staff SET sessions_valid_after = ? WHERE id = ?',
    endSessions: 'DELETE FROM sessions WHERE staff_id = ?',
  };

  const findById = (id: number) => db.get<StaffAccount>(sql.findById, [id]);
  // Deleting the rows signs the account out now; the timestamp also voids a session that a request
  // already in flight would write back after the delete.
  const endSessions = async (id: number, at: Date) => {
    await db.run(sql.voidSessions, [at.getTime(), id]);
    await db.run(sql.endSessions, [id]);
  };

  return {
    list: () => db.all<StaffAccount>(sql.list),
    findById,
    findForLogin: (username: string) => db.get<StaffAccountWithHash>(sql.findForLogin, [username]),
    count: async () => (await db.value<number>(sql.count))!,
    /** Returns the new account, or undefined when the username is taken (case-insensitively). */
    async create(account: { username: string; passwordHash: string; role: StaffRole }): Promise<StaffAccount | undefined> {
      const id = await db.value<number>(sql.insert, { ...account, at: now().toISOString() });
      return id === undefined ? undefined : findById(id);
    },
    /** Disables the account and ends every session it has, in one transaction. */
    disable: (id: number) => db.transaction(async () => {
      const at = now();
      await db.run(sql.setDisabled, { id, disabledAt: at.toISOString(), at: at.toISOString() });
      await endSessions(id, at);
    }),
    enable: (id: number) => db.run(sql.setDisabled, { id, disabledAt: null, at: now().toISOString() }),
    /** Sets a new password and signs the account out everywhere. */
    setPassword: (id: number, passwordHash: string) => db.transaction(async () => {
      const at = now();
      await db.run(sql.setPassword, { id, passwordHash, at: at.toISOString() });
      await endSessions(id, at);
    }),
  };
}
