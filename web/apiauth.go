package web

import (
	"errors"
	"strings"

	"github.com/labstack/echo/v4"

	"reviewq/store"
)

const ctxToken = "api_token"

// currentToken is the API token of this request, or nil.
func currentToken(c echo.Context) *store.APIToken {
	t, _ := c.Get(ctxToken).(*store.APIToken)
	return t
}

// apiAuth accepts a Bearer token, or else a logged-in session (same-origin
// browser use; csrfProtect has already checked its state-changing calls).
func (s *Server) apiAuth(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if h := c.Request().Header.Get(echo.HeaderAuthorization); h != "" {
			secret, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				return errUnauthorized
			}
			tok, err := s.store.LookupToken(c.Request().Context(), strings.TrimSpace(secret))
			if errors.Is(err, store.ErrBadToken) {
				return errUnauthorized
			}
			if err != nil {
				return err
			}
			c.Set(ctxToken, tok)
			return next(c)
		}
		if currentOperator(c) == nil {
			return errUnauthorized
		}
		return next(c)
	}
}

// scopeRoles maps each scope to the least operator role that may use it
// through a session: reading and deciding is an operator's work, feeding
// leads and flags is the engines'.
var scopeRoles = map[string]string{
	store.ScopeQueueRead:    store.RoleOperator,
	store.ScopeQueueWrite:   store.RoleOperator,
	store.ScopeOutreachRead: store.RoleOperator,
	store.ScopeLeadsWrite:   store.RoleAdmin,
}

// requireScope guards one API route: a token needs the scope, a session the
// role the scope maps to.
func requireScope(scope string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if tok := currentToken(c); tok != nil {
				if !tok.HasScope(scope) {
					return httpError(errForbidden.Status, "forbidden", "this token lacks the "+scope+" scope")
				}
				return next(c)
			}
			op := currentOperator(c)
			if op == nil {
				return errUnauthorized
			}
			if store.RoleRank(op.Role) < store.RoleRank(scopeRoles[scope]) {
				return errForbidden
			}
			return next(c)
		}
	}
}
