// `npm run bench [-- --quick]`: every benchmark of the performance issue, each side measured in
// this one run, interleaved round by round (A, B, A, B, …), with the ratio and the goal. The servers
// under test are the real src/server.ts in child processes on one core; this process generates the
// load on the other. Prints, and (full runs) rewrites the results part of docs/performance.md and
// docs/performance.svg. It never fails a build: a missed goal is printed as "miss".
import autocannon from 'autocannon';
import Database from 'better-sqlite3';
import pg from 'pg';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openSqlite } from '../src/db/sqlite.ts';
import { createMessageRepository } from '../src/notifications/message-repository.ts';
import { newOrderId } from '../src/orders/order-id.ts';
import { createOrderRepository } from '../src/orders/order-repository.ts';
import { cpuSeconds, freePort, httpRequest, pinLoadGenerator, root, signIn, spawnNode, startServer, waitForHealth } from './processes.ts';
import type { SignedIn } from './processes.ts';
import { measureCompression } from './compression.ts';
import type { CompressionResult } from './compression.ts';
import { writeReport } from './report.ts';
import type { BenchRow } from './report.ts';
import { nextBenchStatus, statusFormFields } from './status-cycle.ts';
import type { BenchStatus } from './status-cycle.ts';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, write: { type: 'boolean' }, only: { type: 'string' } } });
// `--only board,million,post,pg,notify,live` runs just those (million includes memory and cold start).
const only = values.only?.split(',');
const wanted = (name: string) => !only || only.includes(name);
const quick = values.quick;
const write = values.write ?? (!quick && !only);
const settings = {
  rounds: quick ? 2 : 5,
  roundSeconds: quick ? 1 : 4,
  connections: 20,
  bigOrders: quick ? 100_000 : 1_000_000,
  smallOrders: 1000,
  activeOrders: 50,
  notifyMessages: quick ? 40 : 400,
  smsConcurrency: Number(process.env.SMS_CONCURRENCY ?? 4),
  fakeLatencyMs: 50,
  liveBoards: 100,
  liveChanges: quick ? 3 : 20,
  coldStarts: quick ? 1 : 5,
};

