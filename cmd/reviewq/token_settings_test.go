package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

// TestTokenCommands: create prints the secret alone on stdout, list shows
// the token without it, revoke ends it; bad input is one line and exit ≠ 0.
func TestTokenCommands(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			u, st := opsDB(t, d, 0, 0, 0)
			ctx := context.Background()
			code, out, errOut := opsRun(t, u, "token", "create", "--name", "scoring-engine", "--scopes", "leads:write, queue:read")
			secret := strings.TrimSpace(out)
			if code != 0 || !strings.HasPrefix(secret, "rvq_") || strings.Count(out, "\n") != 1 || !strings.Contains(errOut, "shown once") {
				t.Fatalf("create: exit %d stdout %q stderr %q", code, out, errOut)
			}
			tok, err := st.LookupToken(ctx, secret)
			if err != nil || !tok.HasScope(store.ScopeLeadsWrite) || !tok.HasScope(store.ScopeQueueRead) || tok.HasScope(store.ScopeQueueWrite) {
				t.Fatalf("stored token: %+v %v", tok, err)
			}
			code, out, _ = opsRun(t, u, "token", "list")
			if code != 0 || !strings.Contains(out, "scoring-engine") || !strings.Contains(out, "leads:write,queue:read") || strings.Contains(out, secret) || !strings.Contains(out, "active") {
				t.Fatalf("list: %d %q", code, out)
			}
			if code, _, _ := opsRun(t, u, "token", "revoke", "--id", "1"); code != 0 {
				t.Fatalf("revoke: %d", code)
			}
			if _, err := st.LookupToken(ctx, secret); err != store.ErrBadToken {
				t.Fatalf("revoked token still works: %v", err)
			}
			for _, args := range [][]string{
				{"token"}, {"token", "create", "--name", "x"}, {"token", "create", "--scopes", "queue:read"},
				{"token", "create", "--name", "x", "--scopes", "queue:admin"}, {"token", "revoke"}, {"token", "revoke", "--id", "99"},
				{"token", "burn"}, {"token", "list", "extra"},
				{"token", "create", "--name", "x", "--scopes", "queue:read", "--expires", "soon"},
				{"token", "create", "--name", "x", "--scopes", "queue:read", "--expires", "0d"},
				{"token", "create", "--name", "x", "--scopes", "queue:read\tqueue:write"},
			} {
				code, out, errOut := opsRun(t, u, args...)
				if code == 0 || out != "" || strings.Count(strings.TrimSpace(errOut), "\n") > 1 || errOut == "" {
					t.Fatalf("%v: exit %d stdout %q stderr %q", args, code, out, errOut)
				}
			}
			toks, _ := st.ListTokens(ctx, 0, 10)
			if len(toks) != 1 {
				t.Fatalf("bad commands made tokens: %d", len(toks))
			}
			// --expires: the token ends then, and the list says when.
			code, out, _ = opsRun(t, u, "token", "create", "--name", "quarterly", "--scopes", "queue:read", "--expires", "90d")
			tok, err = st.LookupToken(ctx, strings.TrimSpace(out))
			if code != 0 || err != nil || tok.ExpiresAt == nil || tok.ExpiresAt.Sub(time.Now().Add(90*24*time.Hour)).Abs() > time.Minute {
				t.Fatalf("create --expires 90d: %d %+v %v", code, tok, err)
			}
			if code, out, _ = opsRun(t, u, "token", "list"); code != 0 || !strings.Contains(out, tok.ExpiresAt.Format("2006-01-02")) {
				t.Fatalf("list shows no expiry: %q", out)
			}
		})
	}
}

// TestSettingsCommands: get lists every setting, set validates, stores and
// audits, get KEY prints the value alone.
func TestSettingsCommands(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			u, st := opsDB(t, d, 0, 0, 0)
			code, out, _ := opsRun(t, u, "settings", "get")
			if code != 0 || !strings.Contains(out, "autoflag.score.threshold") || !strings.Contains(out, "queue.enabled") {
				t.Fatalf("get: %d %q", code, out)
			}
			if code, out, errOut := opsRun(t, u, "settings", "set", "autoflag.score.enabled", "off"); code == 0 || !strings.Contains(errOut, "true or false") || out != "" {
				t.Fatalf("bad value: %d %q %q", code, out, errOut)
			}
			if code, out, _ := opsRun(t, u, "settings", "set", "autoflag.score.enabled", "FALSE"); code != 0 || out != "autoflag.score.enabled = false\n" {
				t.Fatalf("set: %d %q", code, out)
			}
			if code, out, _ := opsRun(t, u, "settings", "get", "autoflag.score.enabled"); code != 0 || out != "false\n" {
				t.Fatalf("get key: %d %q", code, out)
			}
			if code, _, errOut := opsRun(t, u, "settings", "get", "autoflag.nope"); code == 0 || !strings.Contains(errOut, "unknown setting") {
				t.Fatalf("unknown key: %d %q", code, errOut)
			}
			// The cool-down: hours, 0 turns it off, no negative values.
			if code, out, _ := opsRun(t, u, "settings", "get", "autoflag.cooldown_hours"); code != 0 || out != "72\n" {
				t.Fatalf("cool-down default: %d %q", code, out)
			}
			if code, _, errOut := opsRun(t, u, "settings", "set", "autoflag.cooldown_hours", "-1"); code == 0 || !strings.Contains(errOut, "whole number") {
				t.Fatalf("negative cool-down: %d %q", code, errOut)
			}
			for _, args := range [][]string{{"settings"}, {"settings", "set", "queue.enabled"}, {"settings", "put", "a", "b"}, {"settings", "get", "a", "b"}} {
				if code, _, errOut := opsRun(t, u, args...); code == 0 || errOut == "" {
					t.Fatalf("%v: exit %d", args, code)
				}
			}
			var entries []store.AuditEntry
			st.DB.Where("action = ?", "settings.set").Find(&entries)
			if len(entries) != 1 || entries[0].ActorName != "cli" || *entries[0].OldValue != "true" || *entries[0].NewValue != "false" {
				t.Fatalf("audit: %+v", entries)
			}
		})
	}
}
