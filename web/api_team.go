package web

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reviewq/store"
)

// The team actions of the API: assign, escalate, snooze and unsnooze a
// task. Each answers the task as it is after the change; a refused change
// is a 4xx and changes nothing (409 when the task changed meanwhile).

// teamChange is the task id, the optional version the caller saw, the
// actor and their address.
func teamChange(c echo.Context, version int) (store.TeamChange, error) {
	id, err := taskID(c)
	if err != nil {
		return store.TeamChange{}, err
	}
	if version < 0 {
		return store.TeamChange{}, badRequest("version: must be a positive whole number")
	}
	return store.TeamChange{ReviewID: id, ExpectedVersion: version, Actor: actorOf(c), IP: c.RealIP()}, nil
}

// teamAnswer is the task after a team action, or the error.
func teamAnswer(c echo.Context, r *store.Review, err error) error {
	if err != nil {
		return taskNotFound(err)
	}
	return c.JSON(http.StatusOK, toTaskJSON(r))
}

func (s *Server) apiAssign(c echo.Context) error {
	var b struct {
		// Assignee is an operator's email; null (or absent) clears it.
		Assignee json.RawMessage `json:"assignee"`
		Version  int             `json:"version"`
	}
	if err := decodeJSON(c, &b, false); err != nil {
		return err
	}
	email := ""
	raw := strings.TrimSpace(string(b.Assignee))
	if raw == "" {
		return badRequest("assignee: is required: an operator's email, or null to clear the assignment")
	}
	if raw != "null" {
		if err := json.Unmarshal(b.Assignee, &email); err != nil || strings.TrimSpace(email) == "" {
			return badRequest("assignee: must be an operator's email, or null to clear the assignment")
		}
	}
	in, err := teamChange(c, b.Version)
	if err != nil {
		return err
	}
	r, err := s.store.Assign(c.Request().Context(), store.AssignInput{TeamChange: in, AssigneeEmail: email})
	return teamAnswer(c, r, err)
}

func (s *Server) apiEscalate(c echo.Context) error {
	var b struct {
		Note    string `json:"note"`
		Version int    `json:"version"`
	}
	if err := decodeJSON(c, &b, false); err != nil {
		return err
	}
	in, err := teamChange(c, b.Version)
	if err != nil {
		return err
	}
	r, err := s.store.Escalate(c.Request().Context(), in, b.Note)
	return teamAnswer(c, r, err)
}

func (s *Server) apiSnooze(c echo.Context) error {
	var b struct {
		Until      string `json:"until"`
		ReasonCode string `json:"reason_code"`
		Version    int    `json:"version"`
	}
	if err := decodeJSON(c, &b, false); err != nil {
		return err
	}
	until, err := time.Parse(time.RFC3339, b.Until)
	if err != nil {
		return badRequest("until: must be a time in RFC 3339 (e.g. 2026-12-02T09:00:00Z)")
	}
	in, err := teamChange(c, b.Version)
	if err != nil {
		return err
	}
	r, err := s.store.Snooze(c.Request().Context(), in, until, b.ReasonCode)
	return teamAnswer(c, r, err)
}

func (s *Server) apiUnsnooze(c echo.Context) error {
	var b struct {
		Version int `json:"version"`
	}
	if err := decodeJSON(c, &b, true); err != nil {
		return err
	}
	in, err := teamChange(c, b.Version)
	if err != nil {
		return err
	}
	r, err := s.store.Unsnooze(c.Request().Context(), in)
	return teamAnswer(c, r, err)
}

// teamFilter reads the task list's assignee and state parameters into f:
// assignee is me (the signed-in operator), an operator's email or none;
// state is escalated or snoozed (absent: neither).
func (s *Server) teamFilter(c echo.Context, f *store.QueueFilter) error {
	switch a := strings.TrimSpace(c.QueryParam("assignee")); a {
	case "":
	case "none":
		f.Unassigned = true
	case "me":
		op := currentOperator(c)
		if op == nil {
			return badRequest("assignee: me names the signed-in operator; a token has none, give an email")
		}
		f.AssigneeID = op.ID
	default:
		op, err := s.store.GetOperatorByEmail(c.Request().Context(), a)
		if err != nil {
			if errors.Is(err, store.ErrNotFound) {
				return badRequest("assignee: no operator with email " + a)
			}
			return err
		}
		f.AssigneeID = op.ID
	}
	switch st := c.QueryParam("state"); st {
	case "", store.StateEscalated, store.StateSnoozed:
		f.State = st
	default:
		return badRequest("state: must be escalated or snoozed")
	}
	return nil
}
