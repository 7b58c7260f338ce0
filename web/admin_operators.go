package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

const operatorsPageSize = 50

func operatorURL(id int64) string { return "/admin/operators/" + strconv.FormatInt(id, 10) }

func operatorRow(ctx context.Context, o store.Operator) views.OperatorRow {
	return views.OperatorRow{ID: o.ID, Name: o.Name, Email: o.Email, Role: o.Role, Active: o.Active,
		CreatedAt: views.DisplayDate(ctx, o.CreatedAt), URL: operatorURL(o.ID)}
}

// linkURL is the set-password link an admin hands on: absolute from the
// configured BaseURL (the request's Host is whatever the client sent).
func (s *Server) linkURL(secret string) string {
	return strings.TrimSuffix(s.cfg.BaseURL, "/") + "/set-password/" + secret
}

type operatorsQuery struct {
	After string `query:"after"`
}

func (s *Server) operatorsVM(c echo.Context) (views.OperatorsPage, error) {
	var q operatorsQuery
	if err := c.Bind(&q); err != nil {
		return views.OperatorsPage{}, badRequest("the page address could not be read")
	}
	var after int64
	if q.After != "" {
		var err error
		if after, err = strconv.ParseInt(q.After, 10, 64); err != nil || after < 0 {
			return views.OperatorsPage{}, badRequest("after: not a valid position")
		}
	}
	ops, err := s.store.ListOperators(c.Request().Context(), after, operatorsPageSize+1)
	if err != nil {
		return views.OperatorsPage{}, err
	}
	v := views.OperatorsPage{Page: s.page(c, "Operators", "operators"), Roles: store.Roles, Form: views.OperatorForm{Role: store.RoleOperator, Mode: "link"}}
	if len(ops) > operatorsPageSize {
		ops = ops[:operatorsPageSize]
		v.NextURL = "/admin/operators?after=" + strconv.FormatInt(ops[len(ops)-1].ID, 10)
	}
	ids := make([]int64, 0, len(ops))
	for _, o := range ops {
		ids = append(ids, o.ID)
	}
	skills, err := s.store.SkillsOf(c.Request().Context(), ids)
	if err != nil {
		return views.OperatorsPage{}, err
	}
	for _, o := range ops {
		row := operatorRow(c.Request().Context(), o)
		row.Skills = skills[o.ID]
		v.Rows = append(v.Rows, row)
	}
	return v, nil
}

func (s *Server) operatorsPage(c echo.Context) error {
	v, err := s.operatorsVM(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.Operators(v), nil)
}

type createOperatorForm struct {
	Name     string `form:"name"`
	Email    string `form:"email"`
	Role     string `form:"role"`
	Mode     string `form:"mode"`
	Password string `form:"password"`
}

// formError turns a store's refusal into a message for the form and its
// status; anything else goes to the central error handler.
func formError(err error) (int, string, bool) {
	var ve *store.ValidationError
	var ce *store.ConflictError
	switch {
	case errors.As(err, &ve):
		return http.StatusBadRequest, ve.Error(), true
	case errors.As(err, &ce):
		return http.StatusConflict, ce.Message, true
	}
	return 0, "", false
}

func (s *Server) createOperator(c echo.Context) error {
	var f createOperatorForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the form could not be read")
	}
	ctx, actor, ip := c.Request().Context(), actorOf(c), c.RealIP()
	in := store.NewOperator{Email: f.Email, Name: f.Name, Role: f.Role, Password: f.Password}
	var op *store.Operator
	var secret string
	var err error
	switch f.Mode {
	case "password":
		op, err = s.store.CreateOperator(ctx, actor, ip, in)
	case "link", "":
		op, secret, err = s.store.CreateOperatorWithLink(ctx, actor, ip, in)
	default:
		err = &store.ValidationError{Field: "mode", Message: "must be password or link"}
	}
	v, verr := s.operatorsVM(c)
	if verr != nil {
		return verr
	}
	if err != nil {
		status, msg, ok := formError(err)
		if !ok {
			return err
		}
		v.Error, v.Form = msg, views.OperatorForm{Name: f.Name, Email: f.Email, Role: f.Role, Mode: f.Mode}
		return s.render(c, status, views.Operators(v), nil)
	}
	v.Created = &views.CreatedOperator{Email: op.Email}
	if secret != "" {
		v.Created.Link = s.linkURL(secret)
	}
	return s.render(c, http.StatusCreated, views.Operators(v), nil)
}

