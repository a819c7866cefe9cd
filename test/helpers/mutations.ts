// Deterministic mutations of a signed JWT for the token fuzz: a seeded PRNG, so a failure names
// the seed and index that reproduce it.
import { createHmac } from 'node:crypto';

/** mulberry32: small, fast, deterministic. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const b64 = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64url');
const unb64 = (text: string) => Buffer.from(text, 'base64url');
const SENDABLE = '!#$%&\'()*+-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~';
const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ALGS = ['none', 'None', 'NONE', 'HS256', 'HS384', 'HS512', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA', 'Ed25519', 'RS256 ', '', 'rs256'];

export interface Mutator {
  /** The `index`-th mutated token (kinds in turn). */
  mutate(index: number): { kind: string; token: string };
}

/** `publicKeyPem`: the issuer's public key, for the HS256-with-the-public-key confusion. */
export function createMutator(token: string, publicKeyPem: string, seed: number): Mutator {
  const random = seededRandom(seed);
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(list: readonly T[]) => list[int(list.length)]!;
  const [h, p, s] = token.split('.') as [string, string, string];
  const header = JSON.parse(unb64(h).toString('utf8')) as Record<string, unknown>;

  const flipBit = (segment: string) => {
    const bytes = unb64(segment);
    if (bytes.length === 0) return segment;
    const bit = int(bytes.length * 8);
    bytes[bit >> 3]! ^= 1 << (bit & 7);
    return b64(bytes);
  };
  const randomText = (alphabet: string, length: number) => Array.from({ length }, () => alphabet[int(alphabet.length)]).join('');
  const withHeader = (changes: Record<string, unknown>) => {
    const next: Record<string, unknown> = { ...header, ...changes };
    for (const [name, value] of Object.entries(next)) if (value === undefined) delete next[name];
    return b64(JSON.stringify(next));
  };

  const kinds: Record<string, () => string> = {
    'signature bit': () => `${h}.${p}.${flipBit(s)}`,
    'header bit': () => `${flipBit(h)}.${p}.${s}`,
    'payload bit': () => `${h}.${flipBit(p)}.${s}`,
    'swapped alg, real signature': () => `${withHeader({ alg: pick(ALGS) })}.${p}.${s}`,
    'alg none, no signature': () => `${withHeader({ alg: pick(['none', 'None', 'nOnE']) })}.${p}.${pick(['', s])}`,
    'HS256 keyed with the public key': () => {
      const forged = `${withHeader({ alg: 'HS256' })}.${p}`;
      return `${forged}.${b64(createHmac('sha256', publicKeyPem).update(forged).digest())}`;
    },
    're-encoded header, real signature': () =>
      pick([
        () => `${b64(JSON.stringify(header, null, 1))}.${p}.${s}`,
        () => `${withHeader({ kid: `${String(header.kid)}x` })}.${p}.${s}`,
        () => `${withHeader({ kid: undefined })}.${p}.${s}`,
        () => `${withHeader({ typ: pick(['at+jwt', 'JWS', 42, null]) })}.${p}.${s}`,
        () => `${withHeader({ jku: 'http://127.0.0.1:1/jwks.json' })}.${p}.${s}`,
        () => `${withHeader({ jwk: { kty: 'oct', k: 'AAAA' } })}.${p}.${s}`,
        () => `${withHeader({ crit: ['exp'] })}.${p}.${s}`,
        () => `${withHeader({ b64: false, crit: ['b64'] })}.${p}.${s}`,
      ])(),
    truncation: () => token.slice(0, int(token.length)),
    'extra segments': () => pick([`${token}.`, `${token}.${s}`, `${h}.${p}..${s}`, `${h}..${p}.${s}`, `${token}.${randomText(BASE64URL, 1 + int(40))}`]),
    'one character changed': () => {
      const at = int(token.length);
      return `${token.slice(0, at)}${pick([...BASE64URL, '.', '='])}${token.slice(at + 1)}`;
    },
    'random bytes': () =>
      pick([
        () => randomText(SENDABLE, 1 + int(600)),
        () => [randomText(BASE64URL, 1 + int(200)), randomText(BASE64URL, 1 + int(400)), randomText(BASE64URL, int(400))].join('.'),
        () => `${b64(JSON.stringify({ alg: 'RS256', kid: header.kid }))}.${randomText(BASE64URL, 1 + int(300))}.${s}`,
        () => `${h}.${b64(randomText(SENDABLE, int(200)))}.${s}`,
      ])(),
  };
  const names = Object.keys(kinds);
  return {
    mutate(index) {
      const kind = names[index % names.length]!;
      return { kind, token: kinds[kind]!() };
    },
  };
}

/** Whether two compact tokens carry the same bytes (base64url text can differ in unused bits). */
export function sameBytes(a: string, b: string): boolean {
  const left = a.split('.');
  const right = b.split('.');
  return left.length === right.length && left.every((part, i) => /^[A-Za-z0-9_-]*$/.test(part) && unb64(part).equals(unb64(right[i]!)));
}
