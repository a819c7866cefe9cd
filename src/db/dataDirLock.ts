// Who holds the embedded database's directory. PGlite takes no lock of its own: a second process
// opening the same directory silently loses or corrupts writes. The server records itself in
// DATA_DIR; commands (`npm run keys`) refuse to open the directory while that process lives.
import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const LOCK_FILE = 'server.pid';

interface Holder {
  pid: number;
  /** The process's start time as /proc knows it, so a reused pid is not taken for the server. */
  started: string | null;
}

function startTimeOf(pid: number): string | null {
  try {
    // Field 22 of /proc/<pid>/stat, after the parenthesised command name.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Records this process as the directory's holder; returns the release (on close). */
export function claimDataDir(dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  const holder: Holder = { pid: process.pid, started: startTimeOf(process.pid) };
  writeFileSync(path, JSON.stringify(holder), { mode: 0o600 });
  return () => {
    try {
      if ((JSON.parse(readFileSync(path, 'utf8')) as Holder).pid === process.pid) unlinkSync(path);
    } catch {
      // Already gone.
    }
  };
}

/** The pid of another live process holding the directory, or null. */
export function findDataDirHolder(dir: string): number | null {
  let holder: Holder;
  try {
    holder = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as Holder;
  } catch {
    return null;
  }
  if (typeof holder.pid !== 'number' || holder.pid === process.pid || !alive(holder.pid)) return null;
  const started = startTimeOf(holder.pid);
  return holder.started !== null && started !== null && started !== holder.started ? null : holder.pid;
}
