package web

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

// The review pane's team actions: assign, escalate, send back, snooze and
// unsnooze. Each answers with the pane as it is afterwards; a refusal shows
// in the pane (409 someone else changed it, 403 the role does not allow it,
// 400 bad input) and changes nothing.

type teamForm struct {
	Version  string `form:"version"`
	Assignee string `form:"assignee"`
	Note     string `form:"note"`
	Preset   string `form:"preset"`
	Until    string `form:"until"`
	Reason   string `form:"reason_code"`
}

// bindTeam reads the pane's team form into a store.TeamChange.
func bindTeam(c echo.Context) (store.TeamChange, teamForm, error) {
	var f teamForm
	id, err := parseID(c)
	if err != nil {
		return store.TeamChange{}, f, err
	}
	if err := c.Bind(&f); err != nil {
		return store.TeamChange{}, f, badRequest("the form could not be read")
	}
	version, err := formVersion(f.Version)
	if err != nil {
		return store.TeamChange{}, f, err
	}
	return store.TeamChange{ReviewID: id, ExpectedVersion: version, Actor: actorOf(c), IP: c.RealIP()}, f, nil
}

// teamDone answers a team action: the pane with notice, or the refusal in it.
func (s *Server) teamDone(c echo.Context, id int64, err error, notice string) error {
	var fe *store.ForbiddenError
	var ve *store.ValidationError
	switch {
	case errors.As(err, &fe):
		return s.paneAfter(c, id, http.StatusForbidden, func(p *views.ReviewPane) { p.Error = "Not done: " + fe.Message + "." })
	case errors.As(err, &ve):
		return s.paneAfter(c, id, http.StatusBadRequest, func(p *views.ReviewPane) { p.Error = "Not done: " + ve.Error() + "." })
	case err != nil:
		return s.paneRefused(c, id, err)
	}
	return s.paneAfter(c, id, http.StatusOK, func(p *views.ReviewPane) { p.Notice = notice })
}

func (s *Server) assignReview(c echo.Context) error {
	in, f, err := bindTeam(c)
	if err != nil {
		return err
	}
	email := strings.TrimSpace(f.Assignee)
	if email == "me" {
		email = ""
		if op := currentOperator(c); op != nil {
			email = op.Email
		}
	}
	_, err = s.store.Assign(c.Request().Context(), store.AssignInput{TeamChange: in, AssigneeEmail: email})
	notice := "Assignment cleared."
	if email != "" {
		notice = "Assigned."
	}
	return s.teamDone(c, in.ReviewID, err, notice)
}

func (s *Server) escalateReview(c echo.Context) error {
	in, f, err := bindTeam(c)
	if err != nil {
		return err
	}
	_, err = s.store.Escalate(c.Request().Context(), in, f.Note)
	return s.teamDone(c, in.ReviewID, err, "Escalated to the leads.")
}

func (s *Server) sendBackReview(c echo.Context) error {
	in, _, err := bindTeam(c)
	if err != nil {
		return err
	}
	_, err = s.store.SendBack(c.Request().Context(), in)
	return s.teamDone(c, in.ReviewID, err, "Sent back to the operators' queue.")
}

// snoozeUntil is the time a snooze form asks for: a preset (1h, tomorrow
// 09:00 in the operator's zone loc) or a custom time as a datetime-local
// input sends it, read in loc. The second result names what is wrong (""
// when nothing is).
func snoozeUntil(preset, custom string, now time.Time, loc *time.Location) (time.Time, string) {
	switch preset {
	case "1h":
		return now.Add(time.Hour), ""
	case "tomorrow":
		// The calendar day after today where the operator is; 09:00 on a
		// day that skips it (a DST gap) is normalised by time.Date.
		d := now.In(loc).AddDate(0, 0, 1)
		return time.Date(d.Year(), d.Month(), d.Day(), 9, 0, 0, 0, loc).UTC(), ""
	case "custom", "":
		for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", time.RFC3339} {
			if t, err := time.ParseInLocation(layout, strings.TrimSpace(custom), loc); err == nil {
				return t.UTC(), ""
			}
		}
		return time.Time{}, "until: give a date and time (" + loc.String() + ")"
	}
	return time.Time{}, "preset: must be 1h, tomorrow or custom"
}

func (s *Server) snoozeReview(c echo.Context) error {
	in, f, err := bindTeam(c)
	if err != nil {
		return err
	}
	until, problem := snoozeUntil(f.Preset, f.Until, store.Now(), zoneOf(c))
	if problem != "" {
		return s.paneAfter(c, in.ReviewID, http.StatusBadRequest, func(p *views.ReviewPane) { p.Error = "Not done: " + problem + "." })
	}
	r, err := s.store.Snooze(c.Request().Context(), in, until, f.Reason)
	notice := ""
	if err == nil {
		notice = "Snoozed until " + fmtTime(c.Request().Context(), *r.SnoozedUntil) + "."
	}
	return s.teamDone(c, in.ReviewID, err, notice)
}

func (s *Server) unsnoozeReview(c echo.Context) error {
	in, _, err := bindTeam(c)
	if err != nil {
		return err
	}
	_, err = s.store.Unsnooze(c.Request().Context(), in)
	return s.teamDone(c, in.ReviewID, err, "Back in the queue.")
}

// teamPane fills the pane's team part: assignment, escalation, snooze.
func teamPane(ctx context.Context, p *views.ReviewPane, r *store.Review, op *store.Operator, set store.Settings, now time.Time) {
	p.IsLead = isLead(op)
	p.Assignee = derefStr(r.AssigneeName)
	mine := op != nil && r.AssigneeID != nil && *r.AssigneeID == op.ID
	p.CanTake = op != nil && r.AssigneeID == nil
	p.CanClear = r.AssigneeID != nil && (mine || p.IsLead)
	p.AssignedToOther = r.AssigneeID != nil && !mine
	if r.EscalatedAt != nil {
		p.Escalated, p.EscalationNote, p.EscalatedAt = true, derefStr(r.EscalationNote), fmtTime(ctx, *r.EscalatedAt)
	}
	if r.Snoozed(now) {
		p.SnoozedUntil, p.SnoozeReason = fmtTime(ctx, *r.SnoozedUntil), derefStr(r.SnoozeReason)
	}
	p.SnoozeCodes = set.List(store.KeyReasonsSnooze)
}
