package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
)

// A review cleared by the rollback cannot be reopened: only a restore puts
// it back, exactly.
func TestClearedReviewIsNotReopened(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		r := storetest.FlaggedLead(t, st, "cleared", store.TypeMessage)
		if _, err := st.ClearFlags(ctx, store.ClearOptions{File: filepath.Join(t.TempDir(), "cleared.json"), Actor: store.SystemActor,
			Write: func([]store.FlagRecord) error { return nil }}); err != nil {
			t.Fatal(err)
		}
		_, err := st.Reopen(ctx, r.ID, store.SystemActor, "")
		var ce *store.ConflictError
		if !errors.As(err, &ce) {
			t.Fatalf("reopen of a cleared review: %v", err)
		}
	})
}
