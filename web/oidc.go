package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"net/mail"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/gorilla/securecookie"
	"github.com/labstack/echo/v4"
	"golang.org/x/oauth2"

	"reviewq/store"
	"reviewq/views"
)

// OIDC single sign-on: the authorization code flow with PKCE, a state bound
// to the browser by a short-lived encrypted cookie, and a nonce checked in
// the ID token. An account is matched by its verified email to an existing
// active operator; a first sign-in makes an account only when the setting
// auth.oidc_signup_role names a role. A sign-in through the identity
// provider does not ask for reviewq's own second factor: the provider is
// where MFA for SSO accounts is enforced.

// OIDCConfig configures single sign-on; an empty Issuer turns it off.
type OIDCConfig struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	// Name is shown on the button: "Sign in with <Name>".
	Name string
	// BaseURL (scheme://host[/prefix]) builds the redirect URL; empty takes
	// the request's own scheme and host.
	BaseURL string
	// HTTPClient talks to the provider (nil: a client with a timeout).
	HTTPClient *http.Client
}

const (
	oidcCookie        = "reviewq_oidc"
	oidcCookieMaxAge  = 10 * time.Minute
	oidcCallbackPath  = "/login/oidc/callback"
	oidcProviderTimed = 10 * time.Second
)

type oidcClient struct {
	cfg      OIDCConfig
	http     *http.Client
	mu       sync.Mutex
	provider *oidc.Provider
}

func newOIDCClient(cfg OIDCConfig) *oidcClient {
	if cfg.Issuer == "" {
		return nil
	}
	if cfg.Name == "" {
		cfg.Name = "single sign-on"
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: oidcProviderTimed}
	}
	return &oidcClient{cfg: cfg, http: hc}
}

// ctx carries the HTTP client to go-oidc and oauth2.
func (o *oidcClient) ctx(parent context.Context) context.Context {
	return oidc.ClientContext(parent, o.http)
}

// discover reads the provider's configuration once, at first use, so the
// server starts while the provider is down; a failure is tried again next time.
func (o *oidcClient) discover() (*oidc.Provider, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.provider != nil {
		return o.provider, nil
	}
	// The provider keeps this context for fetching its signing keys later:
	// it must outlive the request.
	p, err := oidc.NewProvider(o.ctx(context.Background()), o.cfg.Issuer)
	if err != nil {
		return nil, err
	}
	o.provider = p
	return p, nil
}

func (o *oidcClient) oauth(c echo.Context, p *oidc.Provider) *oauth2.Config {
	base := strings.TrimSuffix(o.cfg.BaseURL, "/")
	if base == "" {
		base = c.Scheme() + "://" + c.Request().Host
	}
	return &oauth2.Config{ClientID: o.cfg.ClientID, ClientSecret: o.cfg.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: base + oidcCallbackPath, Scopes: []string{oidc.ScopeOpenID, "email", "profile"}}
}

// oidcState is what the browser carries between the start and the callback.
type oidcState struct {
	State, Nonce, Verifier, Next string
}

var errSSOUnavailable = httpError(http.StatusServiceUnavailable, "sso_unavailable",
	"single sign-on is not reachable right now; try again in a minute")

// passwordLoginOff: the setting turned the password form off, which counts
// only while single sign-on is configured (else nobody could sign in).
func (s *Server) passwordLoginOff(c echo.Context) bool {
	if s.oidc == nil {
		return false
	}
	set, err := s.store.Settings(c.Request().Context())
	return err == nil && !set.Bool(store.KeyPasswordLogin)
}

// withSSO adds single sign-on to the login page's view model.
func (s *Server) withSSO(c echo.Context, v views.LoginPage) views.LoginPage {
	if s.oidc == nil {
		return v
	}
	v.SSOName, v.SSOURL = s.oidc.cfg.Name, loginURLWith("/login/oidc", v.Next)
	v.PasswordOff = s.passwordLoginOff(c)
	return v
}

func loginURLWith(path, next string) string {
	if next == "" || next == defaultNext {
		return path
	}
	return path + "?next=" + url.QueryEscape(next)
}

func (s *Server) oidcCookieOptions(maxAge int) *http.Cookie {
	// Lax, not Strict: the provider's redirect back is a cross-site
	// top-level navigation that must carry it. Secure as the session cookie.
	return &http.Cookie{Name: oidcCookie, Path: "/login/oidc", MaxAge: maxAge, HttpOnly: true, // #nosec G124 -- Secure follows REVIEWQ_COOKIE_SECURE (off only on loopback), as the session cookie
		Secure: s.cfg.SecureCookies, SameSite: http.SameSiteLaxMode}
}

// oidcStart sends the browser to the provider.
func (s *Server) oidcStart(c echo.Context) error {
	if s.oidc == nil {
		return errNotFound
	}
	next := safeNext(c.QueryParam("next"))
	if currentOperator(c) != nil {
		return c.Redirect(http.StatusSeeOther, next)
	}
	p, err := s.oidc.discover()
	if err != nil {
		s.log.Warn("single sign-on: provider discovery failed", "issuer", s.oidc.cfg.Issuer, "error", err.Error())
		return errSSOUnavailable
	}
	st := oidcState{State: store.RandomToken(24), Nonce: store.RandomToken(24), Verifier: oauth2.GenerateVerifier(), Next: next}
	enc, err := securecookie.EncodeMulti(oidcCookie, st, s.cookies.Codecs...)
	if err != nil {
		return fmt.Errorf("sso state cookie: %w", err)
	}
	ck := s.oidcCookieOptions(int(oidcCookieMaxAge / time.Second)) // #nosec G124 -- see oidcCookieOptions
	ck.Value = enc
	c.SetCookie(ck)
	u := s.oidc.oauth(c, p).AuthCodeURL(st.State, oidc.Nonce(st.Nonce), oauth2.S256ChallengeOption(st.Verifier))
	return c.Redirect(http.StatusSeeOther, u)
}

