package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

const errSelectReviews = "Select at least one review (x or the row's checkbox), or choose \"all matching\"."

// bulkForm is the bulk bar (with the queue's filter) and its confirmation.
type bulkForm struct {
	Outcome    string   `form:"outcome"`
	ReasonCode string   `form:"reason_code"`
	Notes      string   `form:"notes"`
	Scope      string   `form:"scope"`
	IDs        []string `form:"ids"`
}

func (f bulkForm) ids() ([]int64, error) {
	if len(f.IDs) > store.BulkLimit {
		return nil, badRequest(fmt.Sprintf("ids: at most %d reviews at once", store.BulkLimit))
	}
	out := make([]int64, 0, len(f.IDs))
	for _, s := range f.IDs {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return nil, badRequest("ids: not a list of review ids")
		}
		out = append(out, id)
	}
	return out, nil
}

// bulkPreview shows what a bulk action will do before it runs: how many,
// which, and what happens to the leads.
func (s *Server) bulkPreview(c echo.Context) error {
	c.Set(ctxErrorTarget, "#bulk-dialog")
	var f bulkForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the bulk form could not be read")
	}
	o, ok := store.OutcomeNamed(f.Outcome)
	if !ok {
		return badRequest("outcome: must be " + store.OutcomeNames())
	}
	// Nothing to act on is the first thing to say, before any reason.
	if f.Scope != "all" && len(f.IDs) == 0 {
		return badRequest(errSelectReviews)
	}
	ctx := c.Request().Context()
	set, err := s.store.Settings(ctx)
	if err != nil {
		return err
	}
	probe := store.DecideInput{Outcome: f.Outcome, ReasonCode: f.ReasonCode, Notes: f.Notes}
	if err := store.ValidateDecision(set, &probe); err != nil {
		return err
	}
	sel, err := s.bulkSelection(c, f)
	if err != nil {
		return err
	}
	b := views.BulkPreview{BulkSelection: sel, Outcome: o.Name, Verb: o.Verb, ReasonCode: probe.ReasonCode, Notes: f.Notes,
		Consequence: o.Consequence + " Each review is decided on its own and gets its own history entry; reviews someone else has claimed or decided meanwhile are left alone and listed afterwards."}
	return s.renderComponent(c, http.StatusOK, views.BulkConfirm(b))
}

// bulkSelection is the pending reviews a bulk action would act on: the
// selected rows, or the first BulkLimit of all the filter matches (with how
// many match). None is a 400.
func (s *Server) bulkSelection(c echo.Context, f bulkForm) (views.BulkSelection, error) {
	items, matching, err := s.bulkItems(c, f)
	if err != nil {
		return views.BulkSelection{}, err
	}
	sel := views.BulkSelection{Limit: store.BulkLimit, Matching: matching, Capped: matching > int64(store.BulkLimit)}
	for i, it := range items {
		sel.IDs = append(sel.IDs, it.ID)
		if i < 10 {
			sel.Names = append(sel.Names, it.LeadName)
		}
	}
	sel.More = len(items) - len(sel.Names)
	return sel, nil
}

// bulkItems finds the reviews of bulkSelection.
func (s *Server) bulkItems(c echo.Context, f bulkForm) (items []store.QueueItem, matching int64, err error) {
	ctx := c.Request().Context()
	if f.Scope == "all" {
		_, filter, err := bindQueue(c)
		if err != nil {
			return nil, 0, err
		}
		filter.After, filter.Limit = nil, store.BulkLimit
		if items, _, err = s.store.ListPending(ctx, filter); err != nil {
			return nil, 0, err
		}
		counts, err := s.store.CountPendingMatching(ctx, filter)
		if err != nil {
			return nil, 0, err
		}
		matching = counts.Total
		if filter.ReviewType != "" {
			matching = counts.ByType[filter.ReviewType]
		}
	} else {
		ids, err := f.ids()
		if err != nil {
			return nil, 0, err
		}
		if len(ids) == 0 {
			return nil, 0, badRequest(errSelectReviews)
		}
		all, err := s.store.QueueItemsByID(ctx, ids)
		if err != nil {
			return nil, 0, err
		}
		for _, it := range all {
			if it.Status == store.StatusPending {
				items = append(items, it)
			}
		}
	}
	if len(items) == 0 {
		return nil, 0, badRequest("no pending review matches")
	}
	return items, matching, nil
}

// reviewLeadNames names each review by its lead, for a bulk action's
// report ("review #ID" for one that is gone).
func (s *Server) reviewLeadNames(ctx context.Context, ids []int64) (map[int64]string, error) {
	items, err := s.store.QueueItemsByID(ctx, ids)
	if err != nil {
		return nil, err
	}
	names := make(map[int64]string, len(ids))
	for _, id := range ids {
		names[id] = "review #" + strconv.FormatInt(id, 10)
	}
	for _, it := range items {
		if it.LeadName != "" {
			names[it.ID] = it.LeadName
		}
	}
	return names, nil
}

// bulkDecide runs a confirmed bulk action.
func (s *Server) bulkDecide(c echo.Context) error {
	c.Set(ctxErrorTarget, "#bulk-dialog")
	var f bulkForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the bulk form could not be read")
	}
	ids, err := f.ids()
	if err != nil {
		return err
	}
	if len(ids) == 0 {
		return badRequest(errSelectReviews)
	}
	ctx := c.Request().Context()
	names, err := s.reviewLeadNames(ctx, ids)
	if err != nil {
		return err
	}
	res, err := s.store.BulkDecide(ctx, store.BulkInput{ReviewIDs: ids, Outcome: f.Outcome, ReasonCode: f.ReasonCode, Notes: f.Notes, Actor: actorOf(c)})
	if err != nil {
		return err
	}
	o, _ := store.OutcomeNamed(f.Outcome) // BulkDecide refused any other
	out := views.BulkResult{Verb: o.Done}
	for _, it := range res {
		name := names[it.ReviewID]
		if it.OK {
			out.Succeeded = append(out.Succeeded, name)
			msg := out.Verb + " by you"
			if f.ReasonCode != "" {
				msg += " (" + f.ReasonCode + ")"
			}
			out.Rows = append(out.Rows, views.DecidedRow{ID: it.ReviewID, Message: name + ": " + msg + ", in bulk.", OOB: true})
		} else {
			out.Refused = append(out.Refused, views.BulkRefusal{Name: name, Reason: it.Message})
		}
	}
	counts, err := s.store.CountPending(ctx)
	if err != nil {
		return err
	}
	out.Count = counts.Total
	return s.renderComponent(c, http.StatusOK, views.BulkDone(out))
}
