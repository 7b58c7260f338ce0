package web_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"reviewq/store"
	"reviewq/store/storetest"
	"reviewq/web"
	"reviewq/web/webtest"
)

// testIdP is a small OpenID provider in the test: discovery, JWKS, an
// authorize endpoint that signs the configured person in at once, and a
// token endpoint that checks the client, the redirect URL, PKCE and that
// each code is used once. ID tokens are RS256 JWTs.
type testIdP struct {
	srv          *httptest.Server
	key          *rsa.PrivateKey
	clientID     string
	clientSecret string

	mu sync.Mutex
	// The person who signs in next, and what to get wrong on purpose.
	email     string
	verified  bool
	name      string
	badNonce  bool
	grants    map[string]idpGrant
	exchanges int
}

type idpGrant struct {
	nonce, challenge, redirect, email, name string
	verified                                bool
}

func startTestIdP(t *testing.T) *testIdP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	idp := &testIdP{key: key, clientID: "reviewq-test", clientSecret: "client-secret-" + store.RandomToken(8), grants: map[string]idpGrant{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", idp.discovery)
	mux.HandleFunc("GET /jwks", idp.jwks)
	mux.HandleFunc("GET /authorize", idp.authorize)
	mux.HandleFunc("POST /token", idp.token)
	idp.srv = httptest.NewServer(mux)
	t.Cleanup(idp.srv.Close)
	return idp
}

func (p *testIdP) signInAs(email string, verified bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.email, p.verified, p.name, p.badNonce = email, verified, "Test Person", false
}

func (p *testIdP) discovery(w http.ResponseWriter, _ *http.Request) {
	u := p.srv.URL
	_ = json.NewEncoder(w).Encode(map[string]any{
		"issuer": u, "authorization_endpoint": u + "/authorize", "token_endpoint": u + "/token", "jwks_uri": u + "/jwks",
		"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"}, "code_challenge_methods_supported": []string{"S256"},
	})
}

func (p *testIdP) jwks(w http.ResponseWriter, _ *http.Request) {
	_ = json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{{Key: &p.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
}

func (p *testIdP) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != p.clientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
		q.Get("code_challenge") == "" || q.Get("nonce") == "" || q.Get("state") == "" || !strings.Contains(q.Get("scope"), "openid") {
		http.Error(w, "bad authorization request", http.StatusBadRequest)
		return
	}
	p.mu.Lock()
	code := store.RandomToken(16)
	p.grants[code] = idpGrant{nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri"),
		email: p.email, name: p.name, verified: p.verified}
	p.mu.Unlock()
	back, _ := url.Parse(q.Get("redirect_uri"))
	bq := back.Query()
	bq.Set("code", code)
	bq.Set("state", q.Get("state"))
	back.RawQuery = bq.Encode()
	http.Redirect(w, r, back.String(), http.StatusFound)
}

func (p *testIdP) token(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	if !ok {
		id, secret = r.FormValue("client_id"), r.FormValue("client_secret")
	}
	fail := func(msg string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
	}
	if id != p.clientID || secret != p.clientSecret {
		fail("invalid_client")
		return
	}
	p.mu.Lock()
	p.exchanges++
	g, found := p.grants[r.FormValue("code")]
	delete(p.grants, r.FormValue("code")) // a code is good once
	badNonce := p.badNonce
	p.mu.Unlock()
	sum := sha256.Sum256([]byte(r.FormValue("code_verifier")))
	switch {
	case r.FormValue("grant_type") != "authorization_code" || !found:
		fail("invalid_grant")
		return
	case r.FormValue("redirect_uri") != g.redirect:
		fail("invalid_grant")
		return
	case base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
		fail("invalid_grant") // PKCE
		return
	}
	nonce := g.nonce
	if badNonce {
		nonce = "not-the-nonce"
	}
	now := time.Now()
	claims, _ := json.Marshal(map[string]any{
		"iss": p.srv.URL, "sub": "sub-" + g.email, "aud": p.clientID, "iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"nonce": nonce, "email": g.email, "email_verified": g.verified, "name": g.name,
	})
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: p.key, KeyID: "k1"}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	obj, err := signer.Sign(claims)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	raw, _ := obj.CompactSerialize()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": store.RandomToken(16), "token_type": "Bearer", "expires_in": 300, "id_token": raw})
}

