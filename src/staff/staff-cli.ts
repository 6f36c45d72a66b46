import 'dotenv/config';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { loadConfigOrExit, usernamePattern, usernameRule } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { createPasswordHasher, passwordProblem } from './passwords.ts';
import { createStaffRepository } from './staff-repository.ts';

const usage = `Usage:
  npm run staff -- add <username> [--admin]       create an account; password read from standard input
  npm run staff -- reset-password <username>      set a new password; read from standard input
  npm run staff -- list                           list accounts
Add --new-database to start a new, empty database when DATABASE_PATH names no file yet.`;

/** The first line of standard input; on a terminal, asked for without echoing it. */
async function readPassword(): Promise<string> {
  if (!process.stdin.isTTY) {
    let input = '';
    for await (const chunk of process.stdin) input += String(chunk);
    return input.split(/\r?\n/)[0] ?? '';
  }
  const rl = createInterface({ input: process.stdin, output: process.stdout, terminal: true });
  process.stdout.write('Password: ');
  const mute = rl as unknown as { _writeToOutput: (text: string) => void };
  mute._writeToOutput = () => {};
  const password = await new Promise<string>((resolve) => rl.question('', resolve));
  rl.close();
  process.stdout.write('\n');
  return password;
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

async function main(argv: string[]) {
  const newDatabase = argv.includes('--new-database');
  const [command, username, ...flags] = argv.filter((arg) => arg !== '--new-database');
  const config = loadConfigOrExit(process.env);
  // Run from another folder, a relative DATABASE_PATH names another file: an account added to a new,
  // empty database there could never sign in to the real board.
  const databaseFile = resolve(config.databasePath);
  if (!config.databaseUrl) {
    if (!existsSync(databaseFile) && !newDatabase) {
      fail(`There is no database at ${databaseFile} (DATABASE_PATH=${config.databasePath}).\nRun this in the folder Order Desk runs in, or set DATABASE_PATH to its database file.\nTo start a new, empty database there, add --new-database.`);
    }
    console.error(`${existsSync(databaseFile) ? 'Database' : 'New database'}: ${databaseFile}`);
  }
  const db = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { path: config.databasePath }, { poolSize: 1 });
  const staff = createStaffRepository(db);
  const passwords = createPasswordHasher();

  if (command === 'list') {
    for (const account of await staff.list()) console.log(`${account.username}\t${account.role}${account.disabledAt ? '\tdisabled' : ''}`);
    await db.close();
    return;
  }
  if ((command !== 'add' && command !== 'reset-password') || !username) fail(usage);
  if (!usernamePattern.test(username)) fail(`The username ${usernameRule}.`);
  const unknownFlags = flags.filter((flag) => flag !== '--admin');
  if (unknownFlags.length > 0 || (command === 'reset-password' && flags.length > 0)) fail(`Unknown option: ${flags.join(' ')}\n${usage}`);

  const existing = await staff.findForLogin(username);
  if (command === 'add' && existing) fail(`The username ${username} is taken.`);
  if (command === 'reset-password' && !existing) fail(`There is no account named ${username}.`);

  const password = await readPassword();
  const problem = await passwordProblem(password, username);
  if (problem) fail(problem);
  const passwordHash = await passwords.hash(password);

  if (command === 'add') {
    const role = flags.includes('--admin') ? 'admin' : 'staff';
    if (!(await staff.create({ username, passwordHash, role }))) fail(`The username ${username} is taken.`);
    console.log(`Created ${role} account ${username}.`);
  } else {
    await staff.setPassword(existing!.id, passwordHash);
    console.log(`New password set for ${username}; their sessions have ended.`);
  }
  await db.close();
}

await main(process.argv.slice(2));
