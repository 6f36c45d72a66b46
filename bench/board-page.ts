// Measures the board page of a running Order Desk as a browser gets it: size as sent (with and
// without gzip) and time to first byte, median of several requests.
// Usage: BENCH_URL=http://localhost:3000 BENCH_USERNAME=admin BENCH_PASSWORD=… node bench/board-page.ts [path]
import { request } from 'node:http';

const base = process.env.BENCH_URL ?? 'http://localhost:3000';
const username = process.env.BENCH_USERNAME ?? 'admin';
const password = process.env.BENCH_PASSWORD ?? '';
const path = process.argv[2] ?? '/';
const rounds = Number(process.env.BENCH_ROUNDS ?? 7);

type Answer = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer; firstByteMs: number; totalMs: number };

function get(target: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstByteMs = 0;
    const req = request(new URL(target, base), { method, headers }, (res) => {
      firstByteMs = performance.now() - started;
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), firstByteMs, totalMs: performance.now() - started }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const cookieOf = (answer: Answer) => (answer.headers['set-cookie'] as string[] | undefined)?.map((cookie) => cookie.split(';')[0]).join('; ') ?? '';

const login = await get('/login', {});
const token = /name="_csrf" value="([^"]+)"/.exec(login.body.toString())?.[1] ?? '';
const form = new URLSearchParams({ _csrf: token, username, password }).toString();
const signedIn = await get('/login', { cookie: cookieOf(login), 'content-type': 'application/x-www-form-urlencoded' }, 'POST', form);
if (signedIn.status !== 303) throw new Error(`sign-in failed with ${signedIn.status}`);
const cookie = cookieOf(signedIn);

const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
for (const encoding of ['identity', 'gzip, deflate, br']) {
  const answers: Answer[] = [];
  for (let round = 0; round < rounds; round += 1) answers.push(await get(path, { cookie, 'accept-encoding': encoding }));
  const last = answers.at(-1)!;
  if (last.status !== 200) throw new Error(`GET ${path} answered ${last.status}`);
  console.log(`GET ${path} accept-encoding "${encoding}": ${last.body.length} bytes sent (${last.headers['content-encoding'] ?? 'uncompressed'}), time to first byte ${median(answers.map((answer) => answer.firstByteMs)).toFixed(1)} ms, complete ${median(answers.map((answer) => answer.totalMs)).toFixed(1)} ms (median of ${rounds})`);
}
