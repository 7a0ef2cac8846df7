-- The fencing token of the sync lease each record was written under (0: a
-- sync without a lease). Replicas of `stockd serve` take turns at the
-- scheduled sync through a lease in Redis; a record carrying a lower token
-- than one already here comes from a replica that lost the lease, and is
-- refused (see MarkSynced).
ALTER TABLE sync_state ADD COLUMN fence INTEGER NOT NULL DEFAULT 0;
