import type { Db } from '../db/database.ts';

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

const columns = 'id, username, role, disabled_at AS disabledAt, sessions_valid_after AS sessionsValidAfter, created_at AS createdAt';

export type StaffRepository = ReturnType<typeof createStaffRepository>;

export function createStaffRepository(db: Db, now: () => Date = () => new Date()) {
  const statements = {
    list: db.prepare(`SELECT ${columns} FROM staff ORDER BY username`),
    findById: db.prepare(`SELECT ${columns} FROM staff WHERE id = ?`),
    findForLogin: db.prepare(`SELECT ${columns}, password_hash AS passwordHash FROM staff WHERE username = ?`),
    count: db.prepare('SELECT count(*) FROM staff').pluck(),
    insert: db.prepare(`INSERT INTO staff (username, password_hash, role, created_at, updated_at)
      VALUES (@username, @passwordHash, @role, @at, @at) ON CONFLICT (username) DO NOTHING`),
    setDisabled: db.prepare('UPDATE staff SET disabled_at = @disabledAt, updated_at = @at WHERE id = @id'),
    setPassword: db.prepare('UPDATE staff SET password_hash = @passwordHash, updated_at = @at WHERE id = @id'),
    voidSessions: db.prepare('UPDATE staff SET sessions_valid_after = ? WHERE id = ?'),
    endSessions: db.prepare('DELETE FROM sessions WHERE staff_id = ?'),
  };

  // Deleting the rows signs the account out now; the timestamp also voids a session that a request
  // already in flight would write back after the delete.
  const endSessions = (id: number, at: Date) => {
    statements.voidSessions.run(at.getTime(), id);
    statements.endSessions.run(id);
  };

  return {
    list: () => statements.list.all() as StaffAccount[],
    findById: (id: number) => statements.findById.get(id) as StaffAccount | undefined,
    findForLogin: (username: string) => statements.findForLogin.get(username) as StaffAccountWithHash | undefined,
    count: () => statements.count.get() as number,
    /** Returns the new account, or undefined when the username is taken (case-insensitively). */
    create(account: { username: string; passwordHash: string; role: StaffRole }): StaffAccount | undefined {
      const result = statements.insert.run({ ...account, at: now().toISOString() });
      return result.changes === 1 ? (statements.findById.get(result.lastInsertRowid) as StaffAccount) : undefined;
    },
    /** Disables the account and ends every session it has, in one transaction. */
    disable: db.transaction((id: number) => {
      const at = now();
      statements.setDisabled.run({ id, disabledAt: at.toISOString(), at: at.toISOString() });
      endSessions(id, at);
    }),
    enable: (id: number) => statements.setDisabled.run({ id, disabledAt: null, at: now().toISOString() }),
    /** Sets a new password and signs the account out everywhere. */
    setPassword: db.transaction((id: number, passwordHash: string) => {
      const at = now();
      statements.setPassword.run({ id, passwordHash, at: at.toISOString() });
      endSessions(id, at);
    }),
  };
}
