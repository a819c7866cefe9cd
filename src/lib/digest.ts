// The digest credentials are cached under: a cache keyed by it never holds a usable token.
import { createHash, hash } from 'node:crypto';

// One-shot digest where Node has it (20.12+): about half the cost of a Hash object.
export const sha256: (text: string) => string =
  typeof hash === 'function' ? (text) => hash('sha256', text, 'base64url') : (text) => createHash('sha256').update(text).digest('base64url');