// operatorDetail renders one account's page with an optional message.
func (s *Server) operatorDetail(c echo.Context, id int64, status int, flash *views.Flash, link string) error {
	ctx := c.Request().Context()
	op, err := s.store.GetOperator(ctx, id)
	if err != nil {
		return err
	}
	var after *store.SessionCursor
	if raw := c.QueryParam("after"); raw != "" && c.Request().Method == http.MethodGet {
		if after, err = parseSessionCursor(raw); err != nil {
			return err
		}
	}
	sessions, next, err := s.store.ListOperatorSessions(ctx, id, after, 50)
	if err != nil {
		return err
	}
	v := views.OperatorDetailPage{Page: s.page(c, op.Name, "operators"), Op: operatorRow(c.Request().Context(), *op), Roles: store.Roles,
		Flash: flash, Link: link, Self: currentOperator(c).ID == op.ID, TimeZone: op.TimeZone, TimeZones: store.TimeZones}
	if v.MFAEnabled, err = s.store.MFAEnabled(ctx, id); err != nil {
		return err
	}
	skills, err := s.store.SkillsOf(ctx, []int64{id})
	if err != nil {
		return err
	}
	v.Op.Skills, v.SkillsText = skills[id], strings.Join(skills[id], ", ")
	current, _ := c.Get(ctxSessionTok).(string)
	for _, se := range sessions {
		v.Sessions = append(v.Sessions, views.SessionRow{
			ID: se.ID, Created: fmtTime(c.Request().Context(), se.CreatedAt), LastSeen: fmtTime(c.Request().Context(), se.LastSeenAt), Expires: fmtTime(c.Request().Context(), se.ExpiresAt),
			IP: se.IP, UserAgent: se.UserAgent, Current: current != "" && store.HashToken(current) == se.ID,
		})
	}
	if next != nil {
		v.NextSessionsURL = operatorURL(id) + "?after=" + url.QueryEscape(next.CreatedAt.Format(time.RFC3339Nano)+"|"+next.ID)
	}
	return s.render(c, status, views.OperatorDetail(v), nil)
}

// parseSessionCursor reads "RFC3339 time|session id" back.
func parseSessionCursor(raw string) (*store.SessionCursor, error) {
	ts, id, ok := strings.Cut(raw, "|")
	t, err := time.Parse(time.RFC3339Nano, ts)
	if !ok || err != nil || len(id) != 64 {
		return nil, badRequest("after: not a valid position")
	}
	return &store.SessionCursor{CreatedAt: t, ID: id}, nil
}

// fmtTime is t for the request's viewer (views.DisplayTime).
func fmtTime(ctx context.Context, t time.Time) string { return views.DisplayTime(ctx, t) }

func (s *Server) operatorPage(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	done := map[string]string{
		"role": "Role changed.", "deactivated": "Account deactivated; its sessions have ended.",
		"reactivated": "Account reactivated.", "password": "Password set; every session of the account has ended.",
		"revoked": "Session revoked.", "revoked-all": "Every session of the account has ended.",
		"mfa-reset": "Two-factor sign-in reset; every session of the account has ended.",
		"time-zone": "Time zone set.",
		"skills":    "Skills saved: auto-assignment rules use them for reviews opened from now on.",
	}
	var flash *views.Flash
	if msg, ok := done[c.QueryParam("done")]; ok {
		flash = &views.Flash{Kind: "info", Message: msg}
	}
	return s.operatorDetail(c, id, http.StatusOK, flash, "")
}

// afterChange answers an account change: back to the account page (303)
// on success, the page with the refusal otherwise.
func (s *Server) afterChange(c echo.Context, id int64, err error, done string) error {
	if err != nil {
		status, msg, ok := formError(err)
		if !ok {
			return err
		}
		return s.operatorDetail(c, id, status, &views.Flash{Kind: "error", Message: msg}, "")
	}
	return c.Redirect(http.StatusSeeOther, operatorURL(id)+"?done="+done)
}

type roleForm struct {
	Role string `form:"role"`
}

func (s *Server) setOperatorRole(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	var f roleForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the form could not be read")
	}
	_, err = s.store.SetRole(c.Request().Context(), actorOf(c), c.RealIP(), id, f.Role)
	return s.afterChange(c, id, err, "role")
}

// setOperatorTimeZone is an admin setting an account's time zone.
func (s *Server) setOperatorTimeZone(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	var f timeZoneForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the form could not be read")
	}
	_, err = s.store.SetOperatorTimeZone(c.Request().Context(), actorOf(c), c.RealIP(), id, f.TimeZone)
	return s.afterChange(c, id, err, "time-zone")
}

func (s *Server) setOperatorActive(active bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := parseID(c)
		if err != nil {
			return err
		}
		_, err = s.store.SetActive(c.Request().Context(), actorOf(c), c.RealIP(), id, active)
		done := "deactivated"
		if active {
			done = "reactivated"
		}
		return s.afterChange(c, id, err, done)
	}
}

type resetPasswordForm struct {
	Mode     string `form:"mode"`
	Password string `form:"password"`
}

func (s *Server) resetOperatorPassword(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	var f resetPasswordForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the form could not be read")
	}
	ctx, actor, ip := c.Request().Context(), actorOf(c), c.RealIP()
	switch f.Mode {
	case "password":
		_, err = s.store.ResetPassword(ctx, actor, ip, id, f.Password)
		return s.afterChange(c, id, err, "password")
	case "link":
		secret, err := s.store.CreatePasswordLink(ctx, actor, ip, id)
		if err != nil {
			return s.afterChange(c, id, err, "")
		}
		return s.operatorDetail(c, id, http.StatusOK, nil, s.linkURL(secret))
	}
	return badRequest("mode: must be password or link")
}

type revokeForm struct {
	Session string `form:"session"`
}

func (s *Server) revokeOperatorSessions(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	var f revokeForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the form could not be read")
	}
	ctx, actor, ip := c.Request().Context(), actorOf(c), c.RealIP()
	if f.Session == "all" {
		_, err = s.store.RevokeOperatorSessions(ctx, actor, ip, id)
		return s.afterChange(c, id, err, "revoked-all")
	}
	if len(f.Session) != 64 {
		return badRequest("session: not a session of this account")
	}
	return s.afterChange(c, id, s.store.RevokeSession(ctx, actor, ip, id, f.Session), "revoked")
}
