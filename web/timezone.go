package web

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

// timeZoneOf is the zone op reads times in: their own choice, else the
// deployment's (the display.time_zone setting), else UTC.
func (s *Server) timeZoneOf(ctx context.Context, op *store.Operator) *time.Location {
	if op.TimeZone != "" {
		if loc, err := store.LoadTimeZone(op.TimeZone); err == nil {
			return loc
		}
	}
	set, err := s.store.Settings(ctx)
	if err != nil {
		return time.UTC
	}
	return set.TimeZone()
}

// zoneOf is the zone of the request's viewer (see loadSession).
func zoneOf(c echo.Context) *time.Location { return views.TimeZone(c.Request().Context()) }

type timeZoneForm struct {
	TimeZone string `form:"time_zone"`
}

// setAccountTimeZone saves the zone the operator reads times in ("" for
// the deployment's default).
func (s *Server) setAccountTimeZone(c echo.Context) error {
	var f timeZoneForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the form could not be read")
	}
	op := currentOperator(c)
	ctx := c.Request().Context()
	name := strings.TrimSpace(f.TimeZone)
	if err := s.store.SetTimeZone(ctx, op.ID, name); err != nil {
		status, msg, ok := formError(err)
		if !ok {
			return err
		}
		v := s.accountPage(c)
		v.ZoneError = msg
		return s.render(c, status, views.AccountPassword(v), nil)
	}
	op.TimeZone = name
	r := c.Request()
	c.SetRequest(r.WithContext(views.WithTimeZone(ctx, s.timeZoneOf(ctx, op))))
	v := s.accountPage(c)
	v.ZoneSaved = true
	return s.render(c, http.StatusOK, views.AccountPassword(v), nil)
}

// accountPage is the account page's view model for the signed-in operator.
func (s *Server) accountPage(c echo.Context) views.PasswordPage {
	v := views.PasswordPage{Page: s.page(c, "Change password", ""), TimeZones: store.TimeZones, ZoneNow: views.DisplayTime(c.Request().Context(), store.Now())}
	if op := currentOperator(c); op != nil {
		v.TimeZone = op.TimeZone
	}
	if set, err := s.store.Settings(c.Request().Context()); err == nil {
		v.DefaultZone = set.Get(store.KeyTimeZone)
	}
	return v
}
