package web_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web/webtest"
)

// TestLoginLockoutCannotBeBypassedByLookalikeEmails is the regression test
// for issue 15 finding 2: after five failures locked op@x.io, "op\x01@x.io"
// with the right password signed in on MariaDB (utf8mb4_unicode_ci matched
// it to op@x.io while the lockout counted it apart).
func TestLoginLockoutCannotBeBypassedByLookalikeEmails(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			op := storetest.Operator(t, env.Store, "op@x.io", store.RoleOperator)
			right := storetest.Password(store.RoleOperator)
			c := env.NewClient(t)
			c.Get("/login")
			for i := 0; i < env.Store.Options().MaxAccountFailures; i++ {
				if r := c.PostForm("/login", webtest.Form("email", op.Email, "password", "wrong-guess")); r.Status != http.StatusUnauthorized {
					t.Fatalf("failure %d: %d", i, r.Status)
				}
			}
			// Lookalikes name no account: refused, never signed in.
			for _, v := range []string{"op\x01@x.io", "op\x00@x.io", "op\u200b@x.io", "\uff4f\uff50@x.io", "op@x.io\u200d", "\u00f6p@x.io"} {
				if r := c.PostForm("/login", webtest.Form("email", v, "password", right)); r.Status != http.StatusUnauthorized {
					t.Errorf("%q with the right password: %d", v, r.Status)
				}
			}
			// Other spellings of the same account are the same account: locked.
			for _, v := range []string{"OP@X.IO", "  op@x.io\t"} {
				if r := c.PostForm("/login", webtest.Form("email", v, "password", right)); r.Status != http.StatusTooManyRequests {
					t.Errorf("%q with the right password: %d", v, r.Status)
				}
			}
			if r := c.Get("/dashboard/review-queue"); r.Status != http.StatusSeeOther {
				t.Fatalf("signed in after all: %d", r.Status)
			}
		})
	}
}

// TestEmptyEmailLoginIsThrottled is the regression test for issue 15
// finding 3: empty emails were never counted (40 tries, no 429) yet each
// cost a password hash.
func TestEmptyEmailLoginIsThrottled(t *testing.T) {
	st := storetest.OpenWith(t, store.SQLite, store.Options{MaxAddressFailures: 8})
	env := webtest.StartBehindProxy(t, st)
	c := env.NewClient(t)
	c.Get("/login")
	var got []int
	for i := 0; i < 10; i++ {
		// Different passwords, and both kinds of empty.
		email := []string{"", "   "}[i%2]
		got = append(got, c.PostFormFrom("198.51.100.40", "/login", webtest.Form("email", email, "password", "guess-"+strconv.Itoa(i))).Status)
	}
	if got[0] != http.StatusUnauthorized || got[len(got)-1] != http.StatusTooManyRequests {
		t.Fatalf("statuses of 10 empty-email tries from one address: %v", got)
	}
	var counted int64
	st.DB.Model(&store.LoginAttempt{}).Where("ip = ?", "198.51.100.40").Count(&counted)
	if counted == 0 {
		t.Fatal("empty-email tries were not counted against the address")
	}
	// Another address is not affected.
	if r := c.PostFormFrom("198.51.100.41", "/login", webtest.Form("email", "", "password", "x")); r.Status != http.StatusUnauthorized {
		t.Fatalf("another address: %d", r.Status)
	}
}

// TestStrangerCannotLockAColleagueOut is the regression test for issue 15
// finding 5: five wrong guesses from anywhere locked the account for
// everyone for 15 minutes.
func TestStrangerCannotLockAColleagueOut(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.StartBehindProxy(t, storetest.Open(t, d))
			op := storetest.Operator(t, env.Store, "colleague@x.io", store.RoleOperator)
			right := storetest.Password(store.RoleOperator)
			stranger := env.NewClient(t)
			stranger.Get("/login")
			for i := 0; i < env.Store.Options().MaxAccountFailures; i++ {
				if r := stranger.PostFormFrom("203.0.113.66", "/login", webtest.Form("email", op.Email, "password", "guess-"+strconv.Itoa(i))); r.Status != http.StatusUnauthorized {
					t.Fatalf("guess %d: %d", i, r.Status)
				}
			}
			// The stranger's address is locked out of the account, even with the right password.
			r := stranger.PostFormFrom("203.0.113.66", "/login", webtest.Form("email", op.Email, "password", right))
			if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "Too many failed sign-ins for this account") {
				t.Fatalf("guesser's address after %d failures: %d", env.Store.Options().MaxAccountFailures, r.Status)
			}
			// The colleague, from an address that has not failed, signs in.
			colleague := env.NewClient(t)
			colleague.Get("/login")
			if r := colleague.PostFormFrom("198.51.100.20", "/login", webtest.Form("email", op.Email, "password", right)); r.Status != http.StatusSeeOther {
				t.Fatalf("the colleague's right password from a clean address: %d", r.Status)
			}
			// A third address that guesses on the attacked account is slowed
			// down: one try, then a wait of seconds, not minutes.
			third := env.NewClient(t)
			third.Get("/login")
			if r := third.PostFormFrom("192.0.2.30", "/login", webtest.Form("email", op.Email, "password", "another-guess")); r.Status != http.StatusUnauthorized {
				t.Fatalf("third address, first guess: %d", r.Status)
			}
			r = third.PostFormFrom("192.0.2.30", "/login", webtest.Form("email", op.Email, "password", "yet-another"))
			wait, _ := strconv.Atoi(r.Header.Get("Retry-After"))
			if r.Status != http.StatusTooManyRequests || wait < 1 || wait > int(env.Store.Options().LoginSlowdown.Seconds()) || !strings.Contains(r.Body, "seconds") {
				t.Fatalf("third address, second guess at once: %d, Retry-After %q", r.Status, r.Header.Get("Retry-After"))
			}
		})
	}
}
