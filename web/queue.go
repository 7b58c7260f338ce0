package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

const queuePageSize = 50

// queueQuery is the queue's filter as it appears in the URL (and in the
// filter form, which htmx includes in every request that needs it).
type queueQuery struct {
	Type     string `query:"type" form:"type"`
	Campaign string `query:"campaign" form:"campaign"`
	Source   string `query:"source" form:"source"`
	Age      string `query:"age" form:"age"`
	Search   string `query:"q" form:"q"`
	Sort     string `query:"sort" form:"sort"`
	Cursor   string `query:"cursor" form:"cursor"`
	// State is "" (neither escalated nor snoozed), escalated or snoozed.
	State string `query:"state" form:"state"`
	// Assignee is any, me or none; "" is me for an operator with reviews
	// assigned, else any (see queuePage).
	Assignee string `query:"assignee" form:"assignee"`
	// me is the signed-in operator, for assignee=me.
	me int64
}

// params is the filter and sort without the cursor: what store.QueueParams
// (the one parser of these parameters, saved views' too) reads.
func (q queueQuery) params() store.QueueParams {
	return store.QueueParams{Type: q.Type, Campaign: q.Campaign, Source: q.Source, Age: q.Age, Search: q.Search, Sort: q.Sort,
		State: q.State, Assignee: q.Assignee}
}

func (q queueQuery) filter() (store.QueueFilter, error) {
	cur, err := store.ParseCursor(q.Cursor)
	if err != nil {
		return store.QueueFilter{}, err
	}
	f, err := q.params().Filter(q.me)
	if err != nil {
		return f, err
	}
	f.After, f.Limit = cur, queuePageSize
	return f, f.Validate()
}

// values is the filter as URL parameters, leaving out what is unset.
func (q queueQuery) values() url.Values {
	v := q.params().Values()
	// assignee=any is what the form sends for "anyone"; the URL leaves it
	// out, as it is the default but for operators with assigned reviews
	// (whose reload then shows theirs again). A saved view keeps it.
	if v.Get("assignee") == "any" {
		v.Del("assignee")
	}
	if q.Cursor != "" {
		v.Set("cursor", q.Cursor)
	}
	return v
}

func (q queueQuery) url(path string) string {
	if v := q.values(); len(v) > 0 {
		return path + "?" + v.Encode()
	}
	return path
}

// openReviewQuery is the filter ("?..." or "") that a review's URL
// carries, so the page it names shows the same list around it.
func (q queueQuery) openReviewQuery() string {
	q.Cursor = ""
	if v := q.values(); len(v) > 0 {
		return "?" + v.Encode()
	}
	return ""
}

// bindQueue reads the filter from the query string or the posted form.
func bindQueue(c echo.Context) (queueQuery, store.QueueFilter, error) {
	var q queueQuery
	if err := c.Bind(&q); err != nil {
		return q, store.QueueFilter{}, badRequest("the filter could not be read")
	}
	if op := currentOperator(c); op != nil {
		q.me = op.ID
	}
	f, err := q.filter()
	return q, f, err
}

// humanAge is an age as an operator reads it: 5m, 3h 20m, 2d 4h.
func humanAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + "m"
	case d < 24*time.Hour:
		return strconv.Itoa(int(d.Hours())) + "h " + strconv.Itoa(int(d.Minutes())%60) + "m"
	default:
		return strconv.Itoa(int(d.Hours())/24) + "d " + strconv.Itoa(int(d.Hours())%24) + "h"
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

func rowState(ctx context.Context, id int64, claimedBy *int64, name *string, expires *time.Time, me store.Actor, now time.Time) views.RowState {
	s := views.RowState{ID: id}
	if claimedBy != nil && expires != nil && expires.After(now) {
		s.ClaimedBy, s.Mine, s.Until = derefStr(name), me.HoldsClaim(claimedBy), views.DisplayClock(ctx, *expires)
	}
	return s
}

