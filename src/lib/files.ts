// Files written once and shared by processes that may start together (server, commands).
import { randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Reads `path`, creating it (mode 0600) from `create()` when absent. The content is written to a
 * private temp file, then linked into place: link fails when the file exists already, so two
 * processes starting together converge on the first one written, and nobody reads half a file.
 */
export async function readOrCreateFile(path: string, create: () => string | Promise<string>): Promise<string> {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    mkdirSync(dirname(path), { recursive: true });
    const temp = `${path}.${process.pid}.${randomUUID()}.tmp`;
    writeFileSync(temp, await create(), { mode: 0o600 });
    try {
      linkSync(temp, path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      unlinkSync(temp);
    }
    return readFileSync(path, 'utf8');
  }
}
