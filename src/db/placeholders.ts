import type { Params } from './database.ts';

type Translation = { text: string; names: string[] | undefined; count: number };

const translations = new Map<string, Translation>();

/**
 * Turns the SQL that repositories write (`?` or `@name` parameters, as better-sqlite3 takes them)
 * into PostgreSQL's `$1, $2 …`, skipping quoted strings and identifiers. Each SQL text is
 * translated once. A named parameter used twice becomes one `$n` used twice.
 */
export function toNumberedParameters(sql: string, params: Params | undefined): { text: string; values: unknown[] } {
  let translation = translations.get(sql);
  if (!translation) {
    translation = translate(sql);
    translations.set(sql, translation);
  }
  if (params === undefined) return { text: translation.text, values: [] };
  if (Array.isArray(params)) {
    if (translation.names) throw new TypeError('This statement takes named parameters');
    return { text: translation.text, values: params.map(toValue) };
  }
  if (!translation.names) {
    if (translation.count > 0) throw new TypeError('This statement takes positional parameters');
    return { text: translation.text, values: [] };
  }
  const named = params as Record<string, unknown>;
  return {
    text: translation.text,
    values: translation.names.map((name) => {
      if (!(name in named)) throw new RangeError(`Missing named parameter "${name}"`);
      return toValue(named[name]);
    }),
  };
}

// SQLite takes booleans as 1 and 0 only through the code that binds them; PostgreSQL's integer
// columns want the same numbers. undefined binds as NULL in both.
function toValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

function translate(sql: string): Translation {
  let text = '';
  let positional = 0;
  const names: string[] = [];
  for (let i = 0; i < sql.length; i++) {
    const char = sql[i]!;
    if (char === "'" || char === '"') {
      const end = sql.indexOf(char, i + 1);
      const stop = end === -1 ? sql.length : end + 1;
      text += sql.slice(i, stop);
      i = stop - 1;
    } else if (char === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end === -1 ? sql.length : end;
      text += sql.slice(i, stop);
      i = stop - 1;
    } else if (char === '?') {
      positional++;
      text += `$${positional}`;
    } else if (char === '@' && /[A-Za-z_]/.test(sql[i + 1] ?? '')) {
      const match = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i + 1))!;
      const name = match[0];
      let index = names.indexOf(name);
      if (index === -1) index = names.push(name) - 1;
      text += `$${index + 1}`;
      i += name.length;
    } else {
      text += char;
    }
  }
  if (positional > 0 && names.length > 0) throw new TypeError('A statement takes either ? or @name parameters, not both');
  return { text, names: names.length > 0 ? names : undefined, count: positional };
}