func derefStr(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (s *Server) queueRowsVM(c echo.Context, items []store.QueueItem, next *store.Cursor, q queueQuery, set store.Settings) views.QueueRows {
	now := store.Now()
	me := actorOf(c)
	rows := views.QueueRows{Items: make([]views.QueueRow, 0, len(items))}
	filter := q.openReviewQuery()
	for _, it := range items {
		age := now.Sub(it.FlaggedAt)
		idText := strconv.FormatInt(it.ID, 10)
		rows.Items = append(rows.Items, views.QueueRow{
			ID: it.ID, IDText: idText, OpenURL: "/dashboard/review-queue/" + idText + filter, Version: it.Version, Cursor: store.CursorOf(&it.Review, q.Sort).Encode(), Age: humanAge(age),
			FlaggedAt: it.FlaggedAt.Format(time.RFC3339), SLA: slaLevel(age, set), Type: it.ReviewType, Reason: it.Reason,
			Source: it.Source, LeadName: it.LeadName, Company: it.LeadCompany, Email: it.LeadEmail, Campaign: it.LeadCampaign,
			Score: it.ScoreAtFlag, State: rowState(c.Request().Context(), it.ID, it.ClaimedBy, it.ClaimedByName, it.ClaimExpiresAt, me, now),
			Team: teamSummary(c.Request().Context(), &it.Review, now),
		})
	}
	if next != nil {
		nq := q
		nq.Cursor = next.Encode()
		rows.NextURL = nq.url("/dashboard/review-queue/rows")
	}
	return rows
}

// matchingCount is the number of pending reviews the filter shows: the
// chosen type's count, or all of them.
func matchingCount(q queueQuery, counts store.PendingCounts) int64 {
	if q.Type != "" {
		return counts.ByType[q.Type]
	}
	return counts.Total
}

func typeChips(q queueQuery, counts store.PendingCounts) []views.TypeChip {
	chips := []views.TypeChip{{Value: "", Label: "All", Count: counts.Total, Active: q.Type == ""}}
	for _, t := range store.ReviewTypes {
		chips = append(chips, views.TypeChip{Value: t, Label: t, Count: counts.ByType[t], Active: q.Type == t})
	}
	return chips
}

// queueResults lists the first page for the filter, with its counts.
func (s *Server) queueResults(c echo.Context, q queueQuery, f store.QueueFilter, set store.Settings) (views.QueueResults, error) {
	ctx := c.Request().Context()
	items, next, err := s.store.ListPendingShared(ctx, f)
	if err != nil {
		return views.QueueResults{}, err
	}
	matching, err := s.store.CountPendingMatching(ctx, f)
	if err != nil {
		return views.QueueResults{}, err
	}
	total, err := s.store.CountPending(ctx)
	if err != nil {
		return views.QueueResults{}, err
	}
	res := views.QueueResults{Rows: s.queueRowsVM(c, items, next, q, set), Total: total.Total, Types: typeChips(q, matching),
		Matching: matchingCount(q, matching)}
	if f.After == nil {
		if total.Total == 0 {
			res.Rows.Empty = "Nothing waiting for review. Well done."
			res.Rows.EmptyHint = "New reviews appear here by themselves."
		} else {
			res.Rows.Empty = "No pending review matches this filter."
			res.Rows.EmptyHint = "Clear the filters to see all " + strconv.FormatInt(total.Total, 10) + " pending reviews."
		}
	}
	return res, nil
}

func (s *Server) queuePageVM(c echo.Context, q queueQuery, f store.QueueFilter) (views.QueuePage, error) {
	ctx := c.Request().Context()
	set, err := s.store.Settings(ctx)
	if err != nil {
		return views.QueuePage{}, err
	}
	res, err := s.queueResults(c, q, f, set)
	if err != nil {
		return views.QueuePage{}, err
	}
	fv := views.QueueFilterVM{Type: q.Type, Campaign: q.Campaign, Source: q.Source, Age: q.Age, Search: q.Search, Sort: f.Sort,
		Types: res.Types, Sources: store.Sources,
		AgeBands: []views.Option{
			{Value: store.AgeFresh, Label: fmt.Sprintf("under %d h", set.Int(store.KeySLAWarningHours))},
			{Value: store.AgeWarning, Label: fmt.Sprintf("%d–%d h (SLA soon)", set.Int(store.KeySLAWarningHours), set.Int(store.KeySLACriticalHours))},
			{Value: store.AgeCritical, Label: fmt.Sprintf("over %d h (SLA breached)", set.Int(store.KeySLACriticalHours))},
		},
		State: q.State, Assignee: q.Assignee,
		Active: q.Type != "" || q.Campaign != "" || q.Source != "" || q.Age != "" || q.Search != "" || q.State != "" || (q.Assignee != "" && q.Assignee != "any")}
	if isLead(currentOperator(c)) {
		ops, err := s.activeOperators(ctx)
		if err != nil {
			return views.QueuePage{}, err
		}
		for _, op := range ops {
			fv.Assignees = append(fv.Assignees, views.Option{Value: op.Email, Label: op.Name})
		}
	}
	p := q.params()
	saved, err := s.savedViewsVM(c, &p)
	if err != nil {
		return views.QueuePage{}, err
	}
	return views.QueuePage{Page: s.page(c, "Review queue", "queue"), Filter: fv, Total: res.Total, Results: res,
		Enabled: set.QueueEnabled(), Outcomes: decisionChoices(set), BulkLimit: store.BulkLimit,
		LiveURL: "/dashboard/review-queue/live", Views: saved, CanSplit: isLead(currentOperator(c))}, nil
}

// queuePage is the operator's queue. A filter change from the page (htmx)
// gets only the results; the URL carries the filter, so it can be shared
// and the back button works.
func (s *Server) queuePage(c echo.Context) error {
	q, f, err := bindQueue(c)
	if err != nil {
		return err
	}
	f.After, q.Cursor = nil, ""
	if err := s.defaultToMine(c, &q, &f); err != nil {
		return err
	}
	v, err := s.queuePageVM(c, q, f)
	if err != nil {
		return err
	}
	partial := v.Results
	partial.OOB = true
	if isHTMX(c) {
		// The clean URL (no empty parameters) goes into the history.
		c.Response().Header().Set("HX-Push-Url", q.url("/dashboard/review-queue"))
	}
	return s.render(c, http.StatusOK, views.Queue(v), views.ResultsAndViews(partial, v.Views.Items))
}

// queueRows is the htmx partial behind "Load more": the next keyset page.
func (s *Server) queueRows(c echo.Context) error {
	q, f, err := bindQueue(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	set, err := s.store.Settings(ctx)
	if err != nil {
		return err
	}
	items, next, err := s.store.ListPendingShared(ctx, f)
	if err != nil {
		return err
	}
	return s.renderComponent(c, http.StatusOK, views.Rows(s.queueRowsVM(c, items, next, q, set)))
}

func parseID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}

// teamSummary is a row's assignment, escalation and snooze in a few words.
func teamSummary(ctx context.Context, r *store.Review, now time.Time) string {
	var parts []string
	if r.AssigneeName != nil {
		parts = append(parts, "assigned to "+*r.AssigneeName)
	}
	if r.EscalatedAt != nil {
		parts = append(parts, "escalated: "+derefStr(r.EscalationNote))
	}
	if r.Snoozed(now) {
		parts = append(parts, "snoozed until "+fmtTime(ctx, *r.SnoozedUntil))
	}
	return strings.Join(parts, " · ")
}

// defaultToMine makes "assigned to me" the view of an operator who has
// waiting reviews assigned and chose no assignee filter (the form's
// "anyone", assignee=any, shows everyone's).
func (s *Server) defaultToMine(c echo.Context, q *queueQuery, f *store.QueueFilter) error {
	op := currentOperator(c)
	if op == nil || q.Assignee != "" {
		return nil
	}
	mine, err := s.store.CountPendingMatching(c.Request().Context(), store.QueueFilter{AssigneeID: op.ID})
	if err != nil {
		return err
	}
	if mine.Total > 0 {
		q.Assignee, f.AssigneeID = "me", op.ID
	}
	return nil
}
