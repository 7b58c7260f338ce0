package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

const (
	cookieName     = "reviewq_session"
	ctxOperator    = "operator"
	ctxSessionTok  = "session_token"
	ctxCookie      = "cookie_session"
	csrfHeaderName = "X-CSRF-Token"
	csrfFormField  = "csrf"
)

// currentOperator is the logged-in operator, or nil.
func currentOperator(c echo.Context) *store.Operator {
	op, _ := c.Get(ctxOperator).(*store.Operator)
	return op
}

// actorOf names who acts in this request.
func actorOf(c echo.Context) store.Actor {
	if op := currentOperator(c); op != nil {
		return store.Actor{Type: store.ActorOperator, ID: op.ID, Name: op.Name}
	}
	if tok := currentToken(c); tok != nil {
		return store.Actor{Type: store.ActorToken, ID: tok.ID, Name: "token:" + tok.Name}
	}
	return store.SystemActor
}

// hasBearer is an API call that brings its own token. Only /api/ takes
// tokens: elsewhere the header changes nothing (the session and the CSRF
// check apply as without it).
func hasBearer(c echo.Context) bool {
	return isAPI(c) && strings.HasPrefix(c.Request().Header.Get(echo.HeaderAuthorization), "Bearer ")
}

// skipsSession lists requests that never need the login state: probes,
// assets, and API calls that bring their own token.
func skipsSession(c echo.Context) bool {
	p := c.Request().URL.Path
	return p == "/healthz" || p == "/readyz" || p == "/metrics" || strings.HasPrefix(p, "/static/") || hasBearer(c)
}

// cookieName is the session cookie's name: with the __Host- prefix when
// the cookie is Secure, so the browser takes it only from this host, over
// HTTPS, for Path=/ and without a Domain (a sibling subdomain cannot plant
// or overwrite it).
func (s *Server) cookieName() string {
	if s.cfg.SecureCookies {
		return "__Host-" + cookieName
	}
	return cookieName
}

// cookieSession returns the signed and encrypted cookie that carries the
// session token and the CSRF seed. The login itself lives in the database.
func (s *Server) cookieSession(c echo.Context) *sessions.Session {
	if sess, ok := c.Get(ctxCookie).(*sessions.Session); ok {
		return sess
	}
	cookieName := s.cookieName()
	raw, _ := c.Request().Cookie(cookieName)
	if raw != nil {
		if d, ok := s.decoded.get(raw.Value); ok {
			sess := sessions.NewSession(s.cookies, cookieName)
			opts := *s.cookies.Options
			sess.Options, sess.IsNew = &opts, false
			if d.sid != "" {
				sess.Values["sid"] = d.sid
			}
			if d.csrf != "" {
				sess.Values["csrf"] = d.csrf
			}
			c.Set(ctxCookie, sess)
			return sess
		}
	}
	sess, err := s.cookies.Get(c.Request(), cookieName)
	if err != nil {
		// A cookie we cannot decode (old key, tampered): start afresh.
		sess, _ = s.cookies.New(c.Request(), cookieName)
	} else if raw != nil && !sess.IsNew {
		sid, _ := sess.Values["sid"].(string)
		csrf, _ := sess.Values["csrf"].(string)
		s.decoded.put(raw.Value, decodedCookie{sid: sid, csrf: csrf})
	}
	c.Set(ctxCookie, sess)
	return sess
}

// loadSession resolves the cookie's session token to a live server-side
// session; a revoked or expired one is dropped from the cookie.
func (s *Server) loadSession(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if skipsSession(c) {
			return next(c)
		}
		sess := s.cookieSession(c)
		token, _ := sess.Values["sid"].(string)
		if token != "" {
			info, err := s.store.LookupSession(c.Request().Context(), token)
			switch {
			case errors.Is(err, store.ErrNoSession):
				delete(sess.Values, "sid")
				if err := sess.Save(c.Request(), c.Response()); err != nil {
					return err
				}
			case err != nil:
				return err
			default:
				if info.Session.MFAState != "" {
					return s.pendingSession(c, next, info, token)
				}
				op := info.Operator
				c.Set(ctxOperator, &op)
				c.Set(ctxSessionTok, token)
				// Pages show times in the operator's zone (views.DisplayTime).
				r := c.Request()
				c.SetRequest(r.WithContext(views.WithTimeZone(r.Context(), s.timeZoneOf(r.Context(), &op))))
			}
		}
		return next(c)
	}
}

// csrfToken returns the token forms and htmx requests must send back. It is
// an HMAC of a random seed kept in the encrypted cookie; the seed is replaced
// at login, so a token is bound to one session.
func (s *Server) csrfToken(c echo.Context) string {
	if hasBearer(c) {
		return ""
	}
	sess := s.cookieSession(c)
	seed, _ := sess.Values["csrf"].(string)
	if seed == "" {
		seed = store.RandomToken(24)
		sess.Values["csrf"] = seed
		if err := sess.Save(c.Request(), c.Response()); err != nil {
			s.log.Error("saving session cookie", "error", err.Error())
		}
	}
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte(seed))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

var crossOrigin = http.NewCrossOriginProtection()

// csrfProtect checks every state-changing request that relies on the
// cookie: it must be same-origin and carry the session's CSRF token (header
// for htmx, form field for plain forms). Bearer-token calls to /api/ carry
// no ambient credentials and are exempt; nothing else is.
func (s *Server) csrfProtect(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		switch req.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if hasBearer(c) {
			return next(c)
		}
		if err := crossOrigin.Check(req); err != nil {
			return errCSRF
		}
		// The header, or the form body: never the query string, which
		// would put the token in logs, history and Referer headers.
		sent := req.Header.Get(csrfHeaderName)
		if sent == "" {
			ct := req.Header.Get(echo.HeaderContentType)
			if strings.HasPrefix(ct, echo.MIMEApplicationForm) || strings.HasPrefix(ct, echo.MIMEMultipartForm) {
				sent = req.PostFormValue(csrfFormField)
			}
		}
		sess := s.cookieSession(c)
		if seed, _ := sess.Values["csrf"].(string); seed == "" || sent == "" {
			return errCSRF
		}
		want := s.csrfToken(c)
		if subtle.ConstantTimeCompare([]byte(sent), []byte(want)) != 1 {
			return errCSRF
		}
		return next(c)
	}
}

