// Cached user rows are served only while "the users version" they were read under is current.
// Each driver bumps it before and after every statement that may change a cached column, and
// again when a transaction that ran one ends, so a row read before a change committed is never
// kept past it. PostgreSQL also bumps it for changes other replicas announce (userChanges.ts).

// A last_seen_at stamp changes nothing a cache keeps (users.ts, touchUser).
const LAST_SEEN_ONLY = /^\s*update\s+users\s+set\s+last_seen_at\s*=\s*now\(\)\s+where\s+id\s*=\s*\$1\s*$/i;

/** Whether a statement may change a user row as the row cache keeps it (conservative). */
export function mayChangeUserRows(sql: string): boolean {
  if (/^\s*select\b/i.test(sql) || !/users/i.test(sql)) return false;
  return !LAST_SEEN_ONLY.test(sql);
}
