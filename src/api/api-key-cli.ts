import 'dotenv/config';
import { loadConfigOrExit } from '../config.ts';
import { openDatabase } from '../db/database.ts';
import { apiKeyNamePattern, apiKeyNameRule, createApiKeyRepository } from './api-key-repository.ts';

const usage = `Usage:
  npm run api-key -- create <name>    make a key for the intake API and print it (once)
  npm run api-key -- revoke <name>    revoke the active key with that name
  npm run api-key -- list             list keys`;

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

async function main(args: string[]) {
  const [command, name, ...rest] = args;
  const config = loadConfigOrExit(process.env);
  if (command === 'list' ? args.length > 1 : !name || rest.length > 0 || (command !== 'create' && command !== 'revoke')) fail(usage);

  const db = await openDatabase(config.databaseUrl ? { url: config.databaseUrl } : { path: config.databasePath }, { poolSize: 1 });
  const apiKeys = createApiKeyRepository(db);
  try {
    if (command === 'list') {
      for (const key of await apiKeys.list()) {
        console.log([key.name, `${key.prefix}…`, key.revokedAt ? `revoked ${key.revokedAt}` : 'active', `last used ${key.lastUsedAt ?? 'never'}`].join('\t'));
      }
      return;
    }
    if (!apiKeyNamePattern.test(name!)) fail(`The name ${apiKeyNameRule}.`);
    if (command === 'create') {
      const created = await apiKeys.create({ name: name!, createdBy: null });
      if (!created) fail(`An active key is already named ${name}; revoke it first or choose another name.`);
      console.log(`Created API key ${created.apiKey.name}. It is shown only this once; give it to the shop now:\n${created.key}`);
    } else {
      const key = await apiKeys.findActiveByName(name!);
      if (!key || !(await apiKeys.revoke(key.id))) fail(`There is no active key named ${name}.`);
      console.log(`Revoked API key ${key.name} (${key.prefix}…); requests with it are refused from now on.`);
    }
  } finally {
    await db.close();
  }
}

await main(process.argv.slice(2));
