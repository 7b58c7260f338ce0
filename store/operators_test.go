package store_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"reviewq/store"
	"reviewq/store/storetest"
)

func activeAdmins(t *testing.T, st *store.Store) int {
	t.Helper()
	var n int64
	if err := st.DB.Model(&store.Operator{}).Where("role = ? AND active = ?", store.RoleAdmin, true).Count(&n).Error; err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func TestLastActiveAdminStays(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		a := storetest.Operator(t, st, "a@example.com", store.RoleAdmin)
		b := storetest.Operator(t, st, "b@example.com", store.RoleAdmin)
		actor := store.Actor{Type: store.ActorOperator, ID: a.ID, Name: a.Name}
		if _, err := st.SetRole(ctx, actor, "", b.ID, store.RoleLead); err != nil {
			t.Fatalf("demote b with a second admin left: %v", err)
		}
		var ce *store.ConflictError
		if _, err := st.SetRole(ctx, actor, "", a.ID, store.RoleOperator); !errors.As(err, &ce) {
			t.Fatalf("demote the last admin: %v", err)
		}
		if _, err := st.SetActive(ctx, actor, "", a.ID, false); !errors.As(err, &ce) {
			t.Fatalf("deactivate the last admin: %v", err)
		}
		if got, _ := st.GetOperator(ctx, a.ID); got.Role != store.RoleAdmin || !got.Active {
			t.Fatalf("last admin changed: %+v", got)
		}
		// An inactive admin does not count: reactivating one first is needed.
		if _, err := st.SetRole(ctx, actor, "", b.ID, store.RoleAdmin); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetActive(ctx, actor, "", b.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetRole(ctx, actor, "", a.ID, store.RoleLead); !errors.As(err, &ce) {
			t.Fatalf("demote the last active admin beside an inactive one: %v", err)
		}
		if _, err := st.SetActive(ctx, actor, "", b.ID, true); err != nil {
			t.Fatal(err)
		}

		// Two admins demoting each other at the same moment: exactly one wins.
		for round := 0; round < 5; round++ {
			if activeAdmins(t, st) != 2 {
				if _, err := st.SetRole(ctx, store.SystemActor, "", b.ID, store.RoleAdmin); err != nil {
					t.Fatal(err)
				}
				if _, err := st.SetRole(ctx, store.SystemActor, "", a.ID, store.RoleAdmin); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, pair := range [][2]*store.Operator{{a, b}, {b, a}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					by := store.Actor{Type: store.ActorOperator, ID: pair[0].ID, Name: pair[0].Name}
					if i == 0 {
						_, errs[i] = st.SetRole(ctx, by, "", pair[1].ID, store.RoleOperator)
					} else {
						_, errs[i] = st.SetActive(ctx, by, "", pair[1].ID, false)
					}
				}()
			}
			wg.Wait()
			ok := 0
			for _, err := range errs {
				switch {
				case err == nil:
					ok++
				case errors.As(err, &ce):
				default:
					t.Fatalf("round %d: unexpected error %v", round, err)
				}
			}
			if ok != 1 || activeAdmins(t, st) != 1 {
				t.Fatalf("round %d: %d changes went through, %d active admins left (errors %v)", round, ok, activeAdmins(t, st), errs)
			}
			// Bring both back for the next round.
			if _, err := st.SetActive(ctx, store.SystemActor, "", b.ID, true); err != nil {
				t.Fatal(err)
			}
			if _, err := st.SetActive(ctx, store.SystemActor, "", a.ID, true); err != nil {
				t.Fatal(err)
			}
			for _, op := range []*store.Operator{a, b} {
				if _, err := st.SetRole(ctx, store.SystemActor, "", op.ID, store.RoleAdmin); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}

func sessionCount(t *testing.T, st *store.Store, opID int64) int {
	t.Helper()
	list, _, err := st.ListOperatorSessions(context.Background(), opID, nil, 100)
	if err != nil {
		t.Fatal(err)
	}
	return len(list)
}

func TestAccountChangesEndSessionsAndAreAudited(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		admin := storetest.Operator(t, st, "admin@example.com", store.RoleAdmin)
		op := storetest.Operator(t, st, "op@example.com", store.RoleOperator)
		actor := store.Actor{Type: store.ActorOperator, ID: admin.ID, Name: admin.Name}
		tok1, _ := st.CreateSession(ctx, op, "10.0.0.1", "ua1")
		if _, err := st.CreateSession(ctx, op, "10.0.0.2", "ua2"); err != nil {
			t.Fatal(err)
		}
		if n := sessionCount(t, st, op.ID); n != 2 {
			t.Fatalf("sessions: %d", n)
		}

		if _, err := st.SetActive(ctx, actor, "192.0.2.1", op.ID, false); err != nil {
			t.Fatal(err)
		}
		if _, err := st.LookupSession(ctx, tok1); !errors.Is(err, store.ErrNoSession) {
			t.Fatalf("session after deactivation: %v", err)
		}
		if n := sessionCount(t, st, op.ID); n != 0 {
			t.Fatalf("sessions after deactivation: %d", n)
		}
		if _, err := st.Authenticate(ctx, op.Email, storetest.Password("operator")); !errors.Is(err, store.ErrBadCredentials) {
			t.Fatalf("deactivated login: %v", err)
		}
		if _, err := st.SetActive(ctx, actor, "192.0.2.1", op.ID, true); err != nil {
			t.Fatal(err)
		}

		tok, _ := st.CreateSession(ctx, op, "", "")
		const newPW = "a-brand-new-password"
		if _, err := st.ResetPassword(ctx, actor, "192.0.2.1", op.ID, newPW); err != nil {
			t.Fatal(err)
		}
		if _, err := st.LookupSession(ctx, tok); !errors.Is(err, store.ErrNoSession) {
			t.Fatalf("session after reset: %v", err)
		}
		if _, err := st.Authenticate(ctx, op.Email, newPW); err != nil {
			t.Fatalf("login with reset password: %v", err)
		}
		if _, err := st.ResetPassword(ctx, actor, "", op.ID, "short"); err == nil {
			t.Fatal("a short password was accepted")
		}
		if _, err := st.SetRole(ctx, actor, "", op.ID, "superuser"); err == nil {
			t.Fatal("an unknown role was accepted")
		}
		if _, err := st.SetRole(ctx, actor, "", 99999, store.RoleLead); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("unknown account: %v", err)
		}

		entries, _, err := st.ListAudit(ctx, store.AuditFilter{Actor: admin.Name})
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for _, e := range entries {
			actions = append(actions, e.Action)
			for _, v := range []*string{e.OldValue, e.NewValue} {
				if v != nil && strings.Contains(*v, newPW) {
					t.Fatalf("audit holds the password: %+v", e)
				}
			}
			if e.Target != op.Email || e.IP != "192.0.2.1" {
				t.Fatalf("audit entry: %+v", e)
			}
		}
		if strings.Join(actions, ",") != "operator.reset_password,operator.reactivate,operator.deactivate" {
			t.Fatalf("audit actions: %v", actions)
		}
	})
}

func TestPasswordLinkIsOneTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		op, secret, err := st.CreateOperatorWithLink(ctx, store.SystemActor, "", store.NewOperator{Email: "New@Example.com", Name: "New", Role: store.RoleLead})
		if err != nil {
			t.Fatal(err)
		}
		if op.Email != "new@example.com" || secret == "" {
			t.Fatalf("created %+v %q", op, secret)
		}
		if got, err := st.PasswordLinkOperator(ctx, secret); err != nil || got.ID != op.ID {
			t.Fatalf("link lookup: %v", err)
		}
		if _, err := st.SetPasswordWithLink(ctx, "", secret, "short"); err == nil {
			t.Fatal("short password accepted")
		}
		if _, err := st.SetPasswordWithLink(ctx, "", secret, "my-own-password"); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Authenticate(ctx, op.Email, "my-own-password"); err != nil {
			t.Fatalf("login after set: %v", err)
		}
		if _, err := st.SetPasswordWithLink(ctx, "", secret, "another-password"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("second use of the link: %v", err)
		}
		// A new link replaces the old one; an expired link is refused.
		first, _ := st.CreatePasswordLink(ctx, store.SystemActor, "", op.ID)
		second, _ := st.CreatePasswordLink(ctx, store.SystemActor, "", op.ID)
		if _, err := st.PasswordLinkOperator(ctx, first); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("replaced link: %v", err)
		}
		if err := st.DB.Model(&store.PasswordToken{}).Where("operator_id = ?", op.ID).Update("expires_at", time.Now().UTC().Add(-time.Minute)).Error; err != nil {
			t.Fatal(err)
		}
		if _, err := st.SetPasswordWithLink(ctx, "", second, "another-password"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("expired link: %v", err)
		}
	})
}

