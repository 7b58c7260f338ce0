package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/chromedp"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web"
	"reviewq/web/webtest"
)

const wantCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"

func checkSecurityHeaders(t *testing.T, what string, h http.Header) {
	t.Helper()
	for k, want := range map[string]string{
		"Content-Security-Policy": wantCSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin",
		"X-Frame-Options": "DENY",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %s = %q, want %q", what, k, got, want)
		}
	}
}

// newServer builds a server with a config of the test's own (webtest uses
// a fixed one).
func newServer(t *testing.T, st *store.Store, cfg web.Config) *web.Server {
	t.Helper()
	cfg.SessionSecret = webtest.Secret
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := web.New(st, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

func TestSecurityHeadersOnEveryKindOfResponse(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	op, _ := env.LoggedIn(t, store.RoleOperator)
	anon := env.NewClient(t)
	login := anon.Get("/login")
	css := regexp.MustCompile(`/static/[^"]+\.css`).FindString(login.Body)
	big := strings.NewReader("email=" + strings.Repeat("a", 2<<20))
	bigReq, _ := http.NewRequest(http.MethodPost, env.URL+"/login", big)
	bigReq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	bigResp, err := http.DefaultClient.Do(bigReq)
	if err != nil {
		t.Fatal(err)
	}
	bigResp.Body.Close()
	if bigResp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Errorf("2 MiB login body: %d, want 413", bigResp.StatusCode)
	}
	checkSecurityHeaders(t, "413", bigResp.Header)

	cases := map[string]*webtest.Response{
		"page":            login,
		"redirect":        anon.Get("/dashboard/review-queue"),
		"404 page":        anon.Get("/no/such/page"),
		"403 page":        op.Get("/admin/operators"),
		"405":             anon.JSON(http.MethodDelete, "/login", "", nil),
		"static file":     anon.Get(css),
		"missing static":  anon.Get("/static/0/nothing.js"),
		"api 401":         anon.JSON(http.MethodGet, "/api/v1/review-queue/stats", "", nil),
		"api 404":         anon.JSON(http.MethodGet, "/api/v1/leads/1", env.Token(t, store.ScopeQueueRead), nil),
		"api 200":         anon.JSON(http.MethodGet, "/api/v1/review-queue/reason-codes", env.Token(t, store.ScopeQueueRead), nil),
		"htmx error":      op.HTMX(http.MethodPost, "/dashboard/review-queue/999999/approve", url.Values{}),
		"probe":           anon.Get("/healthz"),
		"csrf refusal":    env.NewClient(t).PostForm("/login", webtest.Form("email", "a@b.c")),
		"login throttled": nil,
	}
	delete(cases, "login throttled")
	wantStatus := map[string]int{"page": 200, "redirect": 303, "404 page": 404, "403 page": 403, "405": 405, "static file": 200,
		"missing static": 404, "api 401": 401, "api 404": 404, "api 200": 200, "htmx error": 404, "probe": 200, "csrf refusal": 403}
	for what, r := range cases {
		if r.Status != wantStatus[what] {
			t.Errorf("%s: status %d, want %d", what, r.Status, wantStatus[what])
		}
		checkSecurityHeaders(t, what, r.Header)
		if r.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain http", what)
		}
		// Error answers never show internals.
		for _, leak := range []string{"goroutine", ".go:", "SQL", "sqlite", "mysql", "gorm"} {
			if r.Status >= 400 && strings.Contains(r.Body, leak) {
				t.Errorf("%s: body shows %q", what, leak)
			}
		}
	}

	// Over TLS the answer carries HSTS.
	srv := newServer(t, env.Store, web.Config{SecureCookies: true})
	ts := httptest.NewTLSServer(srv.Echo)
	defer ts.Close()
	for _, p := range []string{"/login", "/no/such/page", "/healthz"} {
		resp, err := ts.Client().Get(ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if !strings.HasPrefix(resp.Header.Get("Strict-Transport-Security"), "max-age=") {
			t.Errorf("TLS %s: no HSTS", p)
		}
		checkSecurityHeaders(t, "TLS "+p, resp.Header)
	}
}

func TestRequestBodyLimits(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	tok := env.Token(t, store.ScopeLeadsWrite)
	c := env.NewClient(t)
	huge := `{"external_id":"x","name":"` + strings.Repeat("a", 2<<20) + `"}`
	r := c.JSON(http.MethodPost, "/api/v1/leads", tok, huge)
	if r.Status != http.StatusRequestEntityTooLarge || !strings.Contains(r.Body, `"code":"body_too_large"`) {
		t.Fatalf("2 MiB JSON: %d %.200s", r.Status, r.Body)
	}
	// Without a Content-Length (chunked) the limit holds while reading.
	req, _ := http.NewRequest(http.MethodPost, env.URL+"/api/v1/leads", io.MultiReader(strings.NewReader(huge)))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("chunked 2 MiB JSON: %d", resp.StatusCode)
	}
	var n int64
	env.Store.DB.Model(&store.Lead{}).Count(&n)
	if n != 0 {
		t.Fatalf("a refused body created %d leads", n)
	}
}

