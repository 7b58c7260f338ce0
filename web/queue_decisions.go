package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

// decisionsQuery is the filter of "Recent decisions": by is "mine" (the
// default), "all" or an operator's id; day is YYYY-MM-DD (UTC).
type decisionsQuery struct {
	By      string `query:"by"`
	Outcome string `query:"outcome"`
	Type    string `query:"type"`
	Day     string `query:"day"`
}

func (q decisionsQuery) values() url.Values {
	v := url.Values{}
	for k, x := range map[string]string{"by": q.By, "outcome": q.Outcome, "type": q.Type, "day": q.Day} {
		if x != "" {
			v.Set(k, x)
		}
	}
	return v
}

// bindDecisions reads the filter; an unknown value is a 400.
func bindDecisions(c echo.Context) (decisionsQuery, store.DecidedFilter, error) {
	q := decisionsQuery{By: c.QueryParam("by"), Outcome: c.QueryParam("outcome"), Type: c.QueryParam("type"), Day: c.QueryParam("day")}
	if q.By == "" {
		q.By = "mine"
	}
	f := store.DecidedFilter{Status: q.Outcome, ReviewType: q.Type}
	switch q.By {
	case "mine":
		if op := currentOperator(c); op != nil {
			f.ByOperator = op.ID
		}
	case "all":
	default:
		id, err := strconv.ParseInt(q.By, 10, 64)
		if err != nil || id <= 0 {
			return q, f, badRequest("by: must be mine, all or an operator's id")
		}
		f.ByOperator = id
	}
	if q.Day != "" {
		d, err := time.Parse("2006-01-02", q.Day)
		if err != nil {
			return q, f, badRequest("day: must be a date, YYYY-MM-DD")
		}
		f.Day = d
	}
	return q, f, f.Validate()
}

func (s *Server) decisionRows(c echo.Context, q decisionsQuery, f store.DecidedFilter) (views.DecisionRows, error) {
	cur, err := store.ParseCursor(c.QueryParam("cursor"))
	if err != nil {
		return views.DecisionRows{}, err
	}
	items, next, err := s.store.ListDecidedFiltered(c.Request().Context(), f, cur, queuePageSize)
	if err != nil {
		return views.DecisionRows{}, err
	}
	me := actorOf(c)
	var rows views.DecisionRows
	for _, it := range items {
		by := deciderName(it.DecidedByType, it.DecidedByID, it.DecidedByName, me)
		rows.Items = append(rows.Items, views.DecisionRow{ID: it.ID, LeadName: it.LeadName, Company: it.LeadCompany, Type: it.ReviewType,
			Status: it.Status, By: by, ReasonCode: derefStr(it.ReasonCode), At: fmtTime(c.Request().Context(), *it.DecidedAt),
			AtISO: it.DecidedAt.UTC().Format(time.RFC3339)})
	}
	if next != nil {
		v := q.values()
		v.Set("cursor", next.Encode())
		rows.NextURL = "/dashboard/review-queue/decided/rows?" + v.Encode()
	}
	return rows, nil
}

// decisionsPage lists recent decisions, latest first: where a decision is
// looked up again and, by a lead, reopened.
func (s *Server) decisionsPage(c echo.Context) error {
	q, f, err := bindDecisions(c)
	if err != nil {
		return err
	}
	rows, err := s.decisionRows(c, q, f)
	if err != nil {
		return err
	}
	ops, err := s.store.ListOperators(c.Request().Context(), 0, 500)
	if err != nil {
		return err
	}
	fv := views.DecisionsFilter{By: q.By, Outcome: q.Outcome, Type: q.Type, Day: q.Day, Types: store.ReviewTypes,
		Statuses: store.DecidedStatuses(), MaxDay: store.Day(store.Now())}
	for _, o := range ops {
		if o.ID != currentOperator(c).ID {
			fv.Operators = append(fv.Operators, views.Option{Value: strconv.FormatInt(o.ID, 10), Label: o.Name})
		}
	}
	if len(rows.Items) == 0 {
		rows.Empty = "No decisions yet."
		if q.By != "all" || q.Outcome != "" || q.Type != "" || q.Day != "" {
			rows.Empty = "No decision matches this filter."
		}
	}
	return s.render(c, http.StatusOK, views.Decisions(views.DecisionsPage{Page: s.page(c, "Recent decisions", "queue"), Rows: rows,
		Filter: fv, Outcomes: decisionChoices(store.Settings{})}), nil)
}

// decisionsMore is the "Load more" partial of the decisions list.
func (s *Server) decisionsMore(c echo.Context) error {
	q, f, err := bindDecisions(c)
	if err != nil {
		return err
	}
	rows, err := s.decisionRows(c, q, f)
	if err != nil {
		return err
	}
	return s.renderComponent(c, http.StatusOK, views.DecisionRowsView(rows))
}
