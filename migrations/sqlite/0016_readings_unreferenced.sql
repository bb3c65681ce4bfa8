-- PostgreSQL drops the foreign keys from readings and their rollups to
-- devices here (ingest throughput: buffered uploads went from 94,447–103,067
-- to 133,279–140,863 readings/s end to end). SQLite keeps them: rebuilding
-- the two tables without the key (and WITHOUT ROWID) measured no gain
-- (24,404–25,345 against 25,008–25,125 readings/s of one-reading messages,
-- 127,536–132,685 against 132,260–134,779 of buffered uploads), and the
-- rebuild would copy every stored reading. Nothing to do.
SELECT 1;