func TestChangeOwnPassword(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		op := storetest.Operator(t, st, "me@example.com", store.RoleOperator)
		mine, _ := st.CreateSession(ctx, op, "", "")
		other, _ := st.CreateSession(ctx, op, "", "")
		if err := st.ChangePassword(ctx, op.ID, "", "wrong-password", "new-password-1", mine); err == nil {
			t.Fatal("wrong current password accepted")
		}
		if err := st.ChangePassword(ctx, op.ID, "", storetest.Password("operator"), "new-password-1", mine); err != nil {
			t.Fatal(err)
		}
		if _, err := st.LookupSession(ctx, mine); err != nil {
			t.Fatalf("own session ended: %v", err)
		}
		if _, err := st.LookupSession(ctx, other); !errors.Is(err, store.ErrNoSession) {
			t.Fatalf("other session survived: %v", err)
		}
		if _, err := st.Authenticate(ctx, op.Email, "new-password-1"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestLoginThrottle(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		op := storetest.Operator(t, st, "victim@example.com", store.RoleOperator)
		for i := 0; i < st.Options().MaxAccountFailures; i++ {
			if b, err := st.LoginThrottled(ctx, op.Email, "198.51.100.1"); err != nil || b != nil {
				t.Fatalf("attempt %d refused: %+v %v", i, b, err)
			}
			if err := st.RecordLoginFailure(ctx, "Victim@example.com", "198.51.100.1"); err != nil {
				t.Fatal(err)
			}
		}
		b, err := st.LoginThrottled(ctx, op.Email, "198.51.100.1")
		if err != nil || b == nil || !b.Account || b.RetryAfter <= 0 || b.RetryAfter > st.Options().LoginWindow {
			t.Fatalf("account not blocked from the guessing address after %d failures: %+v %v", st.Options().MaxAccountFailures, b, err)
		}
		// The account is not locked for everyone: an address that has not
		// failed on it goes through, and once it fails too it is slowed.
		if b, err := st.LoginThrottled(ctx, op.Email, "198.51.100.9"); err != nil || b != nil {
			t.Fatalf("a clean address refused: %+v %v", b, err)
		}
		if err := st.RecordLoginFailure(ctx, op.Email, "198.51.100.9"); err != nil {
			t.Fatal(err)
		}
		if b, err := st.LoginThrottled(ctx, op.Email, "198.51.100.9"); err != nil || b == nil || !b.Account || b.RetryAfter > st.Options().LoginSlowdown {
			t.Fatalf("an address that failed on an attacked account is not slowed: %+v %v", b, err)
		}
		// Another account from the same address is still allowed.
		if b, _ := st.LoginThrottled(ctx, "someone@example.com", "198.51.100.1"); b != nil {
			t.Fatalf("other account blocked: %+v", b)
		}
		// The address budget: failures spread over many accounts.
		for i := 0; i < st.Options().MaxAddressFailures; i++ {
			if err := st.RecordLoginFailure(ctx, "spray"+string(rune('a'+i%26))+"@example.com", "203.0.113.7"); err != nil {
				t.Fatal(err)
			}
		}
		if b, _ := st.LoginThrottled(ctx, "fresh@example.com", "203.0.113.7"); b == nil || b.Account {
			t.Fatalf("address not blocked: %+v", b)
		}
		// Failures leave the window: move them back in time.
		if err := st.DB.Model(&store.LoginAttempt{}).Where("email = ?", op.Email).Update("created_at", time.Now().UTC().Add(-st.Options().LoginWindow-time.Minute)).Error; err != nil {
			t.Fatal(err)
		}
		if b, _ := st.LoginThrottled(ctx, op.Email, "198.51.100.1"); b != nil {
			t.Fatalf("still blocked after the window: %+v", b)
		}
		// A success clears the account's failures from that address, not
		// those from elsewhere.
		for i := 0; i < st.Options().MaxAccountFailures; i++ {
			_ = st.RecordLoginFailure(ctx, op.Email, "198.51.100.1")
			_ = st.RecordLoginFailure(ctx, op.Email, "198.51.100.2")
		}
		if err := st.RecordLoginSuccess(ctx, op, "198.51.100.1"); err != nil {
			t.Fatal(err)
		}
		if b, _ := st.LoginThrottled(ctx, op.Email, "198.51.100.1"); b != nil {
			t.Fatalf("blocked after a success: %+v", b)
		}
		if b, _ := st.LoginThrottled(ctx, op.Email, "198.51.100.2"); b == nil || !b.Account {
			t.Fatalf("another address's failures were cleared by the success: %+v", b)
		}
		// Old rows are cleaned up as new failures come in.
		var old int64
		st.DB.Model(&store.LoginAttempt{}).Where("created_at < ?", time.Now().UTC().Add(-st.Options().LoginWindow)).Count(&old)
		if old != 0 {
			t.Fatalf("%d expired attempts kept", old)
		}
	})
}

func TestAuditListFiltersAndPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		for i := 0; i < 7; i++ {
			_ = st.RecordLoginFailure(ctx, "x@example.com", "192.0.2.5")
		}
		op := storetest.Operator(t, st, "y@example.com", store.RoleOperator)
		_ = st.RecordLoginSuccess(ctx, op, "192.0.2.5")

		var seen []int64
		f := store.AuditFilter{Action: "login.*", Limit: 3}
		for {
			page, next, err := st.ListAudit(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page {
				if !strings.HasPrefix(e.Action, "login.") {
					t.Fatalf("filter leaked %s", e.Action)
				}
				if len(seen) > 0 && e.ID >= seen[len(seen)-1] {
					t.Fatal("not newest first")
				}
				seen = append(seen, e.ID)
			}
			if next == 0 {
				break
			}
			f.BeforeID = next
		}
		if len(seen) != 8 {
			t.Fatalf("paged through %d login entries, want 8", len(seen))
		}
		if got, _, _ := st.ListAudit(ctx, store.AuditFilter{Action: "login.success"}); len(got) != 1 || got[0].Target != op.Email {
			t.Fatalf("exact action: %+v", got)
		}
		// Wildcards typed by a user are literal.
		if got, _, _ := st.ListAudit(ctx, store.AuditFilter{Action: "%.*"}); len(got) != 0 {
			t.Fatalf("%% matched %d", len(got))
		}
		if got, _, _ := st.ListAudit(ctx, store.AuditFilter{From: time.Now().UTC().Add(time.Hour)}); len(got) != 0 {
			t.Fatalf("future from: %d", len(got))
		}
		actions, err := st.AuditActions(ctx)
		if err != nil || strings.Join(actions, ",") != "login.failure,login.success,operator.create" {
			t.Fatalf("actions %v %v", actions, err)
		}
	})
}