// startSSO runs reviewq with single sign-on at a fresh test provider.
func startSSO(t *testing.T, d store.Dialect) (*webtest.Env, *testIdP) {
	t.Helper()
	idp := startTestIdP(t)
	env := webtest.StartConfig(t, storetest.Open(t, d), web.Config{OIDC: web.OIDCConfig{
		Issuer: idp.srv.URL, ClientID: idp.clientID, ClientSecret: idp.clientSecret, Name: "Test IdP"}})
	return env, idp
}

// ssoRedirects walks a browser through "Sign in with …" to the provider
// and returns the callback URL the provider sends it back to.
func ssoRedirects(t *testing.T, c *webtest.Client, next string) string {
	t.Helper()
	start := "/login/oidc"
	if next != "" {
		start += "?next=" + url.QueryEscape(next)
	}
	r := c.Get(start)
	if r.Status != http.StatusSeeOther {
		t.Fatalf("sso start: %d %s", r.Status, r.Body)
	}
	resp, err := c.HTTP.Get(r.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusFound || back == "" {
		t.Fatalf("provider authorize: %d", resp.StatusCode)
	}
	u, err := url.Parse(back)
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}

func signedIn(t *testing.T, c *webtest.Client) bool {
	t.Helper()
	return c.Get("/dashboard/review-queue").Status == http.StatusOK
}

func TestOIDCSignIn(t *testing.T) {
	for _, d := range storetest.Dialects {
		t.Run(string(d), func(t *testing.T) {
			env, idp := startSSO(t, d)
			ann := storetest.Operator(t, env.Store, "ann@example.com", store.RoleLead)

			// The login page offers the provider.
			c := env.NewClient(t)
			if r := c.Get("/login"); !strings.Contains(r.Body, "Sign in with Test IdP") || !strings.Contains(r.Body, `name="password"`) {
				t.Fatal("login page does not offer single sign-on next to the password")
			}

			// Happy path: matched by verified email, back to next.
			idp.signInAs("ANN@example.com", true)
			cb := ssoRedirects(t, c, "/dashboard/stats")
			r := c.Get(cb)
			if r.Status != http.StatusSeeOther || r.Header.Get("Location") != "/dashboard/stats" {
				t.Fatalf("callback: %d %s %s", r.Status, r.Header.Get("Location"), r.Body)
			}
			if !signedIn(t, c) {
				t.Fatal("not signed in after single sign-on")
			}
			if e := auditActions(t, env.Store, "login.success"); len(e) == 0 || e[0].Target != ann.Email {
				t.Fatalf("login audit: %+v", e)
			}

			// Replayed callback (same code and state): the state is spent.
			replay := c.Get(cb)
			if replay.Status != http.StatusBadRequest {
				t.Fatalf("replayed callback: %d", replay.Status)
			}
			// The used code with a fresh, valid state: the provider refuses it.
			other := env.NewClient(t)
			fresh, _ := url.Parse(ssoRedirects(t, other, ""))
			used, _ := url.Parse(cb)
			q := fresh.Query()
			q.Set("code", used.Query().Get("code"))
			fresh.RawQuery = q.Encode()
			if r := other.Get(fresh.RequestURI()); r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "did not confirm") || signedIn(t, other) {
				t.Fatalf("replayed code with a fresh state: %d", r.Status)
			}

			// Bad state: refused before any code is exchanged.
			bad := env.NewClient(t)
			u, _ := url.Parse(ssoRedirects(t, bad, ""))
			q = u.Query()
			q.Set("state", "forged-"+q.Get("state"))
			u.RawQuery = q.Encode()
			idp.mu.Lock()
			before := idp.exchanges
			idp.mu.Unlock()
			if r := bad.Get(u.RequestURI()); r.Status != http.StatusBadRequest || signedIn(t, bad) {
				t.Fatalf("bad state: %d", r.Status)
			}
			idp.mu.Lock()
			if idp.exchanges != before {
				t.Fatal("a code was exchanged despite a bad state")
			}
			idp.mu.Unlock()
			// A callback in a browser that never started a sign-in.
			stranger := env.NewClient(t)
			if r := stranger.Get(cb); r.Status != http.StatusBadRequest {
				t.Fatalf("callback without a started sign-in: %d", r.Status)
			}

			// Nonce mismatch.
			nc := env.NewClient(t)
			idp.signInAs(ann.Email, true)
			idp.mu.Lock()
			idp.badNonce = true
			idp.mu.Unlock()
			if r := nc.Get(ssoRedirects(t, nc, "")); r.Status != http.StatusUnauthorized || !strings.Contains(r.Body, "cannot accept") || signedIn(t, nc) {
				t.Fatalf("nonce mismatch: %d", r.Status)
			}

			// Unverified email.
			idp.signInAs(ann.Email, false)
			uc := env.NewClient(t)
			if r := uc.Get(ssoRedirects(t, uc, "")); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "not verified") || signedIn(t, uc) {
				t.Fatalf("unverified email: %d", r.Status)
			}

			// Unknown email, no sign-up: refused, no account made.
			idp.signInAs("newcomer@example.com", true)
			nu := env.NewClient(t)
			if r := nu.Get(ssoRedirects(t, nu, "")); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "No reviewq account") || signedIn(t, nu) {
				t.Fatalf("unknown email: %d", r.Status)
			}
			if n, _ := env.Store.CountOperators(t.Context()); n != 1 {
				t.Fatalf("operators after an unknown sign-in: %d", n)
			}

			// A look-alike address (zero-width space, control character)
			// that a lenient collation would equate with ann's: refused.
			for _, lookalike := range []string{"ann\u200b@example.com", "ann\x01@example.com"} {
				idp.signInAs(lookalike, true)
				lc := env.NewClient(t)
				if r := lc.Get(ssoRedirects(t, lc, "")); r.Status != http.StatusForbidden || signedIn(t, lc) {
					t.Fatalf("look-alike %q: %d", lookalike, r.Status)
				}
			}

			// Deactivated operator.
			if _, err := env.Store.SetActive(t.Context(), store.SystemActor, "", ann.ID, false); err != nil {
				t.Fatal(err)
			}
			idp.signInAs(ann.Email, true)
			dc := env.NewClient(t)
			if r := dc.Get(ssoRedirects(t, dc, "")); r.Status != http.StatusForbidden || !strings.Contains(r.Body, "deactivated") || signedIn(t, dc) {
				t.Fatalf("deactivated operator: %d", r.Status)
			}
		})
	}
}

