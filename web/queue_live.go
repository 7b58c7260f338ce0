package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

// liveForm is what the queue's poll sends besides the filter: the ids of
// the rows on screen, and the cursor of the last row when the whole list
// is loaded (new arrivals after it are appended; "start" for an empty list).
type liveForm struct {
	IDs   string `query:"ids"`
	After string `query:"after"`
}

func parseIDList(s string) ([]int64, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ",")
	if len(parts) > 500 {
		return nil, badRequest("ids: at most 500")
	}
	out := make([]int64, 0, len(parts))
	for _, p := range parts {
		id, err := strconv.ParseInt(strings.TrimSpace(p), 10, 64)
		if err != nil || id <= 0 {
			return nil, badRequest("ids: not a list of ids")
		}
		out = append(out, id)
	}
	return out, nil
}

// queueLive refreshes the queue on screen (polled every few seconds): the
// counts (the header's and "N matching"), each row's age and SLA badge, who holds a claim on each row, rows someone else decided (marked
// "approved by NAME" rather than removed under the operator's cursor) and
// new reviews at the end of a fully loaded list.
func (s *Server) queueLive(c echo.Context) error {
	q, f, err := bindQueue(c)
	if err != nil {
		return err
	}
	var lf liveForm
	if err := c.Bind(&lf); err != nil {
		return badRequest("the refresh could not be read")
	}
	ids, err := parseIDList(lf.IDs)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	set, err := s.store.Settings(ctx)
	if err != nil {
		return err
	}
	total, err := s.store.CountPending(ctx)
	if err != nil {
		return err
	}
	matching, err := s.store.CountPendingMatching(ctx, f)
	if err != nil {
		return err
	}
	v := views.QueueLive{Total: total.Total, Matching: matchingCount(q, matching), Types: typeChips(q, matching)}
	if v.Views, err = s.viewCounts(c); err != nil {
		return err
	}
	states, err := s.store.ReviewStates(ctx, ids)
	if err != nil {
		return err
	}
	now := store.Now()
	me := actorOf(c)
	for _, st := range states {
		if st.Status != store.StatusPending {
			who := deciderName(st.DecidedByType, st.DecidedByID, st.DecidedByName, me)
			v.Decided = append(v.Decided, views.DecidedRow{ID: st.ID, Message: st.LeadName + ": " + doneLabel(st.Status) + " by " + who + ".",
				Stale: !me.Is(st.DecidedByType, st.DecidedByID), OOB: true})
			continue
		}
		age := now.Sub(st.FlaggedAt)
		v.Ages = append(v.Ages, views.RowAge{ID: st.ID, Age: humanAge(age), FlaggedAt: st.FlaggedAt.Format(time.RFC3339),
			SLA: slaLevel(age, set), OOB: true})
		rs := rowState(ctx, st.ID, st.ClaimedBy, st.ClaimedByName, st.ClaimExpiresAt, me, now)
		rs.OOB = true
		v.States = append(v.States, rs)
	}
	if lf.After != "" {
		// "start": the operator's list is empty; everything is new to it.
		var cur *store.Cursor
		if lf.After != "start" {
			if cur, err = store.ParseCursor(lf.After); err != nil {
				return err
			}
		}
		f.After = cur
		if err := f.Validate(); err == nil {
			items, _, err := s.store.ListPending(ctx, f)
			if err != nil {
				return err
			}
			v.New = s.queueRowsVM(c, items, nil, q, set)
		}
	}
	return s.renderComponent(c, http.StatusOK, views.Live(v))
}
