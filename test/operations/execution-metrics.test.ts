// `identity_graphql_executions_total` on /metrics proves how operations run (executor.ts): an
// operation is interpreted before its compileAfter-th execution and compiled from it, and a
// federated-tracing (ftv1) request is traced whatever its count.
import { beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { useTestBed } from '../helpers/testBed.js';

const bed = useTestBed();
let api: TestApp;

beforeAll(async () => {
  // The production default: compiled at the second execution.
  api = await bed.start({ production: true, config: { compileOperationsAfter: 2 } });
});

type Modes = Record<'compiled' | 'interpreted' | 'traced', number>;

async function executions(): Promise<Modes> {
  const text = await (await fetch(`${api.url}/metrics`)).text();
  const count = (mode: string) => Number(new RegExp(`^identity_graphql_executions_total\\{mode="${mode}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { compiled: count('compiled'), interpreted: count('interpreted'), traced: count('traced') };
}

async function since(before: Modes): Promise<Modes> {
  const now = await executions();
  return { compiled: now.compiled - before.compiled, interpreted: now.interpreted - before.interpreted, traced: now.traced - before.traced };
}

const ENTITIES = 'query Fetch($r: [_Any!]!) { _entities(representations: $r) { ... on User { id name } } }';

describe('identity_graphql_executions_total', () => {
  it('is exposed for every mode from the start', async () => {
    const counts = await executions();
    for (const mode of ['compiled', 'interpreted', 'traced'] as const) expect(counts[mode], mode).toBeGreaterThanOrEqual(0);
  });

  it('counts an operation interpreted before its compileAfter-th execution, compiled from it', async () => {
    const before = await executions();
    const first = await api.gql(ENTITIES, { variables: { r: [] } });
    expect(first.body).toEqual({ data: { _entities: [] } });
    expect(await since(before)).toEqual({ compiled: 0, interpreted: 1, traced: 0 });
    for (let i = 0; i < 3; i += 1) expect((await api.gql(ENTITIES, { variables: { r: [] } })).body).toEqual(first.body);
    expect(await since(before)).toEqual({ compiled: 3, interpreted: 1, traced: 0 });
  });

  it('counts federated-tracing (ftv1) requests as traced, even for a compiled operation', async () => {
    const before = await executions();
    const traced = await api.gql(ENTITIES, { variables: { r: [] }, headers: { 'apollo-federation-include-trace': 'ftv1' } });
    expect((traced.body as { extensions?: { ftv1?: unknown } }).extensions?.ftv1).toBeTypeOf('string');
    expect(await since(before)).toEqual({ compiled: 0, interpreted: 0, traced: 1 });
  });

  it('counts a request refused before execution in no mode', async () => {
    const before = await executions();
    expect((await api.gql('{ nope }')).status).toBe(400);
    expect(await since(before)).toEqual({ compiled: 0, interpreted: 0, traced: 0 });
  });
});