// ssoClaims are the ID token's claims reviewq reads.
type ssoClaims struct {
	Email         string `json:"email"`
	EmailVerified bool   `json:"email_verified"`
	Name          string `json:"name"`
}

// oidcCallback finishes a sign-in at the provider. The state cookie is
// spent at once: a callback URL used twice (a replayed code) finds none.
func (s *Server) oidcCallback(c echo.Context) error {
	if s.oidc == nil {
		return errNotFound
	}
	fail := func(status int, msg string) error {
		v := s.withSSO(c, views.LoginPage{Page: s.page(c, "Sign in", ""), Error: msg})
		return s.render(c, status, views.Login(v), nil)
	}
	var st oidcState
	raw, cerr := c.Cookie(oidcCookie)
	c.SetCookie(s.oidcCookieOptions(-1))
	if cerr != nil || securecookie.DecodeMulti(oidcCookie, raw.Value, &st, s.cookies.Codecs...) != nil ||
		st.State == "" || subtle.ConstantTimeCompare([]byte(st.State), []byte(c.QueryParam("state"))) != 1 {
		return fail(http.StatusBadRequest, "This sign-in was not started here or took too long. Try again.")
	}
	name := s.oidc.cfg.Name
	if e := c.QueryParam("error"); e != "" {
		return fail(http.StatusUnauthorized, "The sign-in at "+name+" did not complete. Try again.")
	}
	code := c.QueryParam("code")
	if code == "" || len(code) > 2048 {
		return fail(http.StatusBadRequest, "The answer from "+name+" carried no sign-in code. Try again.")
	}
	p, err := s.oidc.discover()
	if err != nil {
		return errSSOUnavailable
	}
	ctx := s.oidc.ctx(c.Request().Context())
	tok, err := s.oidc.oauth(c, p).Exchange(ctx, code, oauth2.VerifierOption(st.Verifier))
	if err != nil {
		s.log.Warn("single sign-on: code exchange refused", "request_id", c.Get(ctxRequestID), "error", err.Error())
		return fail(http.StatusUnauthorized, name+" did not confirm this sign-in. Try again.")
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := p.Verifier(&oidc.Config{ClientID: s.oidc.cfg.ClientID}).Verify(ctx, rawID)
	if err != nil || subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(st.Nonce)) != 1 {
		if err == nil {
			err = errors.New("nonce mismatch")
		}
		s.log.Warn("single sign-on: ID token refused", "request_id", c.Get(ctxRequestID), "error", err.Error())
		return fail(http.StatusUnauthorized, name+" sent a sign-in reviewq cannot accept. Try again.")
	}
	var cl ssoClaims
	if err := idt.Claims(&cl); err != nil || cl.Email == "" {
		return fail(http.StatusForbidden, name+" did not tell reviewq your email address.")
	}
	if !cl.EmailVerified {
		return fail(http.StatusForbidden, "Your email address at "+name+" is not verified, so it cannot sign you in here.")
	}
	op, err := s.ssoOperator(c, cl)
	if errors.Is(err, store.ErrNotFound) {
		return fail(http.StatusForbidden, "No reviewq account uses "+cl.Email+". Ask an admin to add you.")
	}
	if err != nil {
		if status, msg, ok := formError(err); ok {
			return fail(status, msg)
		}
		return err
	}
	if !op.Active {
		return fail(http.StatusForbidden, "Your reviewq account is deactivated. Ask an admin.")
	}
	token, err := s.store.CreateSession(c.Request().Context(), op, c.RealIP(), c.Request().UserAgent())
	if err != nil {
		return err
	}
	if err := s.setSessionCookie(c, token); err != nil {
		return err
	}
	s.loginSucceeded(c, op)
	return c.Redirect(http.StatusSeeOther, safeNext(st.Next))
}

// ssoOperator finds the account of a verified email, or makes one when
// sign-up is on (auth.oidc_signup_role).
func (s *Server) ssoOperator(c echo.Context, cl ssoClaims) (*store.Operator, error) {
	ctx := c.Request().Context()
	// Only a plain address, and only the account of exactly that address
	// (case aside): a lenient database collation must not let a look-alike
	// address at the provider reach someone else's account.
	if a, err := mail.ParseAddress(cl.Email); err != nil || a.Address != cl.Email || len(cl.Email) > 254 {
		return nil, store.ErrNotFound
	}
	op, err := s.store.GetOperatorByEmail(ctx, cl.Email)
	if err == nil && !strings.EqualFold(op.Email, strings.TrimSpace(cl.Email)) {
		return nil, store.ErrNotFound
	}
	if !errors.Is(err, store.ErrNotFound) {
		return op, err
	}
	set, err := s.store.Settings(ctx)
	if err != nil {
		return nil, err
	}
	role := set.Get(store.KeyOIDCSignupRole)
	if role == "" {
		return nil, store.ErrNotFound
	}
	return s.store.CreateSSOOperator(ctx, c.RealIP(), cl.Email, cl.Name, role, s.oidc.cfg.Name)
}