func TestCSRFProtection(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	c, _ := env.LoggedIn(t, store.RoleAdmin)
	other, _ := env.LoggedIn(t, store.RoleAdmin)
	create := func(csrf string, hdr map[string]string) int {
		v := webtest.Form("name", "Eve", "email", "eve"+store.RandomToken(3)+"@example.com", "role", "admin", "mode", "link", "csrf", csrf)
		req, _ := http.NewRequest(http.MethodPost, env.URL+"/admin/operators", strings.NewReader(v.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, val := range hdr {
			req.Header.Set(k, val)
		}
		resp, err := c.HTTP.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := create("", nil); s != http.StatusForbidden {
		t.Errorf("no token: %d", s)
	}
	if s := create("forged", nil); s != http.StatusForbidden {
		t.Errorf("forged token: %d", s)
	}
	if s := create(other.CSRF, nil); s != http.StatusForbidden {
		t.Errorf("another session's token: %d", s)
	}
	if s := create(c.CSRF, map[string]string{"Origin": "https://evil.example"}); s != http.StatusForbidden {
		t.Errorf("cross-origin with a valid token: %d", s)
	}
	if s := create(c.CSRF, map[string]string{"Sec-Fetch-Site": "cross-site"}); s != http.StatusForbidden {
		t.Errorf("cross-site fetch with a valid token: %d", s)
	}
	// Sec-Fetch-Site: same-origin does not replace the token (echo's CSRF
	// middleware skips the check for it; ours does not).
	if s := create("", map[string]string{"Sec-Fetch-Site": "same-origin"}); s != http.StatusForbidden {
		t.Errorf("same-origin without a token: %d", s)
	}
	n, _ := env.Store.CountOperators(context.Background())
	if n != 2 {
		t.Fatalf("forged requests created accounts: %d", n)
	}
	if s := create(c.CSRF, nil); s != http.StatusCreated {
		t.Errorf("genuine form: %d", s)
	}
	// The session-authenticated API needs the header too; a Bearer token does not.
	api := env.NewClient(t)
	api.HTTP.Jar = c.HTTP.Jar
	if r := api.JSON(http.MethodPost, "/api/v1/leads", "", `{"external_id":"csrf-1"}`); r.Status != http.StatusForbidden {
		t.Errorf("session API call without the CSRF header: %d", r.Status)
	}
	if r := c.JSON(http.MethodPost, "/api/v1/leads", "", `{"external_id":"csrf-2"}`); r.Status != http.StatusCreated {
		t.Errorf("session API call with the CSRF header: %d %s", r.Status, r.Body)
	}
	if r := env.NewClient(t).JSON(http.MethodPost, "/api/v1/leads", env.Token(t, store.ScopeLeadsWrite), `{"external_id":"csrf-3"}`); r.Status != http.StatusCreated {
		t.Errorf("bearer API call: %d", r.Status)
	}
}

func sessionCookie(t *testing.T, env *webtest.Env, c *webtest.Client) *http.Cookie {
	t.Helper()
	for _, ck := range c.HTTP.Jar.Cookies(mustURL(t, env.URL)) {
		if ck.Name == "reviewq_session" {
			return ck
		}
	}
	return nil
}

func TestSessionFixation(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			victim := storetest.Operator(t, env.Store, "victim@example.com", store.RoleAdmin)

			// The attacker gets a pre-login cookie and plants it in the victim's browser.
			attacker := env.NewClient(t)
			attacker.Get("/login")
			planted := sessionCookie(t, env, attacker)
			csrfBefore := attacker.CSRF
			browser := env.NewClient(t)
			browser.HTTP.Jar.SetCookies(mustURL(t, env.URL), []*http.Cookie{planted})
			browser.Login(victim.Email, storetest.Password("admin"))
			after := sessionCookie(t, env, browser)
			if after.Value == planted.Value {
				t.Fatal("the session cookie did not change at login")
			}
			if browser.CSRF == csrfBefore {
				t.Fatal("the CSRF token did not change at login")
			}
			if r := attacker.Get("/admin/operators"); r.Status != http.StatusSeeOther {
				t.Fatalf("the planted cookie is logged in: %d", r.Status)
			}

			// An attacker logged in as themselves plants their session: when
			// the victim logs in, the attacker's session is ended, not shared.
			mallory := storetest.Operator(t, env.Store, "mallory@example.com", store.RoleOperator)
			attacker.Login(mallory.Email, storetest.Password("operator"))
			planted = sessionCookie(t, env, attacker)
			browser2 := env.NewClient(t)
			browser2.HTTP.Jar.SetCookies(mustURL(t, env.URL), []*http.Cookie{planted})
			// The page the victim sees carries the planted session's token.
			browser2.CSRF = attacker.CSRF
			if r := browser2.PostForm("/login", webtest.Form("email", victim.Email, "password", storetest.Password("admin"))); r.Status != http.StatusSeeOther {
				t.Fatalf("victim's login: %d", r.Status)
			}
			browser2.Get("/dashboard/review-queue")
			if r := browser2.Get("/admin/operators"); r.Status != http.StatusOK {
				t.Fatalf("victim after login: %d", r.Status)
			}
			if r := attacker.Get("/dashboard/review-queue"); r.Status != http.StatusSeeOther {
				t.Fatalf("the attacker's planted session survived the victim's login: %d", r.Status)
			}
		})
	}
}

func TestLoginThrottling(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			op := storetest.Operator(t, env.Store, "target@example.com", store.RoleOperator)
			c := env.NewClient(t)
			c.Get("/login")
			for i := 0; i < env.Store.Options().MaxAccountFailures; i++ {
				if r := c.PostForm("/login", webtest.Form("email", op.Email, "password", "wrong-guess")); r.Status != http.StatusUnauthorized {
					t.Fatalf("failure %d: %d", i, r.Status)
				}
			}
			// Now even the right password is refused, with a clear message.
			r := c.PostForm("/login", webtest.Form("email", op.Email, "password", storetest.Password("operator")))
			if r.Status != http.StatusTooManyRequests || !strings.Contains(r.Body, "Too many failed sign-ins for this account. Try again in 15 minutes.") ||
				r.Header.Get("Retry-After") == "" {
				t.Fatalf("throttled login: %d %q", r.Status, r.Header.Get("Retry-After"))
			}
			// A second instance sees the same count: the state is in the database.
			env2 := webtest.StartStore(t, env.Store)
			c2 := env2.NewClient(t)
			c2.Get("/login")
			if r := c2.PostForm("/login", webtest.Form("email", op.Email, "password", storetest.Password("operator"))); r.Status != http.StatusTooManyRequests {
				t.Fatalf("other instance: %d", r.Status)
			}
			// Others from the same address still get in.
			other := storetest.Operator(t, env.Store, "colleague@example.com", store.RoleOperator)
			c.Login(other.Email, storetest.Password("operator"))
		})
	}
}

