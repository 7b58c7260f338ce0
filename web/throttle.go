package web

import (
	"github.com/labstack/echo/v4"

	"reviewq/store"
)

// loginAllowed says whether another login attempt may be made for this
// email from this client, and if not, what to tell the user.
func (s *Server) loginAllowed(c echo.Context, email string) (string, bool) { return "", true }

// loginFailed records a failed attempt.
func (s *Server) loginFailed(c echo.Context, email string) {}

// loginSucceeded records a successful login.
func (s *Server) loginSucceeded(c echo.Context, op *store.Operator) {}
