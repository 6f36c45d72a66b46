// The process passwords.ts starts for strength checks: one answer per message, by id. It ends when
// the server ends it, or by itself once the server is gone (its message channel closes).
import { strengthProblem } from './password-strength.ts';

process.on('message', ({ id, password, username }: { id: number; password: string; username: string }) => {
  process.send!({ id, problem: strengthProblem(password, username) });
});