func TestLoginFailureNeverStoresAPasswordTypedAsEmail(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		const typo = "my secret pass phrase"
		for i := 0; i < st.Options().MaxAccountFailures; i++ {
			if err := st.RecordLoginFailure(ctx, typo, "192.0.2.9"); err != nil {
				t.Fatal(err)
			}
		}
		var n int64
		st.DB.Model(&store.AuditEntry{}).Where("target LIKE ?", "%secret%").Count(&n)
		var m int64
		st.DB.Model(&store.LoginAttempt{}).Where("email LIKE ?", "%secret%").Count(&m)
		if n+m != 0 {
			t.Fatalf("the typed text was stored: %d audit, %d attempts", n, m)
		}
		// It is still counted.
		if b, _ := st.LoginThrottled(ctx, typo, "192.0.2.9"); b == nil || !b.Account {
			t.Fatalf("not throttled: %+v", b)
		}
	})
}

// TestParallelGuessesShareOneBudget: a burst of tries at once gets no more
// than the account's budget past the check.
func TestParallelGuessesShareOneBudget(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		var wg sync.WaitGroup
		var mu sync.Mutex
		allowed := 0
		for i := 0; i < 40; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				b, err := st.StartLoginAttempt(ctx, "burst@example.com", "198.51.100.77")
				if err != nil {
					t.Error(err)
					return
				}
				if b == nil {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		if allowed < 1 || allowed > st.Options().MaxAccountFailures {
			t.Fatalf("%d of 40 parallel tries allowed, budget %d", allowed, st.Options().MaxAccountFailures)
		}
		// A proven password clears the account's tries.
		if err := st.ClearLoginFailures(ctx, "burst@example.com"); err != nil {
			t.Fatal(err)
		}
		if b, _ := st.StartLoginAttempt(ctx, "burst@example.com", "198.51.100.78"); b != nil {
			t.Fatalf("still blocked after clearing: %+v", b)
		}
	})
}

// TestReopenAndFlagAtOnce: overturning a decision while an engine flags the
// same lead never fails with a deadlock or a duplicate, and leaves one open
// review.
func TestReopenAndFlagAtOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		lead := store.Actor{Type: store.ActorOperator, ID: 1, Name: "lead"}
		for round := 0; round < 15; round++ {
			rv := storetest.FlaggedLead(t, st, "reopen-race-"+strconv.Itoa(round), store.TypeMessage)
			if _, err := st.Decide(ctx, store.DecideInput{ReviewID: rv.ID, Outcome: store.OutcomeApprove, Actor: lead}); err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			var reopenErr, flagErr error
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, reopenErr = st.Reopen(ctx, rv.ID, lead, "")
			}()
			go func() {
				defer wg.Done()
				_, flagErr = st.Flag(ctx, rv.LeadID, store.FlagInput{ReviewType: store.TypePricing, Reason: "race", Source: store.SourceAPI}, store.SystemActor)
			}()
			wg.Wait()
			var ce *store.ConflictError
			if reopenErr != nil && !errors.As(reopenErr, &ce) {
				t.Fatalf("round %d: reopen: %v", round, reopenErr)
			}
			if flagErr != nil {
				t.Fatalf("round %d: flag: %v", round, flagErr)
			}
			var open int64
			st.DB.Model(&store.Review{}).Where("lead_id = ? AND status = ?", rv.LeadID, store.StatusPending).Count(&open)
			if open != 1 {
				t.Fatalf("round %d: %d open reviews", round, open)
			}
		}
	})
}
