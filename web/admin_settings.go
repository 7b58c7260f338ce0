package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

// settingKind picks the form input from the default's shape.
func settingKind(def string) string {
	if _, err := strconv.ParseBool(def); err == nil {
		return "bool"
	}
	if _, err := strconv.Atoi(def); err == nil {
		return "int"
	}
	return "list"
}

func (s *Server) settingRow(c echo.Context, v store.SettingValue) views.SettingRow {
	r := views.SettingRow{CSRF: s.csrfToken(c), Key: v.Key, Description: v.Description, Kind: settingKind(v.Default),
		Value: v.Value, Default: v.Default, IsDefault: v.Value == v.Default}
	if v.UpdatedAt != nil {
		r.ChangedBy, r.ChangedAt = v.UpdatedBy, fmtOptTime(c.Request().Context(), v.UpdatedAt)
	}
	return r
}

func (s *Server) settingsPage(c echo.Context) error {
	all, err := s.store.ListSettings(c.Request().Context())
	if err != nil {
		return err
	}
	v := views.SettingsPage{Page: s.page(c, "Settings", "settings"), TTL: s.store.Options().SettingsTTL.String()}
	for _, sv := range all {
		v.Rows = append(v.Rows, s.settingRow(c, sv))
	}
	return s.renderComponent(c, http.StatusOK, views.Settings(v))
}

// setSetting changes one setting; htmx gets the row back with what
// happened, a refused value keeps the row and says why (400).
func (s *Server) setSetting(c echo.Context) error {
	key := c.Param("key")
	if err := store.CheckSettingKey(key); err != nil {
		return httpError(http.StatusNotFound, "not_found", "no such setting")
	}
	ctx := c.Request().Context()
	status, saved, refused := http.StatusOK, "", ""
	norm, err := s.store.SetSetting(ctx, actorOf(c), c.RealIP(), key, c.FormValue("value"))
	var ve *store.ValidationError
	switch {
	case errors.As(err, &ve):
		status, refused = http.StatusBadRequest, "Not saved: "+ve.Message
	case err != nil:
		return err
	default:
		saved = fmt.Sprintf("Saved: %s. Every instance uses it within %s.", norm, s.store.Options().SettingsTTL)
	}
	if !isHTMX(c) {
		if status != http.StatusOK {
			return badRequest(key + ": " + ve.Message)
		}
		return c.Redirect(http.StatusSeeOther, "/admin/settings")
	}
	all, err := s.store.ListSettings(ctx)
	if err != nil {
		return err
	}
	for _, sv := range all {
		if sv.Key == key {
			r := s.settingRow(c, sv)
			r.Saved, r.Error = saved, refused
			if refused != "" {
				// The refused value stays in the field, next to why, to correct.
				r.Error += " The setting stays " + sv.Value + "."
				r.Value = c.FormValue("value")
			}
			return s.renderComponent(c, status, views.SettingRowView(r))
		}
	}
	return errNotFound
}