func TestLoginThrottlingByAddress(t *testing.T) {
	st := storetest.OpenWith(t, store.SQLite, store.Options{MaxAddressFailures: 3})

	spray := func(t *testing.T, base string, xff func(i int) string) []int {
		var statuses []int
		for i := 0; i < 5; i++ {
			c := (&webtest.Env{URL: base, Store: st}).NewClient(t)
			c.Get("/login")
			v := webtest.Form("email", "user"+store.RandomToken(4)+"@example.com", "password", "wrong-guess", "csrf", c.CSRF)
			req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(v.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-For", xff(i))
			resp, err := c.HTTP.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			statuses = append(statuses, resp.StatusCode)
		}
		return statuses
	}
	// No trusted proxy: a forged X-Forwarded-For does not give new addresses.
	direct := httptest.NewServer(newServer(t, st, web.Config{}).Echo)
	defer direct.Close()
	got := spray(t, direct.URL, func(i int) string { return "203.0.113." + string(rune('1'+i)) })
	if got[3] != http.StatusTooManyRequests || got[4] != http.StatusTooManyRequests {
		t.Fatalf("spoofed X-Forwarded-For escaped the address limit: %v", got)
	}
	if err := st.DB.Where("1 = 1").Delete(&store.LoginAttempt{}).Error; err != nil {
		t.Fatal(err)
	}
	// Behind a trusted proxy its X-Forwarded-For is the client address.
	_, loopback, _ := net.ParseCIDR("127.0.0.0/8")
	proxied := httptest.NewServer(newServer(t, st, web.Config{TrustedProxies: []*net.IPNet{loopback}}).Echo)
	defer proxied.Close()
	got = spray(t, proxied.URL, func(i int) string { return "198.51.100.7" })
	if got[2] != http.StatusUnauthorized || got[3] != http.StatusTooManyRequests {
		t.Fatalf("one client behind the proxy: %v", got)
	}
	got = spray(t, proxied.URL, func(i int) string { return "198.51.100." + string(rune('1'+i)) })
	for _, s := range got {
		if s != http.StatusUnauthorized {
			t.Fatalf("distinct clients behind the proxy were throttled together: %v", got)
		}
	}
}

// xssPayload is markup a hostile engine or user could put in any text field.
const xssPayload = `<script>alert("xss")</script><img src=x onerror=alert(1)>"'&`

// rawMarkup finds the payload's markup unescaped.
var rawMarkup = regexp.MustCompile(`<script>alert|<img src=x`)

// getRoutes lists the router's GET routes with their parameters filled.
func getRoutes(env *webtest.Env, fill map[string]string) []string {
	var out []string
	seen := map[string]bool{}
	for _, rt := range env.Server.Echo.Routes() {
		if rt.Method != http.MethodGet || strings.HasPrefix(rt.Path, "/static/") || rt.Path == "/favicon.ico" || seen[rt.Path] { // assets, not pages
			continue
		}
		seen[rt.Path] = true
		p := rt.Path
		for k, v := range fill {
			p = strings.ReplaceAll(p, k, v)
		}
		out = append(out, p)
	}
	return out
}

func TestMarkupInDataIsEscapedEverywhere(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			engine := env.NewClient(t)
			tok := env.Token(t, store.ScopeLeadsWrite, store.ScopeQueueRead, store.ScopeQueueWrite, store.ScopeOutreachRead)
			lead := map[string]any{"external_id": "xss-1", "name": xssPayload, "email": "x@example.com", "company": xssPayload,
				"industry": xssPayload, "campaign": xssPayload, "score": 50, "last_reply_snippet": xssPayload,
				"message": map[string]string{"subject": xssPayload, "body": xssPayload}, "tags": []string{"t<b>x</b>"}}
			r := engine.JSON(http.MethodPost, "/api/v1/leads", tok, lead)
			if r.Status != http.StatusCreated {
				t.Fatalf("create lead: %d %s", r.Status, r.Body)
			}
			var created struct {
				ID int64 `json:"id"`
			}
			webtest.DecodeJSON(t, r, &created)
			leadID := strconv.FormatInt(created.ID, 10)
			r = engine.JSON(http.MethodPost, "/api/v1/leads/"+leadID+"/flag", tok, map[string]string{"review_type": "MESSAGE", "reason": xssPayload, "source": "api"})
			if r.Status != http.StatusCreated {
				t.Fatalf("flag: %d %s", r.Status, r.Body)
			}
			var flagged struct {
				Task struct {
					ID int64 `json:"id"`
				} `json:"task"`
				ID int64 `json:"id"`
			}
			webtest.DecodeJSON(t, r, &flagged)
			reviewID := flagged.Task.ID
			if reviewID == 0 {
				reviewID = flagged.ID
			}
			// An account whose name is markup shows up on the admin pages and in the audit log.
			hostile, err := env.Store.CreateOperator(context.Background(), store.SystemActor, "", store.NewOperator{
				Email: "hostile@example.com", Name: xssPayload, Role: store.RoleOperator, Password: storetest.Password("operator")})
			if err != nil {
				t.Fatal(err)
			}
			env.NewClient(t).Login(hostile.Email, storetest.Password("operator"))

			admin, _ := env.LoggedIn(t, store.RoleAdmin)
			admin.HTMX(http.MethodPost, "/dashboard/review-queue/"+strconv.FormatInt(reviewID, 10)+"/notes", webtest.Form("note", xssPayload, "notes", xssPayload))
			fill := map[string]string{":token": "x", ":key": "queue.enabled"}
			pages := getRoutes(env, fill)
			pages = append(pages, "/admin/operators/"+strconv.FormatInt(hostile.ID, 10), "/admin/audit?actor="+url.QueryEscape(xssPayload))
			checked := 0
			for _, p := range pages {
				for _, htmx := range []bool{false, true} {
					u := strings.ReplaceAll(p, ":id", strconv.FormatInt(reviewID, 10))
					if strings.HasPrefix(p, "/api/v1/leads/") {
						u = strings.ReplaceAll(p, ":id", leadID)
					}
					var resp *webtest.Response
					switch {
					case strings.HasPrefix(u, "/api/"):
						resp = engine.JSON(http.MethodGet, u, tok, nil)
					case htmx:
						resp = admin.HTMX(http.MethodGet, u, nil)
					default:
						resp = admin.Get(u)
					}
					if resp.Status >= 500 {
						t.Errorf("%s: %d", u, resp.Status)
					}
					if rawMarkup.MatchString(resp.Body) {
						t.Errorf("%s (htmx %v, %s): markup from the data is not escaped", u, htmx, resp.Header.Get("Content-Type"))
					}
					if strings.Contains(resp.Body, "onerror=alert") && strings.Contains(resp.Header.Get("Content-Type"), "html") &&
						!strings.Contains(resp.Body, "&lt;img src=x onerror=alert(1)&gt;") {
						t.Errorf("%s: the payload appears in an unexpected form", u)
					}
					if strings.Contains(resp.Body, "onerror=alert") {
						checked++
					}
				}
			}
			t.Logf("review %d lead %s: payload shown escaped on %d responses", reviewID, leadID, checked)
			// The payload really was shown (escaped) somewhere, or the test proves nothing.
			if checked < 4 {
				t.Fatalf("the payload was shown on only %d responses", checked)
			}
		})
	}
}

