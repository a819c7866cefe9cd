// Query plans of the statements a workload ran: each is prepared and explained with a generic
// plan (the one a prepared statement settles on, whatever its parameters), and every sequential
// scan of a large table is reported. Shared by the scale bench and test/performance/plans.test.ts.
import type { Database } from '../src/db/queryable.js';

/** Tables whose size grows with the users: a hot path must reach their rows by an index. */
export const LARGE_TABLES = ['users', 'identities', 'memberships', 'audit_events'];

export interface ExplainedStatement {
  text: string;
  /** `Seq Scan on <table>` for each large table scanned sequentially. */
  seqScans: string[];
  /** Plan node types with their relation, outermost first (for printing). */
  nodes: string[];
}

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  Plans?: PlanNode[];
}

function walk(node: PlanNode, out: PlanNode[]): PlanNode[] {
  out.push(node);
  for (const child of node.Plans ?? []) walk(child, out);
  return out;
}

const SKIP = /^\s*(begin|commit|rollback|savepoint|release|set|select 1\b|select pg_advisory|listen|unlisten|create|insert into schema_migrations)/i;

/** Explains each distinct statement (parameters as typed nulls, generic plan), in one connection. */
export async function explainStatements(db: Database, texts: Iterable<string>): Promise<ExplainedStatement[]> {
  const distinct = [...new Set(texts)].filter((text) => !SKIP.test(text));
  return db.transaction(async (tx) => {
    await tx.query('set local plan_cache_mode = force_generic_plan');
    const explained: ExplainedStatement[] = [];
    for (const [i, text] of distinct.entries()) {
      const count = Math.max(0, ...[...text.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
      const name = `explain_${i}`;
      const args = count === 0 ? '' : `(${Array.from({ length: count }, () => 'null').join(', ')})`;
      let rows: { 'QUERY PLAN': unknown }[];
      // A statement whose parameter types cannot be inferred alone is left out, not fatal.
      await tx.query('savepoint explain');
      try {
        await tx.query(`prepare ${name} as ${text}`);
        rows = await tx.query<{ 'QUERY PLAN': unknown }>(`explain (format json) execute ${name}${args}`);
        await tx.query(`deallocate ${name}`);
        await tx.query('release savepoint explain');
      } catch {
        await tx.query('rollback to savepoint explain');
        explained.push({ text: text.replace(/\s+/g, ' ').trim(), seqScans: [], nodes: ['(not explained: parameter types unknown)'] });
        continue;
      }
      const raw = rows[0]!['QUERY PLAN'];
      const plan = (typeof raw === 'string' ? JSON.parse(raw) : raw) as { Plan: PlanNode }[];
      const nodes = walk(plan[0]!.Plan, []);
      explained.push({
        text: text.replace(/\s+/g, ' ').trim(),
        seqScans: nodes.filter((n) => n['Node Type'] === 'Seq Scan' && LARGE_TABLES.includes(n['Relation Name'] ?? '')).map((n) => `Seq Scan on ${n['Relation Name']}`),
        nodes: nodes.filter((n) => n['Relation Name'] !== undefined).map((n) => `${n['Node Type']} ${n['Relation Name']}${n['Index Name'] ? ` (${n['Index Name']})` : ''}`),
      });
    }
    return explained;
  });
}
