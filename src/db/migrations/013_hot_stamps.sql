-- Last-seen stamps are this service's most frequent writes: each active identity and session
-- once a minute (identity.ts, sessionRecorder.ts). Both become heap-only (HOT) updates: the new
-- row version goes on the same page, no index entry is written, and the old version is pruned in
-- place without a vacuum (PGlite runs none). That needs room on the page (fillfactor 80: new pages
-- keep a fifth free; pages written before this migration get it as they are rewritten) and no
-- index on the stamped column: the purge of sessions unseen for the retention period scans the
-- table instead (userSessions.ts, once a minute). Measured (bench/RESULTS.md, 2026-12-07 20:05):
-- 1,000 session stamps 53-56 ms → 29-33 ms, 1,000 identity stamps 21-24 ms → 12-19 ms on PGlite.
alter table identities set (fillfactor = 80);
alter table sessions set (fillfactor = 80);
drop index sessions_last_seen_idx;