const pinning = pinLoadGenerator();
const folder = mkdtempSync(join(tmpdir(), 'order-desk-bench-'));
// Every run starts from an empty compile cache of its own, whatever earlier runs or servers left:
// the first server started (the 1,000-order one) compiles from source and writes the cache once it
// listens; every later start, the measured 1,000,000-order one included, finds it filled.
process.env.NODE_COMPILE_CACHE = join(folder, 'compile-cache');
const rows: BenchRow[] = [];
let compression: CompressionResult[] = [];
const started = new Date();
const machine = {
  cpu: cpus()[0]?.model.trim() ?? 'unknown CPU',
  cores: cpus().length,
  node: process.version,
  date: started.toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
  pinning: pinning.pinned ? `server on core ${pinning.serverCore}, load generator on core ${pinning.loadCore} (taskset)` : `not pinned: ${pinning.reason}`,
};
console.log(`Order Desk benchmarks${quick ? ' (--quick: shorter, smaller; not written to docs)' : ''}`);
console.log(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node}; ${machine.pinning}`);

const extraProcesses: Array<{ kill: () => void }> = [];
process.on('exit', () => {
  for (const child of extraProcesses) child.kill();
  rmSync(folder, { recursive: true, force: true });
});

const median = (list: number[]) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
};
const percentile = (list: number[], p: number) => {
  const sorted = [...list].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
};
const fixed = (value: number, digits = 1) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/**
 * The lowest and highest ratio of one round's two sides, measured back to back: how far the machine
 * moved during the run, to read the median ratio by.
 */
const roundByRound = (sides: number[], references: number[]) => {
  const ratios = sides.map((rate, round) => rate / references[round]!);
  return `round by round ${fixed(Math.min(...ratios) * 100)}–${fixed(Math.max(...ratios) * 100)}%`;
};

/** Fills a database with db:fake; returns the seconds it took. */
function fakeDatabase(path: string, orders: number, active: number): number {
  const at = performance.now();
  execFileSync(process.execPath, ['scripts/db-fake.ts', '--orders', String(orders), '--active', String(active)], {
    cwd: root, env: { ...process.env, DATABASE_PATH: path }, stdio: ['ignore', 'ignore', 'inherit'],
  });
  return (performance.now() - at) / 1000;
}

/** A load run with the CPU time the server process used during it (Linux), to read its rate by. */
type ServerLoad = LoadResult & { cpu: number | undefined };

async function loadOn(pid: number, options: autocannon.Options, expectStatus: number): Promise<ServerLoad> {
  const before = cpuSeconds(pid);
  const result = await load(options, expectStatus);
  const after = cpuSeconds(pid);
  return { ...result, cpu: before === undefined || after === undefined ? undefined : after - before };
}

/**
 * How busy the server's core was, and its CPU time per answer, over the rounds (medians). A server
 * whose core was not busy all the time was not what limited the rate: the load generator was.
 */
function serverCost(results: ServerLoad[]): { busy: number; perRequestUs: number } | undefined {
  if (results.some((result) => result.cpu === undefined || result.requests === 0)) return undefined;
  return {
    busy: median(results.map((result) => result.cpu! / result.seconds)),
    perRequestUs: median(results.map((result) => (result.cpu! / result.requests) * 1e6)),
  };
}

type LoadResult = { perSecond: number; p50: number; p99: number; unexpected: number; requests: number; seconds: number };

/** One autocannon run; counts answers with `expectStatus` and keeps every latency. */
function load(options: autocannon.Options, expectStatus: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    let expected = 0;
    let unexpected = 0;
    const instance = autocannon({ connections: settings.connections, duration: settings.roundSeconds, ...options }, (error, result) => {
      if (error) return reject(error);
      resolve({ perSecond: expected / result.duration, p50: percentile(latencies, 50), p99: percentile(latencies, 99), unexpected: unexpected + result.errors + result.timeouts, requests: expected, seconds: result.duration });
    });
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status === expectStatus) {
        expected += 1;
        latencies.push(ms);
      } else {
        unexpected += 1;
      }
    });
  });
}

/** Status POSTs on one server, each walking the next of `orders` one step through the status cycle. */
function cycleStatuses(url: string, session: SignedIn, orders: Array<{ id: string; status: BenchStatus }>, connections: number): Promise<LoadResult> {
  let position = 0;
  return load({
    url,
    connections,
    headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    requests: [{
      method: 'POST',
      setupRequest: (req) => {
        const order = orders[position % orders.length]!;
        position += 1;
        const fields = statusFormFields(session.csrfToken, order.status);
        order.status = nextBenchStatus(order.status);
        return { ...req, path: `/orders/${order.id}/status`, body: new URLSearchParams(fields).toString() };
      },
    }],
  }, 303);
}

const browserHeaders = (session: SignedIn) => ({ cookie: session.cookie, accept: 'text/html', 'accept-encoding': 'gzip, deflate, br' });

// ---- Databases -------------------------------------------------------------------------------
const smallDb = join(folder, 'small.db');
const bigDb = join(folder, 'big.db');
const postDb = join(folder, 'post.db');
fakeDatabase(smallDb, settings.smallOrders, settings.activeOrders);
let bigSeconds = 0;
if (wanted('million')) {
  console.log(`Generating ${settings.bigOrders.toLocaleString('en-US')} orders with db:fake …`);
  bigSeconds = fakeDatabase(bigDb, settings.bigOrders, settings.activeOrders);
  console.log(`db:fake wrote ${settings.bigOrders.toLocaleString('en-US')} orders in ${fixed(bigSeconds)} s`);
}
fakeDatabase(postDb, 2000, 1000);
const bareDb = join(folder, 'post-bare.db');
copyFileSync(postDb, bareDb);

// ---- 1. Board GET vs node:http serving the same bytes ----------------------------------------
const small = await startServer(pinning, { databasePath: smallDb, logPath: join(folder, 'small.log') });
const smallSession = await signIn(small.url);
if (wanted('board')) {
  const sample = await httpRequest(`${small.url}/`, { headers: browserHeaders(smallSession) });
  const hopByHop = new Set(['date', 'connection', 'keep-alive', 'transfer-encoding', 'content-length']);
  const headers = Object.fromEntries(Object.entries(sample.headers).filter(([name]) => !hopByHop.has(name)));
  const answerPath = join(folder, 'board-answer.json');
  writeFileSync(answerPath, JSON.stringify({ headers, body: sample.body.toString('base64') }));
  const port = await freePort();
  const plain = spawnNode(pinning, ['bench/static-server.ts', String(port), answerPath]);
  extraProcesses.push(plain);
  const plainUrl = `http://127.0.0.1:${port}`;
  await waitForHealth(plainUrl, performance.now());
  const expressPort = await freePort();
  const framework = spawnNode(pinning, ['bench/static-server.ts', String(expressPort), answerPath, 'express']);
  extraProcesses.push(framework);
  const frameworkUrl = `http://127.0.0.1:${expressPort}`;
  await waitForHealth(frameworkUrl, performance.now());

  const app: ServerLoad[] = [];
  const bare: ServerLoad[] = [];
  const expressAlone: ServerLoad[] = [];
  for (let round = 0; round < settings.rounds; round += 1) {
    app.push(await loadOn(small.pid, { url: `${small.url}/`, headers: browserHeaders(smallSession) }, 200));
    bare.push(await loadOn(plain.pid!, { url: `${plainUrl}/`, headers: browserHeaders(smallSession) }, 200));
    expressAlone.push(await loadOn(framework.pid!, { url: `${frameworkUrl}/`, headers: browserHeaders(smallSession) }, 200));
  }
  plain.kill();
  framework.kill();

  const identity = await httpRequest(`${small.url}/`, { headers: { ...browserHeaders(smallSession), 'accept-encoding': 'identity' } });
  compression = measureCompression(identity.body, { mbitPerSecond: 50, repeats: quick ? 20 : 200 });
  console.log(`\nCompression of the board page (${fixed(identity.body.length / 1024)} KB), over a 50 Mbit/s kitchen LAN or Wi-Fi:`);
  for (const result of compression) console.log(`  ${result.name}: ${fixed(result.bytes / 1024)} KB, ${fixed(result.compressMs, 2)} ms to compress + ${fixed(result.lanMs, 2)} ms to send = ${fixed(result.totalMs, 2)} ms`);
  const appRate = median(app.map((result) => result.perSecond));
  const bareRate = median(bare.map((result) => result.perSecond));
  // Both rates are what the load generator got answered. When node:http's core was not busy all
  // the time, the load generator (one core of JavaScript parsing each answer's headers) set its rate,
  // not node:http, and the rates compare the app with the load generator. The servers' CPU time
  // per answer then says what each could do with a core of its own: their rates at saturation.
  const appCost = serverCost(app);
  const bareCost = serverCost(bare);
  const loadBound = appCost !== undefined && bareCost !== undefined && bareCost.busy < 0.9;
  const ratio = loadBound ? bareCost.perRequestUs / appCost.perRequestUs : appRate / bareRate;
  const costText = (cost: ReturnType<typeof serverCost>) => (cost ? `, core ${fixed(cost.busy * 100, 0)}% busy, ${fixed(cost.perRequestUs)} µs CPU per answer` : '');
  rows.push({
    benchmark: `board GET, signed in, ${settings.activeOrders} active orders, full stack`,
    measured: `${fixed(appRate, 0)} req/s (p50 ${fixed(median(app.map((result) => result.p50)))} ms)${costText(appCost)}`,
    comparedWith: `node:http, same ${fixed(sample.body.length / 1024)} KB ${sample.headers['content-encoding'] ?? 'uncompressed'} and headers: ${fixed(bareRate, 0)} req/s${costText(bareCost)}; ${loadBound
      ? `the load generator set both rates (${fixed((appRate / bareRate) * 100)}%), so the ratio is of CPU time per answer: the rates each could reach on its core`
      : roundByRound(app.map((result) => result.perSecond), bare.map((result) => result.perSecond))}`,
    ratio: `${fixed(ratio * 100)}%`,
    goal: '≥ 35%',
    pass: ratio >= 0.35,
    score: ratio / 0.35,
    unexpected: app.reduce((sum, result) => sum + result.unexpected, 0),
  });
  report(rows.at(-1)!);
  // The framework's own share, for reading the row above: what is left for sessions, CSRF,
  // security headers, logging and the board's queries.
  const expressRate = median(expressAlone.map((result) => result.perSecond));
  const expressCost = serverCost(expressAlone);
  const expressRatio = loadBound && expressCost ? bareCost.perRequestUs / expressCost.perRequestUs : expressRate / bareRate;
  rows.push({
    benchmark: 'reference: Express 5 alone (one route, no middleware), same bytes',
    measured: `${fixed(expressRate, 0)} req/s${costText(expressCost)}`,
    comparedWith: `node:http: ${fixed(bareRate, 0)} req/s${costText(bareCost)}${loadBound ? '; by CPU time per answer, as above' : ''}`,
    ratio: `${fixed(expressRatio * 100)}%`,
    goal: '— (a reference)',
    pass: true,
    score: expressRatio / 0.35,
    unexpected: expressAlone.reduce((sum, result) => sum + result.unexpected, 0),
  });
  report(rows.at(-1)!);
}

