package web

import (
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

func (s *Server) decisionRows(c echo.Context) (views.DecisionRows, error) {
	cur, err := store.ParseCursor(c.QueryParam("cursor"))
	if err != nil {
		return views.DecisionRows{}, err
	}
	items, next, err := s.store.ListDecided(c.Request().Context(), cur, queuePageSize)
	if err != nil {
		return views.DecisionRows{}, err
	}
	me := actorOf(c)
	var rows views.DecisionRows
	for _, it := range items {
		by := deciderName(it.DecidedByType, it.DecidedByID, it.DecidedByName, me)
		rows.Items = append(rows.Items, views.DecisionRow{ID: it.ID, LeadName: it.LeadName, Company: it.LeadCompany, Type: it.ReviewType,
			Status: it.Status, By: by, ReasonCode: derefStr(it.ReasonCode), At: fmtTime(*it.DecidedAt),
			AtISO: it.DecidedAt.UTC().Format(time.RFC3339)})
	}
	if next != nil {
		rows.NextURL = "/dashboard/review-queue/decided/rows?" + url.Values{"cursor": {next.Encode()}}.Encode()
	}
	return rows, nil
}

// decisionsPage lists recent decisions, latest first: where a decision is
// looked up again and, by a lead, reopened.
func (s *Server) decisionsPage(c echo.Context) error {
	rows, err := s.decisionRows(c)
	if err != nil {
		return err
	}
	return s.render(c, http.StatusOK, views.Decisions(views.DecisionsPage{Page: s.page(c, "Recent decisions", "queue"), Rows: rows,
		Outcomes: decisionChoices(store.Settings{})}), nil)
}

// decisionsMore is the "Load more" partial of the decisions list.
func (s *Server) decisionsMore(c echo.Context) error {
	rows, err := s.decisionRows(c)
	if err != nil {
		return err
	}
	return s.renderComponent(c, http.StatusOK, views.DecisionRowsView(rows))
}
