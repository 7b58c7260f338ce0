package web

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

// A lead's split of the queue between operators: the bulk bar's "Split
// between operators…" shows the reviews it would share and the active
// operators to choose from; the confirmation assigns each review on its
// own (store.SplitAssign), the fewest-held operator first.

// splitForm is the bulk bar (scope and selected ids) or the confirmation
// (ids and the chosen operators' emails).
type splitForm struct {
	Scope     string   `form:"scope"`
	IDs       []string `form:"ids"`
	Assignees []string `form:"assignees"`
}

// maxSplitOperators bounds the operators a split offers and accepts.
const maxSplitOperators = 500

func (s *Server) splitPreview(c echo.Context) error {
	c.Set(ctxErrorTarget, "#bulk-dialog")
	var f splitForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the bulk form could not be read")
	}
	sel, err := s.bulkSelection(c, bulkForm{Scope: f.Scope, IDs: f.IDs})
	if err != nil {
		return err
	}
	ops, err := s.activeOperators(c.Request().Context())
	if err != nil {
		return err
	}
	v := views.SplitConfirm{BulkSelection: sel}
	for _, op := range ops {
		v.Operators = append(v.Operators, views.SplitOperator{Email: op.Email, Name: op.Name, Role: op.Role})
	}
	return s.renderComponent(c, http.StatusOK, views.SplitConfirmView(v))
}

func (s *Server) splitAssign(c echo.Context) error {
	c.Set(ctxErrorTarget, "#bulk-dialog")
	var f splitForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the split form could not be read")
	}
	ids, err := bulkForm{IDs: f.IDs}.ids()
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return badRequest(errSelectReviews)
	}
	if len(f.Assignees) > maxSplitOperators {
		return badRequest("assignees: too many operators")
	}
	ctx := c.Request().Context()
	res, err := s.store.SplitAssign(ctx, store.SplitInput{ReviewIDs: ids, AssigneeEmails: f.Assignees, Actor: actorOf(c), IP: c.RealIP()})
	if err != nil {
		return err
	}
	out := views.SplitDone{}
	share := map[string]int{}
	var refused []int64
	for _, it := range res {
		if it.Assignee == "" {
			refused = append(refused, it.ReviewID)
			continue
		}
		if share[it.Assignee] == 0 {
			out.Shares = append(out.Shares, views.SplitShare{Name: it.Assignee})
		}
		share[it.Assignee]++
		out.Assigned++
	}
	for i := range out.Shares {
		out.Shares[i].Count = share[out.Shares[i].Name]
	}
	// Only the reviews left alone are named (with their reasons).
	if len(refused) > 0 {
		names, err := s.reviewLeadNames(ctx, refused)
		if err != nil {
			return err
		}
		for _, it := range res {
			if it.Assignee == "" {
				out.Refused = append(out.Refused, views.BulkRefusal{Name: names[it.ReviewID], Reason: it.Message})
			}
		}
	}
	// The queue's results reload (the filter form listens for this event),
	// so the rows show their new assignees.
	c.Response().Header().Set("HX-Trigger", "rq-queue-changed")
	return s.renderComponent(c, http.StatusOK, views.SplitDoneView(out))
}

// activeOperators is the accounts work can go to (the first
// maxSplitOperators by id).
func (s *Server) activeOperators(ctx context.Context) ([]store.Operator, error) {
	return s.store.ActiveOperators(ctx, maxSplitOperators)
}

// isLead reports whether op may route work: a lead or an admin.
func isLead(op *store.Operator) bool {
	return op != nil && store.RoleRank(op.Role) >= store.RoleRank(store.RoleLead)
}