// ---- 2. Board GET with 1M orders vs 1,000 orders, 6. memory, 7. cold start ------------------
if (wanted('million')) {
  const big = await startServer(pinning, { databasePath: bigDb, logPath: join(folder, 'big.log') });
  const rssAtStart = big.rssMb();
  const bigSession = await signIn(big.url);
  const bigResults: LoadResult[] = [];
  const smallResults: LoadResult[] = [];
  for (let round = 0; round < settings.rounds; round += 1) {
    bigResults.push(await load({ url: `${big.url}/`, headers: browserHeaders(bigSession) }, 200));
    smallResults.push(await load({ url: `${small.url}/`, headers: browserHeaders(smallSession) }, 200));
  }
  const bigP50 = median(bigResults.map((result) => result.p50));
  const smallP50 = median(smallResults.map((result) => result.p50));
  const ratio = bigP50 / smallP50;
  const orders = settings.bigOrders.toLocaleString('en-US');
  rows.push({
    benchmark: `board GET with ${orders} orders stored`,
    measured: `p50 ${fixed(bigP50)} ms (${fixed(median(bigResults.map((result) => result.perSecond)), 0)} req/s)`,
    comparedWith: `${settings.smallOrders.toLocaleString('en-US')} stored: p50 ${fixed(smallP50)} ms`,
    ratio: `${fixed(ratio, 2)}×`,
    goal: 'p50 ≤ 1.5×',
    pass: ratio <= 1.5,
    score: 1.5 / ratio,
    unexpected: bigResults.reduce((sum, result) => sum + result.unexpected, 0),
  });
  report(rows.at(-1)!);

  const rss = big.rssMb();
  rows.push({
    benchmark: `memory: server RSS after the board load, ${orders} orders stored`,
    measured: `${fixed(rss, 0)} MB`,
    comparedWith: `the same server right after its start: ${fixed(rssAtStart, 0)} MB`,
    ratio: '—',
    goal: '≤ 150 MB',
    pass: rss <= 150,
    score: 150 / rss,
  });
  report(rows.at(-1)!);
  await big.stop();

  const starts: number[] = [];
  for (let round = 0; round < settings.coldStarts; round += 1) {
    const again = await startServer(pinning, { databasePath: bigDb, logPath: join(folder, 'cold.log') });
    starts.push(again.startMs);
    await again.stop();
  }
  const startMs = median(starts);
  rows.push({
    benchmark: `cold start: npm start's command to the first 200 from /healthz, ${orders} orders stored`,
    measured: `${fixed(startMs, 0)} ms (median of ${starts.length})`,
    comparedWith: '—',
    ratio: '—',
    goal: '≤ 1 s',
    pass: startMs <= 1000,
    score: 1000 / startMs,
  });
  report(rows.at(-1)!);
}