// sqlPayloads are classic injection strings; every filter must treat them
// as plain values.
var sqlPayloads = []string{
	`' OR '1'='1`, `1' OR 1=1 -- `, `"; DROP TABLE leads; --`, `1); DELETE FROM operators; --`,
	`%' UNION SELECT password_hash FROM operators -- `, `\' OR 1=1 #`, `1 AND SLEEP(2)`, `_%`, "\x00",
}

var filterParams = []string{"q", "search", "type", "review_type", "campaign", "source", "status", "cursor", "action", "actor",
	"from", "to", "before", "after", "limit", "sort", "order", "days", "claimed", "sla", "age", "reason", "operator"}

func TestInjectionStringsInEveryFilter(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			storetest.FlaggedLead(t, env.Store, "sqli-1", store.TypeMessage)
			admin, _ := env.LoggedIn(t, store.RoleAdmin)
			tok := env.Token(t, store.ScopeLeadsWrite, store.ScopeQueueRead, store.ScopeQueueWrite, store.ScopeOutreachRead)
			engine := env.NewClient(t)
			counts := func() [3]int64 {
				var c [3]int64
				for i, m := range []any{&store.Operator{}, &store.Lead{}, &store.Review{}} {
					if err := env.Store.DB.Model(m).Count(&c[i]).Error; err != nil {
						t.Fatalf("count: %v", err)
					}
				}
				return c
			}
			before := counts()
			for _, p := range getRoutes(env, map[string]string{":token": "x", ":key": "queue.enabled", ":id": "1"}) {
				for _, payload := range sqlPayloads {
					v := url.Values{}
					for _, k := range filterParams {
						v.Set(k, payload)
					}
					u := p + "?" + v.Encode()
					var r *webtest.Response
					if strings.HasPrefix(p, "/api/") {
						r = engine.JSON(http.MethodGet, u, tok, nil)
					} else {
						r = admin.Get(u)
					}
					if r.Status >= 500 {
						t.Errorf("%s with %q: status %d", p, payload, r.Status)
					}
					for _, leak := range []string{"SQL", "syntax", "$argon2id$", "sqlite", "MariaDB"} {
						if strings.Contains(r.Body, leak) {
							t.Errorf("%s with %q: the answer shows %q", p, payload, leak)
						}
					}
				}
			}
			if after := counts(); after != before {
				t.Fatalf("rows changed: %v -> %v", before, after)
			}
			// Stored as typed, found as typed.
			ext := `x' OR '1'='1`
			if r := engine.JSON(http.MethodPost, "/api/v1/leads", tok, map[string]any{"external_id": ext, "name": `Robert'); DROP TABLE leads;--`}); r.Status != http.StatusCreated {
				t.Fatalf("lead with quotes: %d %s", r.Status, r.Body)
			}
			var lead store.Lead
			if err := env.Store.DB.Where("external_id = ?", ext).Take(&lead).Error; err != nil || lead.Name != `Robert'); DROP TABLE leads;--` {
				t.Fatalf("lead stored as %+v (%v)", lead, err)
			}
		})
	}
}

// fuzzEnv is a server and an admin's session cookie; fuzz inputs go
// through the real router and middleware (ServeHTTP), without sockets.
func fuzzEnv(f *testing.F) (*webtest.Env, *http.Cookie) {
	env := webtest.Start(f, store.SQLite)
	storetest.FlaggedLead(f, env.Store, "fuzz-1", store.TypePricing)
	c, _ := env.LoggedIn(f, store.RoleAdmin)
	u, _ := url.Parse(env.URL)
	for _, ck := range c.HTTP.Jar.Cookies(u) {
		if ck.Name == "reviewq_session" {
			return env, ck
		}
	}
	f.Fatal("no session cookie")
	return nil, nil
}

func serve(env *webtest.Env, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	env.Server.Echo.ServeHTTP(rec, req)
	return rec
}

