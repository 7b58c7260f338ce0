package store_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

// TestWebhookSecretsAreSealed: a signing secret is kept sealed in the
// database (a copy of it does not give the secret away) and deliveries are
// signed with the real one; a secret an earlier release stored as plain
// text still signs, and SealWebhookSecrets seals it; a store without the
// key, or with another, says so instead of signing with garbage.
func TestWebhookSecretsAreSealed(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) { webhookSecretsAreSealed(t, d) })
	}
}

func webhookSecretsAreSealed(t *testing.T, d store.Dialect) {
	url := storetest.URL(t, d)
	st := storetest.OpenURL(t, url)
	ctx := context.Background()
	if _, err := st.MigrateUp(ctx); err != nil {
		t.Fatal(err)
	}
	e, secret, err := st.CreateWebhook(ctx, store.SystemActor, "", store.WebhookInput{
		URL: "https://hooks.example.com/sealed", Events: []string{store.WebhookReviewDecided}})
	if err != nil {
		t.Fatal(err)
	}
	stored := func() (string, string) {
		t.Helper()
		var row struct {
			Secret         string
			PreviousSecret *string
		}
		if err := st.DB.Table("webhook_endpoints").Select("secret, previous_secret").Where("id = ?", e.ID).Take(&row).Error; err != nil {
			t.Fatal(err)
		}
		prev := ""
		if row.PreviousSecret != nil {
			prev = *row.PreviousSecret
		}
		return row.Secret, prev
	}
	signs := func(st *store.Store, want ...string) {
		t.Helper()
		if _, err := st.QueueTestEvent(ctx, store.SystemActor, "", e.ID); err != nil {
			t.Fatal(err)
		}
		jobs, err := st.ClaimDeliveries(ctx, 10, time.Minute, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(jobs) == 0 || !slices.Equal(jobs[len(jobs)-1].Secrets, want) {
			t.Fatalf("deliveries signed with %v, want %v", jobs, want)
		}
	}
	if s, _ := stored(); !store.IsSealed(s) || strings.Contains(s, strings.TrimPrefix(secret, "whsec_")) {
		t.Fatalf("the secret is stored as %q", s)
	}
	signs(st, secret)

	// Rotation: both sealed, both sign during the overlap.
	next, err := st.RotateWebhookSecret(ctx, store.SystemActor, "", e.ID)
	if err != nil {
		t.Fatal(err)
	}
	if s, p := stored(); !store.IsSealed(s) || !store.IsSealed(p) {
		t.Fatalf("after rotation: %q, %q", s, p)
	}
	signs(st, next, secret)

	// A plain-text secret of an earlier release signs, and is sealed.
	if err := st.DB.Exec("UPDATE webhook_endpoints SET secret = ?, previous_secret = NULL WHERE id = ?", "whsec_plain", e.ID).Error; err != nil {
		t.Fatal(err)
	}
	signs(st, "whsec_plain")
	if n, err := st.SealWebhookSecrets(ctx); err != nil || n != 1 {
		t.Fatalf("sealed %d endpoints (%v), want 1", n, err)
	}
	if n, err := st.SealWebhookSecrets(ctx); err != nil || n != 0 {
		t.Fatalf("sealed %d endpoints the second time (%v), want 0", n, err)
	}
	if s, _ := stored(); !store.IsSealed(s) {
		t.Fatalf("not sealed: %q", s)
	}
	signs(st, "whsec_plain")

	// The same database opened without the key, or with another.
	for _, key := range [][]byte{{}, []byte("another-key-material-of-32-bytes-or-more")} {
		other := storetest.OpenURLWith(t, url, store.Options{SecretKey: key})
		if _, err := other.QueueTestEvent(ctx, store.SystemActor, "", e.ID); err != nil {
			t.Fatal(err)
		}
		_, err := other.ClaimDeliveries(ctx, 10, time.Minute, 0)
		if err == nil || (len(key) == 0 && !strings.Contains(err.Error(), "REVIEWQ_SESSION_SECRET")) || (len(key) > 0 && !errors.Is(err, store.ErrCannotOpen)) {
			t.Fatalf("claim with key %q: %v", key, err)
		}
		if len(key) == 0 {
			// Nor does it store a new secret in the clear.
			if _, _, err := other.CreateWebhook(ctx, store.SystemActor, "", store.WebhookInput{
				URL: "https://hooks.example.com/clear", Events: []string{store.WebhookReviewDecided}}); err == nil || !strings.Contains(err.Error(), "REVIEWQ_SESSION_SECRET") {
				t.Fatalf("creating a webhook without the key: %v", err)
			}
		}
	}
}
