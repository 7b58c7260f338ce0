package web

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

const ctxLinkSecret = "set_password_secret"

// hideLinkSecret takes a set-password link's secret out of the path before
// anything else sees the request, so the access and error logs (which
// record the path) never hold it; the handlers read it from the context.
func hideLinkSecret(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		u := c.Request().URL
		if secret, ok := strings.CutPrefix(u.Path, "/set-password/"); ok && secret != "-" {
			c.Set(ctxLinkSecret, secret)
			u.Path, u.RawPath = "/set-password/-", ""
		}
		return next(c)
	}
}

func linkSecret(c echo.Context) string {
	s, _ := c.Get(ctxLinkSecret).(string)
	return s
}

func (s *Server) accountPasswordPage(c echo.Context) error {
	return s.render(c, http.StatusOK, views.AccountPassword(s.accountPage(c)), nil)
}

type changePasswordForm struct {
	Current string `form:"current_password"`
	New     string `form:"new_password"`
}

func (s *Server) changeAccountPassword(c echo.Context) error {
	var f changePasswordForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the form could not be read")
	}
	op := currentOperator(c)
	v := s.accountPage(c)
	// Guessing the current password from a stolen session is throttled
	// like guessing it at the login.
	if msg, ok := s.loginAllowed(c, op.Email); !ok {
		v.Error = msg
		return s.render(c, http.StatusTooManyRequests, views.AccountPassword(v), nil)
	}
	token, _ := c.Get(ctxSessionTok).(string)
	err := s.store.ChangePassword(c.Request().Context(), op.ID, c.RealIP(), f.Current, f.New, token)
	var ve *store.ValidationError
	if errors.As(err, &ve) && ve.Field == "current_password" {
		s.loginFailed(c, op.Email)
	} else if cerr := s.store.ClearLoginFailures(c.Request().Context(), op.Email); cerr != nil {
		s.log.Warn("clearing login failures", "error", cerr.Error())
	}
	if err != nil {
		status, msg, ok := formError(err)
		if !ok {
			return err
		}
		v.Error = msg
		return s.render(c, status, views.AccountPassword(v), nil)
	}
	v.Done = true
	return s.render(c, http.StatusOK, views.AccountPassword(v), nil)
}

var errBadLink = httpError(http.StatusNotFound, "not_found", "this set-password link is not valid: it was used, replaced or has expired. Ask an admin for a new one.")

func (s *Server) setPasswordPage(c echo.Context) error {
	op, err := s.store.PasswordLinkOperator(c.Request().Context(), linkSecret(c))
	if errors.Is(err, store.ErrNotFound) {
		return errBadLink
	}
	if err != nil {
		return err
	}
	v := views.SetPasswordPage{Page: s.page(c, "Set your password", ""), Name: op.Name, Email: op.Email,
		Action: "/set-password/" + linkSecret(c)}
	return s.render(c, http.StatusOK, views.SetPassword(v), nil)
}

type setPasswordForm struct {
	New string `form:"new_password"`
}

func (s *Server) setPassword(c echo.Context) error {
	var f setPasswordForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the form could not be read")
	}
	ctx, secret := c.Request().Context(), linkSecret(c)
	_, err := s.store.SetPasswordWithLink(ctx, c.RealIP(), secret, f.New)
	if errors.Is(err, store.ErrNotFound) {
		return errBadLink
	}
	v := views.SetPasswordPage{Page: s.page(c, "Set your password", ""), Action: "/set-password/" + secret}
	if err != nil {
		status, msg, ok := formError(err)
		if !ok {
			return err
		}
		op, lerr := s.store.PasswordLinkOperator(ctx, secret)
		if lerr != nil {
			return errBadLink
		}
		v.Name, v.Email, v.Error = op.Name, op.Email, msg
		return s.render(c, status, views.SetPassword(v), nil)
	}
	v.Done = true
	return s.render(c, http.StatusOK, views.SetPassword(v), nil)
}