// FuzzFilterQueries sends arbitrary query strings to the pages and API
// lists that parse filters: the answer is the page or a clear 400, never a
// 5xx or a panic.
func FuzzFilterQueries(f *testing.F) {
	env, cookie := fuzzEnv(f)
	tok := env.Token(f, store.ScopeQueueRead)
	for _, seed := range []string{"", "type=MESSAGE", "type=nope", "cursor=abc", "cursor=%00", "action=login.*&actor=x&from=2026-01-01&to=2026-12-31",
		"before=-5", "after=9223372036854775808", "limit=100000", "review_type=PRICING&campaign=%27&source=api", "from=2026-13-45",
		"q=%25%27%22", "a=%zz", "type=MESSAGE&type=PRICING", strings.Repeat("x=y&", 200)} {
		f.Add(seed)
	}
	paths := []string{"/dashboard/review-queue", "/dashboard/review-queue/rows", "/admin/audit", "/admin/operators", "/api/v1/review-queue/tasks"}
	f.Fuzz(func(t *testing.T, rawQuery string) {
		for _, p := range paths {
			req := httptest.NewRequest(http.MethodGet, "/", nil)
			req.URL.Path, req.URL.RawQuery, req.RequestURI = p, rawQuery, p+"?"+rawQuery
			if strings.HasPrefix(p, "/api/") {
				req.Header.Set("Authorization", "Bearer "+tok)
			} else {
				req.AddCookie(cookie)
			}
			rec := serve(env, req)
			if rec.Code != http.StatusOK && rec.Code != http.StatusBadRequest {
				t.Fatalf("%s?%s: status %d: %.300s", p, rawQuery, rec.Code, rec.Body.String())
			}
		}
	})
}

// FuzzLoginForm posts arbitrary bodies to the login form (with an
// anonymous session's CSRF header, so the parser itself is reached): a
// refusal, never a 5xx, and never a login.
func FuzzLoginForm(f *testing.F) {
	env, _ := fuzzEnv(f)
	anon := env.NewClient(f)
	anon.Get("/login")
	var cookie *http.Cookie
	for _, ck := range anon.HTTP.Jar.Cookies(mustURLF(f, env.URL)) {
		if ck.Name == "reviewq_session" {
			cookie = ck
		}
	}
	if cookie == nil || anon.CSRF == "" {
		f.Fatal("no anonymous session to post the login form from")
	}
	for _, seed := range []string{"", "email=a@b.c&password=x", "email=%ff%fe&password=%00", "email[]=x", "email=a&email=b&next=//evil",
		"password=" + strings.Repeat("p", 2000), "%", "&&&==", "email=admin-x@example.com&password=password-admin"} {
		f.Add(seed, "application/x-www-form-urlencoded")
	}
	f.Add(`{"email":"a@b.c","password":"x"}`, "application/json")
	f.Add("--b\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\nx\r\n--b--\r\n", "multipart/form-data; boundary=b")
	f.Fuzz(func(t *testing.T, body, contentType string) {
		req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(body))
		req.Header.Set("Content-Type", contentType)
		req.Header.Set("X-CSRF-Token", anon.CSRF)
		req.AddCookie(cookie)
		rec := serve(env, req)
		switch rec.Code {
		case http.StatusBadRequest, http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusRequestEntityTooLarge, http.StatusUnsupportedMediaType:
		default:
			t.Fatalf("login with %q (%s): status %d", body, contentType, rec.Code)
		}
	})
}

// FuzzAccountForms posts arbitrary bodies to the admin's account forms: a
// clear 4xx (or the redirect of a change that was valid), never a 5xx.
func FuzzAccountForms(f *testing.F) {
	env, cookie := fuzzEnv(f)
	for _, seed := range []string{"", "role=admin", "role=%00", "mode=link", "mode=password&password=short", "session=all", "session=" + strings.Repeat("f", 64),
		"name=a&email=b&role=lead&mode=password&password=0123456789", "email=%ff@x", "name=" + strings.Repeat("n", 300)} {
		f.Add(seed)
	}
	c := env.NewClient(f)
	c.HTTP.Jar.SetCookies(mustURLF(f, env.URL), []*http.Cookie{cookie})
	c.Get("/admin/operators")
	token := c.CSRF
	var target string
	ops, _ := env.Store.ListOperators(context.Background(), 0, 10)
	for _, op := range ops {
		if op.Role == store.RoleOperator {
			target = strconv.FormatInt(op.ID, 10)
		}
	}
	if target == "" {
		op := storetest.Operator(f, env.Store, "fuzz-target@example.com", store.RoleOperator)
		target = strconv.FormatInt(op.ID, 10)
	}
	paths := []string{"/admin/operators", "/admin/operators/" + target + "/role", "/admin/operators/" + target + "/password",
		"/admin/operators/" + target + "/sessions/revoke", "/account/password"}
	f.Fuzz(func(t *testing.T, body string) {
		for _, p := range paths {
			req := httptest.NewRequest(http.MethodPost, p, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-CSRF-Token", token)
			req.AddCookie(cookie)
			rec := serve(env, req)
			if rec.Code >= 500 || rec.Code < 200 {
				t.Fatalf("%s with %q: status %d: %.300s", p, body, rec.Code, rec.Body.String())
			}
		}
	})
}

func mustURLF(f *testing.F, raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		f.Fatal(err)
	}
	return u
}

// TestNoCSPViolationsInTheBrowser opens every page in Chromium as an admin
// and fails on any report of the Content-Security-Policy (an inline style
// or script, an eval, a foreign origin).
func TestNoCSPViolationsInTheBrowser(t *testing.T) {
	ctx := webtest.Browser(t)
	env := webtest.Start(t, store.SQLite)
	rv := storetest.FlaggedLead(t, env.Store, "csp-1", store.TypeProposal)
	admin := storetest.Operator(t, env.Store, "csp-admin@example.com", store.RoleAdmin)

	var mu sync.Mutex
	var reports []string
	if err := chromedp.Listen(ctx, func(ev any) {
		if e, ok := ev.(*cdplog.EventEntryAdded); ok && e.Entry != nil &&
			(strings.Contains(e.Entry.Text, "Content Security Policy") || e.Entry.Source == cdplog.EntrySourceViolation) {
			mu.Lock()
			reports = append(reports, e.Entry.URL+": "+e.Entry.Text)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	webtest.BrowserLogin(t, ctx, env.URL, admin.Email, storetest.Password("admin"))
	fill := map[string]string{":id": strconv.FormatInt(rv.ID, 10), ":token": "x", ":key": "queue.enabled"}
	visited := 0
	for _, p := range getRoutes(env, fill) {
		if strings.HasPrefix(p, "/api/") || p == "/metrics" || strings.HasSuffix(p, ".csv") || p == "/logout" {
			continue
		}
		if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+p), chromedp.WaitReady("body"), chromedp.Sleep(300*time.Millisecond)); err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		visited++
	}
	// Pictures of the admin and account pages, to look at.
	for name, p := range map[string]string{"admin-operators": "/admin/operators", "admin-operator": "/admin/operators/" + strconv.FormatInt(admin.ID, 10),
		"admin-audit": "/admin/audit", "account-password": "/account/password"} {
		if err := chromedp.Do(ctx, chromedp.Navigate(env.URL+p), chromedp.WaitReady("body")); err != nil {
			t.Fatal(err)
		}
		webtest.Screenshot(t, ctx, name)
	}
	mu.Lock()
	found := append([]string(nil), reports...)
	mu.Unlock()
	if len(found) > 0 {
		t.Fatalf("CSP violations on %d pages visited:\n%s", visited, strings.Join(found, "\n"))
	}
	// The listener does hear a violation: an inline style added on purpose.
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`document.body.insertAdjacentHTML("beforeend", "<p style='color:red'>x</p>"), true`)); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if len(reports) == 0 {
		t.Fatal("a deliberate inline style was not reported: the check hears nothing")
	}
	t.Logf("%d pages, no CSP violation", visited)
}

