package main

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

func userRun(t *testing.T, dbURL, stdin string, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("REVIEWQ_DATABASE_URL", dbURL)
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestUserAdminCommands(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			u := storetest.URL(t, d)
			st := storetest.OpenURL(t, u)
			ctx := context.Background()
			if _, err := st.MigrateUp(ctx); err != nil {
				t.Fatal(err)
			}
			admin := storetest.Operator(t, st, "boss@example.com", store.RoleAdmin)
			op := storetest.Operator(t, st, "ann@example.com", store.RoleOperator)
			sess, _ := st.CreateSession(ctx, op, "", "")

			if code, out, _ := userRun(t, u, "", "user", "set-role", "--email", "ANN@example.com", "--role", "lead"); code != 0 || out != "ann@example.com is now lead\n" {
				t.Fatalf("set-role: %d %q", code, out)
			}
			if code, out, _ := userRun(t, u, "", "user", "deactivate", "--email", op.Email); code != 0 || !strings.Contains(out, "deactivated") {
				t.Fatalf("deactivate: %d %q", code, out)
			}
			if _, err := st.LookupSession(ctx, sess); !errors.Is(err, store.ErrNoSession) {
				t.Fatalf("session after deactivate: %v", err)
			}
			if code, _, _ := userRun(t, u, "", "user", "reactivate", "--email", op.Email); code != 0 {
				t.Fatalf("reactivate: %d", code)
			}
			if code, out, _ := userRun(t, u, "a-new-password-from-stdin\n", "user", "reset-password", "--email", op.Email); code != 0 || !strings.Contains(out, "reset") {
				t.Fatalf("reset-password: %d %q", code, out)
			}
			if _, err := st.Authenticate(ctx, op.Email, "a-new-password-from-stdin"); err != nil {
				t.Fatalf("login with the reset password: %v", err)
			}
			// The last admin stays; bad input is one line and a non-zero exit, nothing changed.
			for _, c := range []struct {
				stdin string
				args  []string
				want  string
			}{
				{"", []string{"user", "set-role", "--email", admin.Email, "--role", "operator"}, "last active admin"},
				{"", []string{"user", "deactivate", "--email", admin.Email}, "last active admin"},
				{"", []string{"user", "set-role", "--email", op.Email, "--role", "root"}, "--role must be"},
				{"", []string{"user", "set-role", "--email", "nobody@example.com", "--role", "lead"}, "no account with email nobody@example.com"},
				{"", []string{"user", "deactivate"}, "--email is required"},
				{"short\n", []string{"user", "reset-password", "--email", op.Email}, "at least 10"},
				{"", []string{"user", "reset-password", "--email", op.Email}, "standard input"},
			} {
				code, out, errOut := userRun(t, u, c.stdin, c.args...)
				if code == 0 || out != "" || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
					t.Errorf("%v: exit %d stdout %q stderr %q", c.args, code, out, errOut)
				}
			}
			if got, _ := st.GetOperator(ctx, admin.ID); got.Role != store.RoleAdmin || !got.Active {
				t.Fatalf("the last admin changed: %+v", got)
			}
			entries, _, err := st.ListAudit(ctx, store.AuditFilter{Actor: "cli"})
			if err != nil || len(entries) != 4 {
				t.Fatalf("audited CLI actions: %d %v", len(entries), err)
			}
		})
	}
}

func TestSessionDurationSettings(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	c, err := LoadConfig(env("REVIEWQ_SESSION_IDLE", "30m", "REVIEWQ_SESSION_LIFETIME", "8h"))
	if err != nil || c.SessionIdle != 30*time.Minute || c.SessionLifetime != 8*time.Hour {
		t.Fatalf("%+v %v", c, err)
	}
	for _, bad := range [][]string{{"REVIEWQ_SESSION_IDLE", "soon"}, {"REVIEWQ_SESSION_LIFETIME", "10s"},
		{"REVIEWQ_SESSION_IDLE", "9h", "REVIEWQ_SESSION_LIFETIME", "8h"}} {
		if _, err := LoadConfig(env(bad...)); err == nil || !strings.Contains(err.Error(), "REVIEWQ_SESSION_") {
			t.Errorf("%v: %v", bad, err)
		}
	}
}

// TestDrainDelayConfig: REVIEWQ_DRAIN_DELAY is a duration from 0s to 1m;
// anything else is refused at start, naming the variable.
func TestDrainDelayConfig(t *testing.T) {
	env := func(v string) func(string) string {
		return func(k string) string {
			if k == "REVIEWQ_DRAIN_DELAY" {
				return v
			}
			return ""
		}
	}
	for raw, want := range map[string]time.Duration{"": 0, "0s": 0, "6s": 6 * time.Second, "1m": time.Minute} {
		if c, err := LoadConfig(env(raw)); err != nil || c.DrainDelay != want {
			t.Errorf("%q: %v %v, want %v", raw, c.DrainDelay, err, want)
		}
	}
	for _, bad := range []string{"6", "-1s", "2m", "soon"} {
		if _, err := LoadConfig(env(bad)); err == nil || !strings.Contains(err.Error(), "REVIEWQ_DRAIN_DELAY") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
