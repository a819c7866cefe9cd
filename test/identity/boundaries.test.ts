// Where things live, held by the imports themselves: the user store is the one way user rows
// are read and written (so its writes are the only writes, and its cache cannot be bypassed);
// resolvers reach the database only through services and the request's loaders; every
// authorization predicate is domain/policy.ts's.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '../../src');

function sources(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'generated' ? [] : sources(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const files = sources().map((path) => ({ path: relative(SRC, path), text: readFileSync(path, 'utf8') }));

/** The names a module imports from another (by its path relative to src, without extension). */
function importsFrom(text: string, module: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(/import\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'([^']+)'/g)) {
    if (match[2]!.replace(/^(\.\.?\/)+/, '').replace(/\.js$/, '') === module) {
      names.push(...match[1]!.split(',').map((name) => name.replace(/^\s*type\s+/, '').trim()).filter(Boolean));
    }
  }
  return names;
}

// The SQL that returns or writes user rows (the erasing and provisioning statements included).
const USER_ROW_SQL: Record<string, string[]> = {
  'db/users': ['findUsersByIds', 'userIdTaken', 'findUserByVerifiedEmailForUpdate', 'insertUser', 'updateUserProfile'],
  'db/userDirectory': ['findUserByEmail', 'searchUsers'],
  'db/lifecycle': ['lockUser', 'setUserStatus', 'eraseUser'],
  'db/provisioning': ['createUserWithIdentity'],
  'db/identities': ['findIdentityWithUser'],
  'db/userCache': ['createUserRowCache'],
};

describe('module boundaries', () => {
  it('only the user store calls the SQL that returns or writes user rows', () => {
    const outside: string[] = [];
    for (const { path, text } of files) {
      if (path === 'db/userStore.ts') continue;
      for (const [module, names] of Object.entries(USER_ROW_SQL)) {
        for (const name of importsFrom(text, module)) if (names.includes(name)) outside.push(`${path}: ${name}`);
      }
    }
    expect(outside).toEqual([]);
  });

  it('resolvers import no database module, and services nothing of GraphQL', () => {
    const crossing = files.filter(
      ({ path, text }) =>
        (path.startsWith('graphql/resolvers/') && /from '(\.\.\/)+db\//.test(text)) ||
        (path.startsWith('services/') && /from '(\.\.\/)+graphql\//.test(text)),
    );
    expect(crossing.map(({ path }) => path)).toEqual([]);
  });

  it('no module but domain/policy.ts reads scopes to authorize', () => {
    const readers = files.filter(({ path, text }) => path !== 'domain/policy.ts' && /\bhasScope\(|\.scopes\.has\(|\bSCOPES\./.test(text));
    expect(readers.map(({ path }) => path)).toEqual([]);
  });
});