func TestSessionIdleTimeoutAndLifetime(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			idle, op := env.LoggedIn(t, store.RoleOperator)
			old, _ := env.LoggedIn(t, store.RoleOperator)
			fresh := env.NewClient(t)
			fresh.Login(op.Email, storetest.Password("operator"))
			// One session unused for longer than the idle timeout...
			if err := env.Store.DB.Model(&store.Session{}).Where("operator_id = ?", op.ID).
				Where("created_at = (SELECT m FROM (SELECT MIN(created_at) AS m FROM sessions WHERE operator_id = ?) x)", op.ID).
				Update("last_seen_at", time.Now().UTC().Add(-env.Store.Options().SessionIdle-time.Minute)).Error; err != nil {
				t.Fatal(err)
			}
			if r := idle.Get("/dashboard/review-queue"); r.Status != http.StatusSeeOther {
				t.Fatalf("idle session: %d", r.Status)
			}
			if r := fresh.Get("/dashboard/review-queue"); r.Status != http.StatusOK {
				t.Fatalf("a recently used session of the same account ended: %d", r.Status)
			}
			// ...and one past its absolute lifetime, however busy.
			if err := env.Store.DB.Model(&store.Session{}).Where("operator_id <> ?", op.ID).
				Update("expires_at", time.Now().UTC().Add(-time.Second)).Error; err != nil {
				t.Fatal(err)
			}
			if r := old.Get("/dashboard/review-queue"); r.Status != http.StatusSeeOther {
				t.Fatalf("expired session: %d", r.Status)
			}
			var n int64
			env.Store.DB.Model(&store.Session{}).Count(&n)
			if n != 1 {
				t.Fatalf("%d sessions left, want only the live one", n)
			}
		})
	}
}

func TestLogsHoldNoSecrets(t *testing.T) {
	st := storetest.Open(t, store.SQLite)
	env, logs := webtest.StartLogging(t, st, true)
	admin := storetest.Operator(t, st, "admin@example.com", store.RoleAdmin)

	c := env.NewClient(t)
	c.Get("/login")
	c.PostForm("/login", webtest.Form("email", admin.Email, "password", "wrong-secret-password"))
	c.Login(admin.Email, storetest.Password("admin"))
	cookie := sessionCookie(t, env, c)
	r := c.PostForm("/admin/operators", webtest.Form("name", "Lin", "email", "lin@example.com", "role", "operator", "mode", "link"))
	link := setPasswordLink(t, r)
	secret := strings.TrimPrefix(link, "/set-password/")
	env.NewClient(t).Get(link)
	env.NewClient(t).PostForm(link, webtest.Form("new_password", "lins-own-password"))
	tok := env.Token(t, store.ScopeQueueRead)
	env.NewClient(t).JSON(http.MethodGet, "/api/v1/review-queue/stats", tok, nil)
	env.NewClient(t).JSON(http.MethodGet, "/api/v1/review-queue/stats", "rvq_not-a-real-token", nil)

	out := logs.String()
	if !strings.Contains(out, `"path":"/set-password/-"`) || !strings.Contains(out, `"path":"/login"`) {
		t.Fatalf("the access log is not there to check: %.500s", out)
	}
	for what, s := range map[string]string{"wrong password": "wrong-secret-password", "password": storetest.Password("admin"),
		"link secret": secret, "new password": "lins-own-password", "API token": tok, "bad token": "rvq_not-a-real-token",
		"session cookie": cookie.Value} {
		if i := strings.Index(out, s); i >= 0 {
			t.Errorf("the log holds the %s: %s", what, out[max(0, i-300):i+20])
		}
	}
}

// TestTemplatesStayInsideTheCSP reads every template: no inline script,
// style attribute, inline event handler or hx-on, which the CSP would
// block (or need 'unsafe-inline' for).
func TestTemplatesStayInsideTheCSP(t *testing.T) {
	files, err := filepath.Glob("../views/*.templ")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates found: %v", err)
	}
	banned := regexp.MustCompile(`(?i)\sstyle=|\shx-on|\son[a-z]+=|<script(\s[^>]*)?>[^<\s]|<script>|javascript:|<style`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := banned.FindString(line); m != "" {
				t.Errorf("%s:%d: %q is blocked by the Content-Security-Policy: use static/app.css or static/app.js", f, i+1, strings.TrimSpace(m))
			}
		}
	}
}

