package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
)

// An admin locked out of a role that requires a second factor (phone and
// recovery codes lost) gets back in through the CLI.
func TestUserResetMFACommand(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			u := storetest.URL(t, d)
			st := storetest.OpenURL(t, u)
			ctx := context.Background()
			if _, err := st.MigrateUp(ctx); err != nil {
				t.Fatal(err)
			}
			admin := storetest.Operator(t, st, "boss@example.com", store.RoleAdmin)
			if err := st.StartMFAEnrolment(ctx, admin.ID, "v1:sealed"); err != nil {
				t.Fatal(err)
			}
			if _, err := st.ConfirmMFA(ctx, store.SystemActor, "", admin.ID, 1); err != nil {
				t.Fatal(err)
			}
			sess, _ := st.CreateSession(ctx, admin, "", "")
			code, out, _ := userRun(t, u, "", "user", "reset-mfa", "--email", admin.Email)
			if code != 0 || !strings.Contains(out, "two-factor sign-in of boss@example.com reset") {
				t.Fatalf("reset-mfa: %d %q", code, out)
			}
			if on, err := st.MFAEnabled(ctx, admin.ID); err != nil || on {
				t.Fatalf("still on: %v %v", on, err)
			}
			if _, err := st.LookupSession(ctx, sess); !errors.Is(err, store.ErrNoSession) {
				t.Fatalf("session after reset-mfa: %v", err)
			}
			// Nothing to reset: a clear refusal.
			if code, _, errOut := userRun(t, u, "", "user", "reset-mfa", "--email", admin.Email); code == 0 || !strings.Contains(errOut, "no two-factor sign-in") {
				t.Fatalf("second reset-mfa: %d %q", code, errOut)
			}
		})
	}
}
