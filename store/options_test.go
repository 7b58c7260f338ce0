package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

// TestTwoStoresKeepTheirOwnOptions: two stores in one process, on the same
// database, one with the defaults and one with shorter lifetimes and a
// smaller login budget. Each applies its own values to the same rows.
func TestTwoStoresKeepTheirOwnOptions(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			ctx := context.Background()
			url := storetest.URL(t, d)
			def := storetest.OpenURL(t, url)
			if _, err := def.MigrateUp(ctx); err != nil {
				t.Fatal(err)
			}
			short := storetest.OpenURLWith(t, url, store.Options{
				SessionLifetime: time.Hour, SessionIdle: 5 * time.Minute, ClaimLease: time.Minute,
				MaxAccountFailures: 2, PasswordLinkLifetime: time.Hour, SettingsTTL: time.Millisecond,
			})
			if o := def.Options(); o.SessionLifetime != store.DefaultSessionLifetime || o.SessionIdle != store.DefaultSessionIdle ||
				o.ClaimLease != store.DefaultClaimLease || o.MaxAccountFailures != store.DefaultMaxAccountFailures {
				t.Fatalf("defaults not filled in: %+v", o)
			}
			if o := short.Options(); o.SessionIdle != 5*time.Minute || o.MaxAddressFailures != store.DefaultMaxAddressFailures {
				t.Fatalf("options of the second store: %+v", o)
			}
			op := storetest.Operator(t, def, "two-stores@example.com", store.RoleOperator)

			// Session lifetime: each store stamps its own expiry.
			lifetime := func(st *store.Store) time.Duration {
				tok, err := st.CreateSession(ctx, op, "192.0.2.1", "test")
				if err != nil {
					t.Fatal(err)
				}
				info, err := st.LookupSession(ctx, tok)
				if err != nil {
					t.Fatal(err)
				}
				return info.Session.ExpiresAt.Sub(info.Session.CreatedAt)
			}
			if got := lifetime(def); got != store.DefaultSessionLifetime {
				t.Fatalf("default store's session lifetime %s", got)
			}
			if got := lifetime(short); got != time.Hour {
				t.Fatalf("second store's session lifetime %s", got)
			}

			// Idle timeout: one session unused for 10 minutes is alive for
			// the default store (2h) and over for the other (5m).
			tok, err := def.CreateSession(ctx, op, "192.0.2.1", "test")
			if err != nil {
				t.Fatal(err)
			}
			if err := def.DB.Model(&store.Session{}).Where("id = ?", store.HashToken(tok)).
				Update("last_seen_at", store.Now().Add(-10*time.Minute)).Error; err != nil {
				t.Fatal(err)
			}
			if _, err := def.LookupSession(ctx, tok); err != nil {
				t.Fatalf("default store ended a 10-minute idle session: %v", err)
			}
			if err := def.DB.Model(&store.Session{}).Where("id = ?", store.HashToken(tok)).
				Update("last_seen_at", store.Now().Add(-10*time.Minute)).Error; err != nil {
				t.Fatal(err)
			}
			if _, err := short.LookupSession(ctx, tok); !errors.Is(err, store.ErrNoSession) {
				t.Fatalf("second store kept a 10-minute idle session: %v", err)
			}

			// Claim lease.
			lease := func(st *store.Store, ext string) time.Duration {
				r := storetest.FlaggedLead(t, st, ext, store.TypeMessage)
				res, err := st.Claim(ctx, r.ID, opActor(op.ID, op.Name))
				if err != nil {
					t.Fatal(err)
				}
				return time.Until(*res.Review.ClaimExpiresAt)
			}
			if got := lease(def, "OPT-1"); got < 9*time.Minute || got > store.DefaultClaimLease {
				t.Fatalf("default store's lease %s", got)
			}
			if got := lease(short, "OPT-2"); got < 50*time.Second || got > time.Minute {
				t.Fatalf("second store's lease %s", got)
			}

			// Login budget (per account and address): the second store
			// refuses the third try, the default store allows five.
			tries := func(st *store.Store, email string) int {
				for i := 1; i <= 10; i++ {
					b, err := st.StartLoginAttempt(ctx, email, "198.51.100.7")
					if err != nil {
						t.Fatal(err)
					}
					if b != nil {
						return i - 1
					}
				}
				return 10
			}
			if got := tries(short, "budget-a@example.com"); got != 2 {
				t.Fatalf("second store allowed %d tries, want 2", got)
			}
			if got := tries(def, "budget-b@example.com"); got != store.DefaultMaxAccountFailures {
				t.Fatalf("default store allowed %d tries, want %d", got, store.DefaultMaxAccountFailures)
			}
		})
	}
}
