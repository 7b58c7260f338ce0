package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

const auditPageSize = 100

// auditQuery is the audit filter as it appears in the URL.
type auditQuery struct {
	Action string `query:"action"`
	Actor  string `query:"actor"`
	From   string `query:"from"`
	To     string `query:"to"`
	Before string `query:"before"`
}

const dateLayout = "2006-01-02"

// filter parses the query; dates are whole UTC days, To inclusive.
func (q auditQuery) filter() (store.AuditFilter, error) {
	f := store.AuditFilter{Action: q.Action, Actor: q.Actor, Limit: auditPageSize}
	if q.From != "" {
		t, err := time.Parse(dateLayout, q.From)
		if err != nil {
			return f, badRequest("from: not a date (YYYY-MM-DD)")
		}
		f.From = t
	}
	if q.To != "" {
		t, err := time.Parse(dateLayout, q.To)
		if err != nil {
			return f, badRequest("to: not a date (YYYY-MM-DD)")
		}
		f.To = t.AddDate(0, 0, 1)
	}
	if q.Before != "" {
		id, err := strconv.ParseInt(q.Before, 10, 64)
		if err != nil || id <= 0 {
			return f, badRequest("before: not a valid position")
		}
		f.BeforeID = id
	}
	return f, f.Validate()
}

func (q auditQuery) url(before int64) string {
	v := url.Values{}
	for k, val := range map[string]string{"action": q.Action, "actor": q.Actor, "from": q.From, "to": q.To} {
		if val != "" {
			v.Set(k, val)
		}
	}
	v.Set("before", strconv.FormatInt(before, 10))
	return "/admin/audit?" + v.Encode()
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (s *Server) auditPage(c echo.Context) error {
	var q auditQuery
	if err := c.Bind(&q); err != nil {
		return badRequest("the filter could not be read")
	}
	f, err := q.filter()
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	entries, next, err := s.store.ListAudit(ctx, f)
	if err != nil {
		return err
	}
	actions, err := s.store.AuditActions(ctx)
	if err != nil {
		return err
	}
	v := views.AuditPage{Page: s.page(c, "Audit log", "audit"), Actions: withCategories(actions),
		Filter: views.AuditFilter{Action: q.Action, Actor: q.Actor, From: q.From, To: q.To}}
	// An operator's entry shows their role (admin, lead, operator) as it
	// is now, rather than the actor type "operator" every account shares.
	var opIDs []int64
	for _, e := range entries {
		if e.ActorType == store.ActorOperator && e.ActorID != nil {
			opIDs = append(opIDs, *e.ActorID)
		}
	}
	roles, err := s.store.OperatorRoles(ctx, opIDs)
	if err != nil {
		return err
	}
	for _, e := range entries {
		kind := e.ActorType
		if e.ActorType == store.ActorOperator && e.ActorID != nil && roles[*e.ActorID] != "" {
			kind = roles[*e.ActorID]
		}
		v.Rows = append(v.Rows, views.AuditRow{
			ID: e.ID, Time: views.DisplayStamp(c.Request().Context(), e.CreatedAt), TimeISO: e.CreatedAt.UTC().Format(time.RFC3339),
			ActorType: kind, Actor: e.ActorName, Action: e.Action, Target: e.Target,
			Old: deref(e.OldValue), New: deref(e.NewValue), IP: e.IP,
		})
	}
	if next > 0 {
		v.NextURL = q.url(next)
	}
	return s.render(c, http.StatusOK, views.Audit(v), nil)
}

// withCategories puts "login.*"-style choices before the actions.
func withCategories(actions []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range actions {
		if cat, _, ok := strings.Cut(a, "."); ok && !seen[cat] {
			seen[cat] = true
			out = append(out, cat+".*")
		}
	}
	return append(out, actions...)
}