func TestHTMXConfiguredDefensively(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	r := env.NewClient(t).Get("/login")
	m := regexp.MustCompile(`<meta name="htmx-config" content="([^"]+)"`).FindStringSubmatch(r.Body)
	if m == nil {
		t.Fatal("no htmx-config meta tag")
	}
	var cfg struct {
		SelfRequestsOnly       *bool    `json:"selfRequestsOnly"`
		AllowEval              *bool    `json:"allowEval"`
		AllowScriptTags        *bool    `json:"allowScriptTags"`
		IncludeIndicatorStyles *bool    `json:"includeIndicatorStyles"`
		AttributesToSettle     []string `json:"attributesToSettle"`
		ResponseHandling       []struct {
			Code  string `json:"code"`
			Swap  bool   `json:"swap"`
			Error bool   `json:"error"`
		} `json:"responseHandling"`
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(m[1])), &cfg); err != nil {
		t.Fatal(err)
	}
	if cfg.SelfRequestsOnly == nil || !*cfg.SelfRequestsOnly || cfg.AllowEval == nil || *cfg.AllowEval ||
		cfg.AllowScriptTags == nil || *cfg.AllowScriptTags || cfg.IncludeIndicatorStyles == nil || *cfg.IncludeIndicatorStyles {
		t.Fatalf("htmx config: %s", m[1])
	}
	// Settling "style" writes an inline style the CSP refuses.
	if cfg.AttributesToSettle == nil || slices.Contains(cfg.AttributesToSettle, "style") {
		t.Fatalf("attributesToSettle must be set, without style: %s", m[1])
	}
	swapsErrors := false
	for _, h := range cfg.ResponseHandling {
		if h.Code == "[45].." && h.Swap && h.Error {
			swapsErrors = true
		}
	}
	if !swapsErrors {
		t.Fatalf("error responses are not swapped deliberately: %s", m[1])
	}
}

// TestSlowClientsAreCut: a client that sends its headers slower than the
// read-header timeout (slowloris) loses the connection.
func TestSlowClientsAreCut(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	hs := env.Server.HTTPServer("127.0.0.1:0")
	if hs.ReadHeaderTimeout <= 0 || hs.ReadTimeout <= 0 || hs.WriteTimeout <= 0 || hs.IdleTimeout <= 0 || hs.MaxHeaderBytes <= 0 {
		t.Fatalf("server timeouts not all set: %+v", hs)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	if _, err := conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(hs.ReadHeaderTimeout + 10*time.Second))
	buf := make([]byte, 512)
	n, err := conn.Read(buf)
	took := time.Since(start)
	if took > hs.ReadHeaderTimeout+5*time.Second {
		t.Fatalf("the slow client was kept %s", took)
	}
	if err == nil && !strings.Contains(string(buf[:n]), "408") && !strings.Contains(string(buf[:n]), "400") {
		t.Fatalf("the slow client got an answer: %q", buf[:n])
	}
}

// TestLoginRedirectStaysOnSite: the post-login "next" cannot send a user
// to another site.
func TestLoginRedirectStaysOnSite(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	op := storetest.Operator(t, env.Store, "nav@example.com", store.RoleOperator)
	for _, next := range []string{"//evil.example/x", "https://evil.example", `/\evil.example`, "/\r\nLocation: https://evil.example", "javascript:alert(1)",
		"/\t/evil.example", "/%09/evil.example", "/%2F/evil.example", "/%5Cevil.example", "/x\x7f", "http:/evil.example"} {
		c := env.NewClient(t)
		c.Get("/login?next=" + url.QueryEscape(next))
		r := c.PostForm("/login", webtest.Form("email", op.Email, "password", storetest.Password("operator"), "next", next))
		if loc := r.Header.Get("Location"); r.Status != http.StatusSeeOther || loc != "/dashboard/review-queue" {
			t.Errorf("next=%q: %d Location %q, want the queue", next, r.Status, loc)
		}
	}
	// A path on this site, with its query, is kept.
	c := env.NewClient(t)
	keep := "/dashboard/review-queue/7?type=pricing&q=ann"
	c.Get("/login?next=" + url.QueryEscape(keep))
	r := c.PostForm("/login", webtest.Form("email", op.Email, "password", storetest.Password("operator"), "next", keep))
	if loc := r.Header.Get("Location"); loc != keep {
		t.Errorf("next=%q: Location %q", keep, loc)
	}
}

// TestLoginNextRefusesATabbedHost is the regression test for
// /login?next=/%09/evil.example: browsers drop the tab, which would leave
// //evil.example, another site.
func TestLoginNextRefusesATabbedHost(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	op := storetest.Operator(t, env.Store, "tab@example.com", store.RoleOperator)
	c := env.NewClient(t)
	page := c.Get("/login?next=/%09/evil.example")
	if page.Status != http.StatusOK || strings.Contains(page.Body, "evil.example") || !strings.Contains(page.Body, `name="next" value="/dashboard/review-queue"`) {
		t.Fatalf("login page kept the next: %d %s", page.Status, page.Body)
	}
	r := c.PostForm("/login", webtest.Form("email", op.Email, "password", storetest.Password("operator"), "next", "/\t/evil.example"))
	if loc := r.Header.Get("Location"); loc != "/dashboard/review-queue" {
		t.Fatalf("after login: Location %q", loc)
	}
	// Signed in, /login?next= redirects at once: still not off site.
	if r := c.Get("/login?next=/%09/evil.example"); r.Header.Get("Location") != "/dashboard/review-queue" {
		t.Fatalf("signed in: Location %q", r.Header.Get("Location"))
	}
}

