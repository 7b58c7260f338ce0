package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"reviewq/store"
)

// apiStats is the queue's state: the seed's fields (total_pending, by_type,
// oldest_task_created_at) and more.
func (s *Server) apiStats(c echo.Context) error {
	ctx := c.Request().Context()
	set, err := s.store.Settings(ctx)
	if err != nil {
		return err
	}
	st, err := s.store.QueueStats(ctx, set.SLAWarning(), set.SLACritical())
	if err != nil {
		return err
	}
	var oldestAge *int64
	if st.Oldest != nil {
		age := int64(time.Since(*st.Oldest) / time.Second)
		oldestAge = &age
	}
	return c.JSON(http.StatusOK, map[string]any{
		"total_pending":           st.TotalPending,
		"by_type":                 st.ByType,
		"by_source":               st.BySource,
		"oldest_task_created_at":  st.Oldest,
		"oldest_task_age_seconds": oldestAge,
		"sla": map[string]any{
			"warning_hours": set.Int(store.KeySLAWarningHours), "critical_hours": set.Int(store.KeySLACriticalHours),
			"at_risk": st.AtRisk, "breached": st.Breached,
		},
		"held_back_24h": st.HeldBack24h,
		"escalated":     st.Escalated,
		"snoozed":       st.Snoozed,
	})
}

type leadSummaryJSON struct {
	ID         int64  `json:"id"`
	ExternalID string `json:"external_id"`
	Name       string `json:"name"`
	Email      string `json:"email"`
	Company    string `json:"company"`
	Score      int    `json:"score"`
}

// taskListItem is a task with the lead fields the queue shows.
type taskListItem struct {
	taskJSON
	Lead leadSummaryJSON `json:"lead"`
}

// apiTasks lists pending tasks oldest first, one keyset page at a time.
func (s *Server) apiTasks(c echo.Context) error {
	cur, err := store.ParseCursor(c.QueryParam("cursor"))
	if err != nil {
		return err
	}
	campaign := c.QueryParam("campaign")
	// campaign_id is the seed's name for the same filter.
	if alias := c.QueryParam("campaign_id"); alias != "" {
		if campaign != "" && campaign != alias {
			return badRequest("campaign and campaign_id name the same filter: give one, or the same value in both")
		}
		campaign = alias
	}
	f := store.QueueFilter{ReviewType: c.QueryParam("review_type"), Campaign: campaign,
		Source: c.QueryParam("source"), After: cur}
	if err := s.teamFilter(c, &f); err != nil {
		return err
	}
	if raw := c.QueryParam("limit"); raw != "" {
		if f.Limit, err = strconv.Atoi(raw); err != nil || f.Limit < 1 {
			return badRequest("limit: must be a whole number from 1 to 200")
		}
	}
	items, next, err := s.store.ListPendingShared(c.Request().Context(), f)
	if err != nil {
		return err
	}
	out := make([]taskListItem, 0, len(items))
	for i := range items {
		it := &items[i]
		t := taskListItem{taskJSON: toTaskJSON(&it.Review), Lead: leadSummaryJSON{ID: it.LeadID, ExternalID: it.LeadExternalID,
			Name: it.LeadName, Email: it.LeadEmail, Company: it.LeadCompany, Score: it.LeadScore}}
		t.ExternalID = it.LeadExternalID
		out = append(out, t)
	}
	var nextCursor *string
	if next != nil {
		n := next.Encode()
		nextCursor = &n
	}
	return c.JSON(http.StatusOK, map[string]any{"tasks": out, "next_cursor": nextCursor})
}

func taskID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, httpError(http.StatusNotFound, "not_found", "no task with id "+strconv.Quote(c.Param("id")))
	}
	return id, nil
}

func taskNotFound(err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return httpError(http.StatusNotFound, "not_found", "no such task")
	}
	return err
}

// apiTask is one task with its lead and its history.
func (s *Server) apiTask(c echo.Context) error {
	id, err := taskID(c)
	if err != nil {
		return err
	}
	rl, events, err := s.store.GetReview(c.Request().Context(), id)
	if err != nil {
		return taskNotFound(err)
	}
	t := toTaskJSON(&rl.Review)
	t.ExternalID = rl.Lead.ExternalID
	lead := toLeadJSON(&rl.Lead)
	t.Lead = &lead
	t.History = make([]eventJSON, 0, len(events))
	for _, e := range events {
		t.History = append(t.History, toEventJSON(e))
	}
	return c.JSON(http.StatusOK, t)
}

// approveBody is what an outcome that takes a message (approve) accepts:
// notes, an edited message, and the version the client saw (optional:
// refuses the decision if it changed).
type approveBody struct {
	Notes   string `json:"notes"`
	Message *struct {
		Subject *string `json:"subject"`
		Body    *string `json:"body"`
	} `json:"message"`
	Version int `json:"version"`
}

// reasonBody is what the other outcomes accept.
type reasonBody struct {
	ReasonCode string `json:"reason_code"`
	Notes      string `json:"notes"`
	Version    int    `json:"version"`
}

// apiDecide decides a task (outcome: one of store.DecisionOutcomes); 409
// names who decided first. A message equal to the lead's is not an edit.
func (s *Server) apiDecide(outcome string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := taskID(c)
		if err != nil {
			return err
		}
		in := store.DecideInput{ReviewID: id, Outcome: outcome, Actor: actorOf(c)}
		if o, _ := store.OutcomeNamed(outcome); o.TakesMessage {
			var b approveBody
			if err := decodeJSON(c, &b, true); err != nil {
				return err
			}
			in.Notes, in.ExpectedVersion = b.Notes, b.Version
			if b.Message != nil {
				in.Subject, in.Body = b.Message.Subject, b.Message.Body
			}
		} else {
			var b reasonBody
			if err := decodeJSON(c, &b, true); err != nil {
				return err
			}
			in.ReasonCode, in.Notes, in.ExpectedVersion = b.ReasonCode, b.Notes, b.Version
		}
		if in.ExpectedVersion < 0 {
			return badRequest("version: must be a positive whole number")
		}
		d, err := s.store.Decide(c.Request().Context(), in)
		var ce *store.ConflictError
		if errors.As(err, &ce) {
			body := map[string]any{"code": "conflict", "message": ce.Message}
			if ce.Status != "" {
				body["status"], body["decided_by"], body["decided_at"] = ce.Status, ce.DecidedBy, ce.DecidedAt
			}
			return c.JSON(http.StatusConflict, map[string]any{"error": body})
		}
		if err != nil {
			return taskNotFound(err)
		}
		return c.JSON(http.StatusOK, toTaskJSON(d.Review))
	}
}
