package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

// TestTokenScopesAreParsedStrictly: a scope with spaces was validated
// trimmed but stored as given ("queue:read "), a token no check matched.
func TestTokenScopesAreParsedStrictly(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		var ve *store.ValidationError
		for _, bad := range [][]string{{"queue:read "}, {" queue:read"}, {"queue:read", "queue: write"}, {"queue:read\n"}} {
			if tok, _, err := st.CreateToken(ctx, store.SystemActor, "", "engine", bad); !errors.As(err, &ve) {
				t.Errorf("scopes %q: token %+v, %v", bad, tok, err)
			}
		}
		for _, bad := range []string{"queue: read", "queue:read,\tqueue:write", "queue:read queue:write", "queue:read,queue:write\u00a0"} {
			if got, err := store.ParseScopes(bad); !errors.As(err, &ve) {
				t.Errorf("ParseScopes(%q) = %q, %v", bad, got, err)
			}
		}
		if got, err := store.ParseScopes("queue:read, queue:write"); err != nil || len(got) != 2 {
			t.Errorf("comma and space separated: %q %v", got, err)
		}
		var n int64
		st.DB.Model(&store.APIToken{}).Count(&n)
		if n != 0 {
			t.Fatalf("%d tokens stored from refused scopes", n)
		}
	})
}

// TestTokenExpiryAndCreator: a token can be given an end of life, after
// which it is refused like a revoked one; the creating admin is recorded.
func TestTokenExpiryAndCreator(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		admin := store.Actor{Type: store.ActorOperator, ID: 42, Name: "Ada"}
		var ve *store.ValidationError
		past := time.Now().Add(-time.Minute)
		if _, _, err := st.CreateTokenExpiring(ctx, admin, "", "old", []string{store.ScopeQueueRead}, &past); !errors.As(err, &ve) {
			t.Fatalf("expiry in the past: %v", err)
		}
		soon := time.Now().Add(time.Hour)
		tok, secret, err := st.CreateTokenExpiring(ctx, admin, "", "engine", []string{store.ScopeQueueRead}, &soon)
		if err != nil || tok.CreatedByID == nil || *tok.CreatedByID != 42 || tok.CreatedBy != "Ada" || tok.ExpiresAt == nil {
			t.Fatalf("create: %+v %v", tok, err)
		}
		got, err := st.LookupToken(ctx, secret)
		if err != nil || got.ExpiresAt == nil || got.ExpiresAt.Sub(soon).Abs() > time.Second {
			t.Fatalf("lookup before expiry: %+v %v", got, err)
		}
		if err := st.DB.Model(&store.APIToken{}).Where("id = ?", tok.ID).Update("expires_at", time.Now().UTC().Add(-time.Second)).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := st.LookupToken(ctx, secret); !errors.Is(err, store.ErrBadToken) {
			t.Fatalf("lookup after expiry: %v", err)
		}
		// Without an expiry, from the CLI: no creator id.
		cli, _, err := st.CreateToken(ctx, store.Actor{Type: store.ActorSystem, Name: "cli"}, "", "cli", []string{store.ScopeQueueRead})
		if err != nil || cli.CreatedByID != nil || cli.ExpiresAt != nil {
			t.Fatalf("cli token: %+v %v", cli, err)
		}
	})
}
