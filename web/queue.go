package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

const queuePageSize = 50

// queueQuery is the queue's filter as it appears in the URL.
type queueQuery struct {
	Type   string `query:"type"`
	Cursor string `query:"cursor"`
}

func (q queueQuery) filter() (store.QueueFilter, error) {
	cur, err := store.ParseCursor(q.Cursor)
	if err != nil {
		return store.QueueFilter{}, err
	}
	f := store.QueueFilter{ReviewType: q.Type, After: cur, Limit: queuePageSize}
	return f, f.Validate()
}

func queueURL(path, typ, cursor string) string {
	v := url.Values{}
	if typ != "" {
		v.Set("type", typ)
	}
	if cursor != "" {
		v.Set("cursor", cursor)
	}
	if len(v) == 0 {
		return path
	}
	return path + "?" + v.Encode()
}

// humanAge is an age as an operator reads it: 5m, 3h 20m, 2d 4h.
func humanAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 24*time.Hour:
		return fmt.Sprintf("%dh %dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return fmt.Sprintf("%dd %dh", int(d.Hours())/24, int(d.Hours())%24)
	}
}

func slaLevel(age time.Duration, set store.Settings) string {
	switch {
	case age >= set.SLACritical():
		return "critical"
	case age >= set.SLAWarning():
		return "warning"
	}
	return ""
}

func (s *Server) queueRowsVM(items []store.QueueItem, next *store.Cursor, typ string, set store.Settings) views.QueueRows {
	now := store.Now()
	rows := views.QueueRows{Items: make([]views.QueueRow, 0, len(items)), Empty: "Nothing waiting for review. Well done."}
	for _, it := range items {
		age := now.Sub(it.FlaggedAt)
		r := views.QueueRow{
			ID: it.ID, Version: it.Version, Age: humanAge(age), FlaggedAt: it.FlaggedAt.Format(time.RFC3339),
			SLA: slaLevel(age, set), Type: it.ReviewType, Reason: it.Reason, Source: it.Source,
			LeadName: it.LeadName, Company: it.LeadCompany, Email: it.LeadEmail, Campaign: it.LeadCampaign,
			Score: it.LeadScore, RejectCodes: set.RejectCodes(), SkipCodes: set.SkipCodes(),
		}
		if it.ClaimedByName != nil && it.ClaimExpiresAt != nil && it.ClaimExpiresAt.After(now) {
			r.ClaimedBy = *it.ClaimedByName
		}
		rows.Items = append(rows.Items, r)
	}
	if next != nil {
		rows.NextURL = queueURL("/dashboard/review-queue/rows", typ, next.Encode())
	}
	return rows
}

// queuePage is the operator's queue: pending reviews oldest first.
func (s *Server) queuePage(c echo.Context) error {
	var q queueQuery
	if err := c.Bind(&q); err != nil {
		return badRequest("the filter could not be read")
	}
	f, err := q.filter()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	set, err := s.store.Settings(ctx)
	if err != nil {
		return err
	}
	items, next, err := s.store.ListPending(ctx, f)
	if err != nil {
		return err
	}
	counts, err := s.store.CountPending(ctx)
	if err != nil {
		return err
	}
	v := views.QueuePage{Page: s.page(c, "Review queue", "queue"), Type: q.Type, Total: counts.Total, Enabled: set.QueueEnabled(),
		Rows: s.queueRowsVM(items, next, q.Type, set)}
	v.Types = append(v.Types, views.TypeChip{Label: "All", URL: "/dashboard/review-queue", Count: counts.Total, Active: q.Type == ""})
	for _, t := range store.ReviewTypes {
		v.Types = append(v.Types, views.TypeChip{Label: t, URL: queueURL("/dashboard/review-queue", t, ""), Count: counts.ByType[t], Active: q.Type == t})
	}
	return s.render(c, http.StatusOK, views.Queue(v), nil)
}

// queueRows is the htmx partial behind "Load more": the next keyset page.
func (s *Server) queueRows(c echo.Context) error {
	var q queueQuery
	if err := c.Bind(&q); err != nil {
		return badRequest("the filter could not be read")
	}
	f, err := q.filter()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	set, err := s.store.Settings(ctx)
	if err != nil {
		return err
	}
	items, next, err := s.store.ListPending(ctx, f)
	if err != nil {
		return err
	}
	rows := s.queueRowsVM(items, next, q.Type, set)
	rows.Empty = ""
	return s.renderComponent(c, http.StatusOK, views.Rows(rows))
}

// decisionForm is what a row's decision form posts.
type decisionForm struct {
	ReasonCode string `form:"reason_code"`
	Notes      string `form:"notes"`
	Version    string `form:"version"`
}

func parseID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}

var outcomeDone = map[string]string{store.OutcomeApprove: "Approved", store.OutcomeReject: "Rejected", store.OutcomeSkip: "Skipped"}

// decideRow decides one review from its row and swaps the row for the
// outcome; when someone else decided first the row says who and when (409).
func (s *Server) decideRow(outcome string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := parseID(c)
		if err != nil {
			return err
		}
		var f decisionForm
		if err := c.Bind(&f); err != nil {
			return badRequest("the decision form could not be read")
		}
		version := 0
		if f.Version != "" {
			if version, err = strconv.Atoi(f.Version); err != nil || version < 0 {
				return badRequest("version: not a number")
			}
		}
		ctx := c.Request().Context()
		r, err := s.store.Decide(ctx, store.DecideInput{ReviewID: id, Outcome: outcome, ReasonCode: f.ReasonCode, Notes: f.Notes,
			ExpectedVersion: version, Actor: actorOf(c)})
		var ce *store.ConflictError
		status := http.StatusOK
		var msg string
		switch {
		case errors.As(err, &ce):
			status, msg = http.StatusConflict, "Not decided: "+ce.Message+"."
		case err != nil:
			return err
		default:
			msg = fmt.Sprintf("%s by you", outcomeDone[outcome])
			if r.ReasonCode != nil {
				msg += " (" + *r.ReasonCode + ")"
			}
			msg += "."
		}
		counts, err := s.store.CountPending(ctx)
		if err != nil {
			return err
		}
		return s.renderComponent(c, status, views.Decided(views.DecidedRow{ID: id, Message: msg, Conflict: status == http.StatusConflict, Count: &counts.Total}))
	}
}
