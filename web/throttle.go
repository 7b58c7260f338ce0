package web

import (
	"fmt"
	"math"
	"strconv"

	"github.com/labstack/echo/v4"

	"reviewq/store"
)

// Login throttling keeps its counts in the database (store/throttle.go), so
// it holds across instances; the client address is c.RealIP(), which
// believes X-Forwarded-For only from REVIEWQ_TRUSTED_PROXIES.

// loginAllowed says whether another login attempt may be made for this
// email from this client, and if not, what to tell the user.
// The try is counted before the password is checked, so parallel guesses
// share one budget.
// An empty or malformed email is counted too (against the address): it
// names no account, but it used to cost a password hash unthrottled.
func (s *Server) loginAllowed(c echo.Context, email string) (string, bool) {
	block, err := s.store.StartLoginAttempt(c.Request().Context(), email, c.RealIP())
	if err != nil {
		// The login itself needs the database too and will answer 503.
		s.log.Warn("login throttle check failed", "request_id", c.Get(ctxRequestID), "error", err.Error())
		return "", true
	}
	if block == nil {
		return "", true
	}
	seconds := int(math.Ceil(block.RetryAfter.Seconds()))
	c.Response().Header().Set("Retry-After", strconv.Itoa(seconds))
	who := "from your network address"
	if block.Account {
		who = "for this account"
	}
	wait := plural(int(math.Ceil(block.RetryAfter.Minutes())), "minute")
	if seconds < 60 {
		wait = plural(seconds, "second")
	}
	return fmt.Sprintf("Too many failed sign-ins %s. Try again in %s.", who, wait), false
}

func plural(n int, unit string) string {
	if n == 1 {
		return "1 " + unit
	}
	return strconv.Itoa(n) + " " + unit + "s"
}

// loginFailed audits a failed attempt (loginAllowed already counted it).
func (s *Server) loginFailed(c echo.Context, email string) {
	if err := s.store.AuditLoginFailure(c.Request().Context(), email, c.RealIP()); err != nil {
		s.log.Error("recording a failed login", "request_id", c.Get(ctxRequestID), "error", err.Error())
	}
}

// loginSucceeded records a successful login and drops expired sessions.
func (s *Server) loginSucceeded(c echo.Context, op *store.Operator) {
	ctx := c.Request().Context()
	if err := s.store.RecordLoginSuccess(ctx, op, c.RealIP()); err != nil {
		s.log.Error("recording a login", "request_id", c.Get(ctxRequestID), "error", err.Error())
	}
	if err := s.store.DeleteExpiredSessions(ctx); err != nil {
		s.log.Warn("deleting expired sessions", "error", err.Error())
	}
}
