// The worker thread passwords.ts starts for strength checks: one answer per message, by id.
import { parentPort } from 'node:worker_threads';
import { strengthProblem } from './password-strength.ts';

parentPort!.on('message', ({ id, password, username }: { id: number; password: string; username: string }) => {
  parentPort!.postMessage({ id, problem: strengthProblem(password, username) });
});
