package clickhouse

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestSyncFenceStepRunsAgain: the step adding sync_state.fence was
// interrupted after its ALTER and before it was recorded; 18.16 has no ADD
// COLUMN IF NOT EXISTS, so the next Migrate meets "column already exists"
// and must take it as done.
func TestSyncFenceStepRunsAgain(t *testing.T) {
	ctx := context.Background()
	all := migrations
	i := slices.IndexFunc(all, func(m migration) bool { return m.name == "sync fence" })
	if i < 0 {
		t.Fatal("no sync fence migration")
	}
	migrations = all[:i]
	st := openFresh(t) // migrated up to the step before
	migrations = all
	defer func() { migrations = all }()
	step := all[i]
	if err := st.conn.Exec(ctx, step.statements[0]); err != nil {
		t.Fatalf("the step's ALTER on its own: %v", err)
	}
	err := st.conn.Exec(ctx, step.statements[0])
	if err == nil || !columnExists(err) {
		t.Fatalf("the ALTER run again: %v; want the server's 'already exists', recognised", err)
	}
	if err := st.Migrate(ctx); err != nil {
		t.Fatalf("Migrate after the interrupted step: %v", err)
	}
	applied, err := st.appliedMigrations(ctx)
	if err != nil || !applied[step.version] {
		t.Fatalf("step %d recorded: %v (%v)", step.version, applied[step.version], err)
	}
	if err := st.MarkSynced(ctx, "daily", time.Date(2025, 12, 18, 0, 0, 0, 0, time.UTC), 1, 5); err != nil {
		t.Fatal(err)
	}
	if f, err := st.SyncFence(ctx); err != nil || f != 5 {
		t.Errorf("SyncFence = %d, %v; want 5", f, err)
	}
}