// TestHTMXRequestWithoutSessionLoadsTheLoginPage: an htmx request whose
// session has ended gets no redirect for the XMLHttpRequest to follow (it
// would swap the login page into the pane) but 401 and HX-Redirect to the
// login page, whose next is the page the operator was on. A poll stops
// and says so instead of taking the page away.
func TestHTMXRequestWithoutSessionLoadsTheLoginPage(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env := webtest.Start(t, d)
			r1 := storetest.FlaggedLead(t, env.Store, "hx-1", store.TypePricing)
			c, op := env.LoggedIn(t, store.RoleOperator)
			if err := env.Store.DeleteOperatorSessions(t.Context(), op.ID); err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(env.URL)
			page := fmt.Sprintf("/dashboard/review-queue/%d?type=pricing&q=hx", r1.ID)
			send := func(method, path, current string) *webtest.Response {
				req, _ := http.NewRequest(method, env.URL+path, nil)
				req.Header.Set("HX-Request", "true")
				req.Header.Set("X-CSRF-Token", c.CSRF)
				if current != "" {
					req.Header.Set("HX-Current-URL", current)
				}
				resp, err := c.HTTP.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return &webtest.Response{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
			}
			for _, tc := range []struct{ method, path, current, want string }{
				{"GET", fmt.Sprintf("/dashboard/review-queue/%d", r1.ID), env.URL + page, "/login?next=" + url.QueryEscape(page)},
				{"POST", fmt.Sprintf("/dashboard/review-queue/%d/claim", r1.ID), env.URL + page, "/login?next=" + url.QueryEscape(page)},
				// Another origin, or no header: the login page without next.
				{"GET", "/dashboard/review-queue/rows", "https://evil.example" + page, "/login"},
				{"GET", "/dashboard/review-queue/rows", "http://" + u.Host + "//evil.example/x", "/login"},
				{"GET", "/dashboard/review-queue/rows", "http://" + u.Host + "/%09/evil.example", "/login"},
				{"GET", "/dashboard/review-queue/rows", "", "/login"},
			} {
				r := send(tc.method, tc.path, tc.current)
				if r.Status != http.StatusUnauthorized || r.Header.Get("HX-Redirect") != tc.want || r.Header.Get("Location") != "" || strings.Contains(r.Body, "<form") {
					t.Errorf("%s %s from %q: %d HX-Redirect %q Location %q body %q", tc.method, tc.path, tc.current, r.Status, r.Header.Get("HX-Redirect"), r.Header.Get("Location"), r.Body)
				}
			}
			// The live refresh and the claim renewal: stop polling, say why.
			for _, p := range []string{"/dashboard/review-queue/live", fmt.Sprintf("/dashboard/review-queue/%d/claim/renew", r1.ID)} {
				method := "GET"
				if strings.HasSuffix(p, "renew") {
					method = "POST"
				}
				r := send(method, p, env.URL+page)
				if r.Status != 286 || r.Header.Get("HX-Redirect") != "" || r.Header.Get("HX-Retarget") != "#flash" || !strings.Contains(r.Body, "session has ended") || strings.Contains(r.Body, "<form") {
					t.Errorf("poll %s: %d %v %q", p, r.Status, r.Header, r.Body)
				}
			}
			// A whole-page GET still redirects, with the page as next.
			if r := c.Get(page); r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/login?next="+url.QueryEscape(page) {
				t.Errorf("page: %d %q", r.Status, r.Header.Get("Location"))
			}
		})
	}
}

// TestAuditHoldsNoSecrets does every audited action that involves a secret
// and then searches the whole audit log for them.
func TestAuditHoldsNoSecrets(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	admin, adminOp := env.LoggedIn(t, store.RoleAdmin)
	secrets := []string{storetest.Password("admin"), "initial-secret-pw", "reset-secret-pw", "linked-secret-pw", "changed-secret-pw", "wrong-secret-pw"}
	tok := env.Token(t, store.ScopeQueueRead)
	secrets = append(secrets, tok)
	admin.PostForm("/admin/operators", webtest.Form("name", "S", "email", "s@example.com", "role", "operator", "mode", "password", "password", "initial-secret-pw"))
	s, err := env.Store.GetOperatorByEmail(t.Context(), "s@example.com")
	if err != nil {
		t.Fatal(err)
	}
	page := "/admin/operators/" + strconv.FormatInt(s.ID, 10)
	admin.PostForm(page+"/password", webtest.Form("mode", "password", "password", "reset-secret-pw"))
	link := setPasswordLink(t, admin.PostForm(page+"/password", webtest.Form("mode", "link")))
	secrets = append(secrets, strings.TrimPrefix(link, "/set-password/"))
	env.NewClient(t).PostForm(link, webtest.Form("new_password", "linked-secret-pw"))
	admin.PostForm("/account/password", webtest.Form("current_password", storetest.Password("admin"), "new_password", "changed-secret-pw"))
	anon := env.NewClient(t)
	anon.Get("/login")
	anon.PostForm("/login", webtest.Form("email", adminOp.Email, "password", "wrong-secret-pw"))
	anon.PostForm("/login", webtest.Form("email", "wrong-secret-pw", "password", "wrong-secret-pw"))

	var entries []store.AuditEntry
	if err := env.Store.DB.Find(&entries).Error; err != nil {
		t.Fatal(err)
	}
	if len(entries) < 8 {
		t.Fatalf("only %d audit entries: the actions did not happen", len(entries))
	}
	for _, e := range entries {
		text := strings.Join([]string{e.ActorName, e.Target, deref(e.OldValue), deref(e.NewValue)}, " ")
		for _, sec := range secrets {
			if strings.Contains(text, sec) {
				t.Errorf("audit %s holds a secret: %q", e.Action, text)
			}
		}
	}
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// TestParallelLoginGuesses: twenty guesses sent at once get no more
// password checks than the account's budget.
func TestParallelLoginGuesses(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	op := storetest.Operator(t, env.Store, "burst@example.com", store.RoleOperator)
	c := env.NewClient(t)
	c.Get("/login")
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v := webtest.Form("email", op.Email, "password", "guess-"+strconv.Itoa(i), "csrf", c.CSRF)
			req, _ := http.NewRequest(http.MethodPost, env.URL+"/login", strings.NewReader(v.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := c.HTTP.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			statuses[resp.StatusCode]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if statuses[http.StatusUnauthorized] > env.Store.Options().MaxAccountFailures || statuses[http.StatusUnauthorized]+statuses[http.StatusTooManyRequests] != 20 {
		t.Fatalf("answers to 20 parallel guesses: %v (budget %d)", statuses, env.Store.Options().MaxAccountFailures)
	}
}