// ---- 3. Status POST vs a bare loop over the order repository -----------------------------------------------
if (wanted('post')) {
  const server = await startServer(pinning, { databasePath: postDb, logPath: join(folder, 'post.log') });
  const session = await signIn(server.url);
  const bareLoop = spawnNode(pinning, ['bench/bare-status-loop.ts', bareDb], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  extraProcesses.push(bareLoop);
  const ask = (message: unknown) => new Promise<unknown>((resolve) => {
    bareLoop.once('message', resolve);
    if (message !== undefined) bareLoop.send(message as object);
  });
  await ask(undefined);

  const reader = new Database(postDb, { readonly: true });
  const activeOrders = reader.prepare("SELECT id, status FROM orders WHERE status <> 'delivered'");
  const app: LoadResult[] = [];
  const bare: number[] = [];
  for (let round = 0; round < settings.rounds; round += 1) {
    // Read afresh each round: a request cut off at the end of the last one may or may not have landed.
    const orders = activeOrders.all() as Array<{ id: string; status: BenchStatus }>;
    app.push(await cycleStatuses(server.url, session, orders, settings.connections));
    const { transactions } = await ask({ ms: settings.roundSeconds * 1000 }) as { transactions: number };
    bare.push(transactions / settings.roundSeconds);
  }
  reader.close();
  bareLoop.send('stop');
  await server.stop();
  const appRate = median(app.map((result) => result.perSecond));
  const bareRate = median(bare);
  const ratio = appRate / bareRate;
  rows.push({
    benchmark: 'status update POST (session, CSRF, validation, history row, redirect)',
    measured: `${fixed(appRate, 0)} changes/s`,
    comparedWith: `bare loop through the order repository on SQLite, same transaction and pragmas: ${fixed(bareRate, 0)}/s; ${roundByRound(app.map((result) => result.perSecond), bare)}`,
    ratio: `${fixed(ratio * 100)}%`,
    goal: '≥ 50%',
    pass: ratio >= 0.5,
    score: ratio / 0.5,
    unexpected: app.reduce((sum, result) => sum + result.unexpected, 0),
  });
  report(rows.at(-1)!);
}

// ---- 3b. Status POST: two instances on one PostgreSQL database vs one on SQLite -----------------
// Runs when BENCH_DATABASE_URL (or TEST_DATABASE_URL) names a PostgreSQL server; the benchmark
// works in a schema of its own, dropped at the end. PostgreSQL itself is not pinned: it takes CPU
// from both cores, as it would from the machines beside it.
const postgresUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
if (wanted('pg') && !postgresUrl) console.log('status POST, two PostgreSQL instances: skipped (set BENCH_DATABASE_URL to a PostgreSQL server)');
if (wanted('pg') && postgresUrl) {
  const schema = `bench_${process.pid}_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: postgresUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const schemaUrl = new URL(postgresUrl);
  schemaUrl.searchParams.set('options', `-c search_path=${schema}`);
  try {
    execFileSync(process.execPath, ['scripts/db-fake.ts', '--orders', '2000', '--active', '1000'], {
      cwd: root, env: { ...process.env, DATABASE_URL: schemaUrl.toString() }, stdio: ['ignore', 'ignore', 'inherit'],
    });
    const sqliteDb = join(folder, 'post-one.db');
    fakeDatabase(sqliteDb, 2000, 1000);
    const postgresEnv = { DATABASE_URL: schemaUrl.toString() };
    // One after the other: the first creates the admin and the session secret, the second finds them.
    const first = await startServer(pinning, { databasePath: join(folder, 'unused.db'), logPath: join(folder, 'pg-a.log'), env: postgresEnv });
    const second = await startServer(pinning, { databasePath: join(folder, 'unused.db'), logPath: join(folder, 'pg-b.log'), env: postgresEnv });
    const sqliteServer = await startServer(pinning, { databasePath: sqliteDb, logPath: join(folder, 'pg-sqlite.log') });
    const sessions = await Promise.all([first, second, sqliteServer].map((server) => signIn(server.url)));

    const reader = new Database(sqliteDb, { readonly: true });
    const sqliteOrders = reader.prepare("SELECT id, status FROM orders WHERE status <> 'delivered'");
    const postgresOrders = async () => (await admin.query<{ id: string; status: BenchStatus }>(
      `SELECT id, status FROM ${schema}.orders WHERE status <> 'delivered' ORDER BY id`)).rows;
    const two: LoadResult[][] = [];
    const one: LoadResult[] = [];
    for (let round = 0; round < settings.rounds; round += 1) {
      one.push(await cycleStatuses(sqliteServer.url, sessions[2]!, sqliteOrders.all() as Array<{ id: string; status: BenchStatus }>, settings.connections));
      // The same 20 connections split over the two instances, each changing its own half of the orders.
      const orders = await postgresOrders();
      two.push(await Promise.all([
        cycleStatuses(first.url, sessions[0]!, orders.filter((_, index) => index % 2 === 0), settings.connections / 2),
        cycleStatuses(second.url, sessions[1]!, orders.filter((_, index) => index % 2 === 1), settings.connections / 2),
      ]));
    }
    reader.close();
    await Promise.all([first.stop(), second.stop(), sqliteServer.stop()]);
    const twoRate = median(two.map((pair) => pair[0]!.perSecond + pair[1]!.perSecond));
    const oneRate = median(one.map((result) => result.perSecond));
    rows.push({
      benchmark: 'status update POST, two instances on one PostgreSQL database',
      measured: `${fixed(twoRate, 0)} changes/s`,
      comparedWith: `one instance on SQLite, same load: ${fixed(oneRate, 0)}/s`,
      ratio: `${fixed((twoRate / oneRate) * 100)}%`,
      goal: '— (a comparison)',
      pass: true,
      score: twoRate / oneRate,
      unexpected: two.flat().reduce((sum, result) => sum + result.unexpected, 0) + one.reduce((sum, result) => sum + result.unexpected, 0),
    });
    report(rows.at(-1)!);
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  }
}

// ---- 4. Notify dispatch against a fake MessageBird with 50 ms latency ---------------------------
if (wanted('notify')) {
  const K = settings.smsConcurrency;
  const M = settings.notifyMessages;
  const notifyDb = join(folder, 'notify.db');
  const database = openSqlite(notifyDb);
  const orders = createOrderRepository(database);
  const messages = createMessageRepository(database);
  for (let index = 0; index < M; index += 1) {
    const id = newOrderId();
    await orders.insert({ id, customerName: `Customer ${index}`, phone: '+31612345678', items: '1 x Margherita', status: 'confirmed' });
    await messages.queue({ orderId: id, orderStatus: 'confirmed', body: 'Your order is confirmed.', recipient: '+31612345678', reference: `bench-${index}`, requestedBy: null }, { resend: false });
  }
  await database.close();

  let inFlight = 0;
  let maxInFlight = 0;
  let answered = 0;
  let first = 0;
  let last = 0;
  let allAnswered: () => void = () => {};
  const done = new Promise<void>((resolve) => { allAnswered = resolve; });
  const fake = createServer((req: IncomingMessage, res) => {
    const body: Buffer[] = [];
    req.on('data', (chunk: Buffer) => body.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST') {
        res.writeHead(404).end();
        return;
      }
      if (first === 0) first = performance.now();
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const { reference } = JSON.parse(Buffer.concat(body).toString() || '{}') as { reference?: string };
      setTimeout(() => {
        inFlight -= 1;
        res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: `mb-${reference}`, reference }));
        answered += 1;
        last = performance.now();
        if (answered === M) allAnswered();
      }, settings.fakeLatencyMs);
    });
  }).listen(0, '127.0.0.1');
  await once(fake, 'listening');
  const fakeUrl = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
  const server = await startServer(pinning, {
    databasePath: notifyDb,
    logPath: join(folder, 'notify.log'),
    imports: ['./test/support/messagebird-bridge-preload.ts'],
    env: { MESSAGEBIRD_API_KEY: 'bench_key', FAKE_MESSAGEBIRD_URL: fakeUrl, SMS_CONCURRENCY: String(K) },
  });
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 120_000))]);
  await server.stop();
  fake.close();
  const perSecond = answered / ((last - first) / 1000);
  const ideal = K / (settings.fakeLatencyMs / 1000);
  const ratio = perSecond / ideal;
  rows.push({
    benchmark: `notify dispatch, fake MessageBird with ${settings.fakeLatencyMs} ms latency, concurrency K = ${K}`,
    measured: `${fixed(perSecond)} messages/s (${answered} of ${M}), at most ${maxInFlight} in flight`,
    comparedWith: `K / ${settings.fakeLatencyMs} ms = ${fixed(ideal)}/s`,
    ratio: `${fixed(ratio * 100)}%`,
    goal: '≥ 90%, never more than K in flight',
    pass: ratio >= 0.9 && maxInFlight <= K && answered === M,
    score: maxInFlight <= K ? ratio / 0.9 : 0,
  });
  report(rows.at(-1)!);
}

// ---- 5. Live updates: 100 boards, one status change --------------------------------------------
if (wanted('live')) {
  const boards = await Promise.all(Array.from({ length: settings.liveBoards }, () => connectBoard(small.url, smallSession)));
  const reader = new Database(smallDb, { readonly: true });
  const activeOrders = reader.prepare("SELECT id, status FROM orders WHERE status <> 'delivered' ORDER BY created_at LIMIT ?");
  const latencies: number[] = [];
  let missing = 0;
  for (const order of activeOrders.all(settings.liveChanges) as Array<{ id: string; status: BenchStatus }>) {
    const arrivals = boards.map((board) => board.next(order.id));
    const sent = performance.now();
    const answer = await httpRequest(`${small.url}/orders/${order.id}/status`, {
      method: 'POST',
      headers: { cookie: smallSession.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(statusFormFields(smallSession.csrfToken, order.status)).toString(),
    });
    if (answer.status !== 303) throw new Error(`the status change answered ${answer.status}`);
    const times = await Promise.all(arrivals.map((arrival) => Promise.race([arrival, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 5000))])));
    for (const at of times) {
      if (at === undefined) missing += 1;
      else latencies.push(at - sent);
    }
  }
  reader.close();
  for (const board of boards) board.close();
  const p99 = missing > 0 ? Infinity : percentile(latencies, 99);
  rows.push({
    benchmark: `live updates: ${settings.liveBoards} boards connected, one status change (×${settings.liveChanges})`,
    measured: `p99 ${fixed(p99, 0)} ms (p50 ${fixed(percentile(latencies, 50), 0)} ms, max ${fixed(Math.max(...latencies), 0)} ms)${missing ? `, ${missing} never arrived` : ''}`,
    comparedWith: '—',
    ratio: '—',
    goal: 'all within 100 ms (p99)',
    pass: p99 <= 100,
    score: 100 / p99,
  });
  report(rows.at(-1)!);
}

await small.stop();

function report(row: BenchRow) {
  const verdict = row.pass ? 'pass' : 'MISS';
  console.log(`\n${row.benchmark}\n  ${row.measured}\n  vs ${row.comparedWith}\n  ratio ${row.ratio}, goal ${row.goal}: ${verdict}${row.unexpected ? ` (${row.unexpected} unexpected answers)` : ''}`);
}

/** One board's live stream: resolves `next(orderId)` when a row for that order arrives. */
function connectBoard(url: string, session: SignedIn): Promise<{ next: (orderId: string) => Promise<number>; close: () => void }> {
  return new Promise((resolve, reject) => {
    const waiting = new Map<string, (at: number) => void>();
    const req = request(`${url}/events`, { headers: { cookie: session.cookie, accept: 'text/event-stream' }, agent: false }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`/events answered ${res.statusCode}`));
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        const at = performance.now();
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const event = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (event.startsWith('retry:')) resolve({ next, close: () => req.destroy() });
          const id = /^event: order\ndata: \{"id":"([0-9a-f]+)"/m.exec(event)?.[1];
          if (id) {
            waiting.get(id)?.(at);
            waiting.delete(id);
          }
        }
      });
    });
    const next = (orderId: string) => new Promise<number>((arrived) => waiting.set(orderId, arrived));
    req.on('error', reject);
    req.end();
  });
}

console.log('');
console.table(rows.map((row) => ({ benchmark: row.benchmark, measured: row.measured, 'compared with': row.comparedWith, ratio: row.ratio, goal: row.goal, result: row.pass ? 'pass' : 'miss' })));
if (write) {
  writeReport(rows, { ...machine, bigOrdersSeconds: bigSeconds, bigOrders: settings.bigOrders }, compression);
  console.log('Wrote docs/performance.md and docs/performance.svg');
}
process.exit(0);

