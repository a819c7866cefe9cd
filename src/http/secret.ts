// X-Subgraph-Secret check: constant-time, so response timing reveals nothing of the secret.
import { createHash, timingSafeEqual } from 'node:crypto';

/** Returns a checker; with no secret configured every request passes. */
export function createSecretCheck(secret: string | null): (presented: string | string[] | undefined) => boolean {
  if (secret === null) return () => true;
  // Comparing digests gives equal lengths, so timingSafeEqual never leaks the secret's length.
  const expected = createHash('sha256').update(secret).digest();
  return (presented) => {
    if (typeof presented !== 'string') return false;
    return timingSafeEqual(createHash('sha256').update(presented).digest(), expected);
  };
}
