package store_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
)

// TestRelatedSettingsStayConsistentUnderConcurrentSetters is the regression
// test for issue 15 finding 6: two admins setting warning=20 and
// critical=15 at once each passed the check against the old values, and
// MariaDB was left with warning >= critical.
func TestRelatedSettingsStayConsistentUnderConcurrentSetters(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		admin := store.Actor{Type: store.ActorOperator, ID: 1, Name: "Ada"}
		for try := 0; try < 15; try++ {
			// Start from 12 h / 24 h: either change alone is valid.
			if _, err := st.SetSetting(ctx, admin, "", store.KeySLACriticalHours, "24"); err != nil {
				t.Fatal(err)
			}
			if _, err := st.SetSetting(ctx, admin, "", store.KeySLAWarningHours, "12"); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			start := make(chan struct{})
			for i, kv := range [][2]string{{store.KeySLAWarningHours, "20"}, {store.KeySLACriticalHours, "15"}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					<-start
					_, errs[i] = st.SetSetting(ctx, admin, "", kv[0], kv[1])
				}()
			}
			close(start)
			wg.Wait()
			refused := 0
			for _, err := range errs {
				var ve *store.ValidationError
				switch {
				case err == nil:
				case errors.As(err, &ve) && strings.Contains(ve.Error(), "must be below the critical age"):
					refused++
				default:
					t.Fatalf("try %d: %v", try, err)
				}
			}
			st.InvalidateSettings()
			cur, err := st.Settings(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if w, c := cur.Int(store.KeySLAWarningHours), cur.Int(store.KeySLACriticalHours); w >= c || refused != 1 {
				t.Fatalf("try %d: warning %d h, critical %d h, %d of 2 setters refused", try, w, c, refused)
			}
		}
	})
}

// TestReasonCodeListsAreCapped: at most 50 codes of at most 64 characters,
// so a settings change cannot bloat every decision form and export.
func TestReasonCodeListsAreCapped(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	admin := store.Actor{Type: store.ActorOperator, ID: 1, Name: "Ada"}
	codes := make([]string, 51)
	for i := range codes {
		codes[i] = "code_" + strings.Repeat("x", i%5) + string(rune('a'+i%26)) + string(rune('a'+i/26))
	}
	var ve *store.ValidationError
	if _, err := st.SetSetting(ctx, admin, "", store.KeyReasonsReject, strings.Join(codes, ",")); !errors.As(err, &ve) || !strings.Contains(ve.Error(), "at most 50") {
		t.Fatalf("51 codes: %v", err)
	}
	if _, err := st.SetSetting(ctx, admin, "", store.KeyReasonsReject, strings.Join(codes[:50], ",")); err != nil {
		t.Fatalf("50 codes: %v", err)
	}
	if _, err := st.SetSetting(ctx, admin, "", store.KeyReasonsSkip, strings.Repeat("y", 65)); !errors.As(err, &ve) {
		t.Fatalf("a 65-character code: %v", err)
	}
}