// requirePageRole lets through logged-in operators of at least role.
func (s *Server) requirePageRole(role string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			op := currentOperator(c)
			if op == nil {
				req := c.Request()
				if req.Method == http.MethodGet && !isHTMX(c) && !isAPI(c) {
					return c.Redirect(http.StatusSeeOther, loginURL(req.URL.RequestURI()))
				}
				return errUnauthorized
			}
			if store.RoleRank(op.Role) < store.RoleRank(role) {
				return errForbidden
			}
			return next(c)
		}
	}
}

// defaultNext is where a login without a usable next lands.
const defaultNext = "/dashboard/review-queue"

// safeNext keeps a post-login redirect on this site: only a path (with an
// optional query) is accepted. No scheme or host, no "//" or backslash a
// browser could read as another host, no control characters (browsers drop
// tabs and newlines from URLs, so "/\t/evil.example" would become
// "//evil.example"), neither as sent nor once percent-decoded.
func safeNext(next string) string {
	if !isSitePath(next) {
		return defaultNext
	}
	return next
}

func isSitePath(next string) bool {
	if next == "" || len(next) > 2048 || next[0] != '/' || strings.HasPrefix(next, "//") || hasUnsafeURLChars(next) {
		return false
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return false
	}
	// u.Path is decoded: it must pass too ("/%09/evil.example"), and the
	// decoded query must hold no control characters.
	query, err := url.QueryUnescape(u.RawQuery)
	return err == nil && !strings.HasPrefix(u.Path, "//") && !hasUnsafeURLChars(u.Path) &&
		!strings.ContainsFunc(query, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

func hasUnsafeURLChars(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == '\\' })
}

// loginURL is the login page that brings the operator back to next.
func loginURL(next string) string {
	if next == "" || !isSitePath(next) {
		return "/login"
	}
	return "/login?next=" + url.QueryEscape(next)
}

// pageOfHTMXRequest is the page an htmx request was sent from (its
// HX-Current-URL header), as a path on this site; "" when the header is
// missing, names another origin or is not a safe path. The partial's own
// URL would not do: after the login the operator wants the page back, with
// its filters and the open review.
func pageOfHTMXRequest(c echo.Context) string {
	req := c.Request()
	u, err := url.Parse(req.Header.Get("HX-Current-URL"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host != req.Host || u.User != nil {
		return ""
	}
	if p := u.RequestURI(); isSitePath(p) {
		return p
	}
	return ""
}

func (s *Server) loginPage(c echo.Context) error {
	if currentOperator(c) != nil {
		return c.Redirect(http.StatusSeeOther, safeNext(c.QueryParam("next")))
	}
	v := s.withSSO(c, views.LoginPage{Page: s.page(c, "Sign in", ""), Next: safeNext(c.QueryParam("next"))})
	return s.render(c, http.StatusOK, views.Login(v), nil)
}

type loginForm struct {
	Email    string `form:"email"`
	Password string `form:"password"`
	Next     string `form:"next"`
}

func (s *Server) login(c echo.Context) error {
	var f loginForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the login form could not be read")
	}
	ctx := c.Request().Context()
	fail := func(status int, msg string) error {
		v := s.withSSO(c, views.LoginPage{Page: s.page(c, "Sign in", ""), Email: f.Email, Error: msg, Next: safeNext(f.Next)})
		return s.render(c, status, views.Login(v), nil)
	}
	if s.passwordLoginOff(c) {
		return fail(http.StatusForbidden, "Password sign-in is off: use single sign-on.")
	}
	if len(f.Email) > 254 || len(f.Password) > 1024 {
		return fail(http.StatusBadRequest, "Wrong email or password.")
	}
	if msg, ok := s.loginAllowed(c, f.Email); !ok {
		return fail(http.StatusTooManyRequests, msg)
	}
	op, err := s.store.Authenticate(ctx, f.Email, f.Password)
	if errors.Is(err, store.ErrBadCredentials) {
		s.loginFailed(c, f.Email)
		return fail(http.StatusUnauthorized, "Wrong email or password.")
	}
	if err != nil {
		return err
	}
	if done, err := s.secondFactorAtLogin(c, op, f.Next); done {
		return err
	}
	token, err := s.store.CreateSession(ctx, op, c.RealIP(), c.Request().UserAgent())
	if err != nil {
		return err
	}
	s.loginSucceeded(c, op)
	sess := s.cookieSession(c)
	// A new session token and a new CSRF seed at every login: nothing an
	// attacker planted before the login survives it.
	if old, _ := sess.Values["sid"].(string); old != "" {
		_ = s.store.DeleteSession(ctx, old)
	}
	sess.Values["sid"] = token
	sess.Values["csrf"] = store.RandomToken(24)
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, safeNext(f.Next))
}

func (s *Server) logout(c echo.Context) error {
	if token, _ := c.Get(ctxSessionTok).(string); token != "" {
		if err := s.store.DeleteSession(c.Request().Context(), token); err != nil {
			return err
		}
	}
	sess := s.cookieSession(c)
	delete(sess.Values, "sid")
	sess.Values["csrf"] = store.RandomToken(24)
	if err := sess.Save(c.Request(), c.Response()); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/login")
}
