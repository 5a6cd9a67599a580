-- The Argon2id parameters dek_wrapped_password was sealed with, as JSON
-- ({"memory_kib":…,"iterations":…,"parallelism":…}). NULL: the instance predates this column and
-- used the production parameters (m = 19456 KiB, t = 2, p = 1).
ALTER TABLE instance ADD COLUMN instance_kdf TEXT;