func TestOIDCSignupAndPasswordLoginOff(t *testing.T) {
	env, idp := startSSO(t, store.SQLite)
	admin, _ := env.LoggedIn(t, store.RoleAdmin)
	admin.Get("/admin/settings")
	for key, value := range map[string]string{"auth.oidc_signup_role": "operator", "auth.password_login": "false"} {
		if r := admin.PostForm("/admin/settings/"+key, webtest.Form("value", value)); r.Status != http.StatusSeeOther {
			t.Fatalf("set %s: %d %s", key, r.Status, r.Body)
		}
	}

	// Sign-up on: a verified newcomer gets an operator account.
	idp.signInAs("newcomer@example.com", true)
	c := env.NewClient(t)
	if r := c.Get(ssoRedirects(t, c, "")); r.Status != http.StatusSeeOther || !signedIn(t, c) {
		t.Fatalf("sign-up: %d %s", r.Status, r.Body)
	}
	op, err := env.Store.GetOperatorByEmail(t.Context(), "newcomer@example.com")
	if err != nil || op.Role != store.RoleOperator || op.Name != "Test Person" {
		t.Fatalf("signed-up account: %+v %v", op, err)
	}
	if e := auditActions(t, env.Store, "operator.create"); len(e) == 0 || e[0].Target != op.Email || e[0].ActorName != "sso:Test IdP" {
		t.Fatalf("sign-up audit: %+v", e)
	}

	// Password sign-in off: the form is gone and a posted one refused.
	anon := env.NewClient(t)
	if r := anon.Get("/login"); strings.Contains(r.Body, `name="password"`) || !strings.Contains(r.Body, "Sign in with Test IdP") {
		t.Fatal("login page still has the password form")
	}
	admin2 := storetest.Operator(t, env.Store, "root@example.com", store.RoleAdmin)
	r := anon.PostForm("/login", webtest.Form("email", admin2.Email, "password", storetest.Password(store.RoleAdmin)))
	if r.Status != http.StatusForbidden || signedIn(t, anon) {
		t.Fatalf("password login while off: %d", r.Status)
	}
}

// Without single sign-on configured the setting cannot lock everyone out.
func TestPasswordLoginOffNeedsSSO(t *testing.T) {
	env := webtest.Start(t, store.SQLite)
	if _, err := env.Store.SetSetting(t.Context(), store.SystemActor, "", store.KeyPasswordLogin, "false"); err != nil {
		t.Fatal(err)
	}
	_, _ = env.LoggedIn(t, store.RoleOperator) // fails the test when refused
}
