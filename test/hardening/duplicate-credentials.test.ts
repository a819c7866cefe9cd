// A credential header sent twice is ambiguous: 400 AMBIGUOUS_CREDENTIALS on /graphql (raw
// HTTP, since fetch would join the two fields into one) as on the Router coprocessor, whether
// the two values differ or not, and before either token is verified.
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { useHardeningSuite } from '../helpers/hardening.js';

const suite = useHardeningSuite();

const token = () => suite.userToken();

/** POSTs with raw header lines: [name, value] pairs, a repeated name sent as separate fields. */
function post(path: string, body: unknown, headerLines: [string, string][]): Promise<{ status: number; body: any }> {
  const payload = JSON.stringify(body);
  const { port } = new URL(suite.api.url);
  const headers: Record<string, string | string[]> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)) };
  for (const [name, value] of headerLines) {
    const key = name.toLowerCase();
    const given = headers[key];
    headers[key] = given === undefined ? value : [given, value].flat();
  }
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'POST', headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

const graphql = (lines: [string, string][]) => post('/graphql', { query: '{ viewer { id } }' }, lines);

describe('/graphql', () => {
  it('answers one Authorization header as before', async () => {
    const result = await graphql([['Authorization', `Bearer ${await token()}`]]);
    expect(result.status).toBe(200);
    expect(result.body.data.viewer.id).toEqual(expect.any(String));
  });

  it.each([
    ['two different Authorization headers', async (): Promise<[string, string][]> => [['Authorization', `Bearer ${await token()}`], ['Authorization', `Bearer ${await token()}`]]],
    ['the same Authorization header twice', async (): Promise<[string, string][]> => {
      const value = `Bearer ${await token()}`;
      return [['Authorization', value], ['Authorization', value]];
    }],
    ['a valid and a bogus Authorization header', async (): Promise<[string, string][]> => [['Authorization', `Bearer ${await token()}`], ['Authorization', 'Bearer bogus']]],
    ['two X-User-Token headers', async (): Promise<[string, string][]> => [['X-User-Token', await token()], ['X-User-Token', await token()]]],
  ])('refuses %s with 400 AMBIGUOUS_CREDENTIALS', async (_name, lines) => {
    const result = await graphql(await lines());
    expect(result.status).toBe(400);
    expect(result.body.errors[0].extensions.code).toBe('AMBIGUOUS_CREDENTIALS');
    expect(result.body.data).toBeUndefined();
  });
});

describe('the Router coprocessor', () => {
  const routerRequest = (headers: Record<string, string[]>) => ({ version: 1, stage: 'RouterRequest', id: randomUUID(), headers });

  it.each([
    ['two Authorization values', async () => ({ authorization: [`Bearer ${await token()}`, `Bearer ${await token()}`] })],
    ['the same Authorization value twice', async () => {
      const value = `Bearer ${await token()}`;
      return { authorization: [value, value] };
    }],
    ['Authorization under two spellings', async () => ({ Authorization: [`Bearer ${await token()}`], authorization: [`Bearer ${await token()}`] })],
    ['two X-User-Token values', async () => ({ 'x-user-token': [await token(), await token()] })],
  ])('breaks with 400 AMBIGUOUS_CREDENTIALS for %s', async (_name, headers) => {
    const result = await post('/router/coprocessor', routerRequest(await headers()), []);
    expect(result.status).toBe(200);
    expect(result.body.control).toEqual({ break: 400 });
    expect(JSON.parse(result.body.body).errors[0].extensions.code).toBe('AMBIGUOUS_CREDENTIALS');
  });

  it('continues with one Authorization value', async () => {
    const result = await post('/router/coprocessor', routerRequest({ authorization: [`Bearer ${await token()}`] }), []);
    expect(result.body.control).toBe('continue');
  });
});
