package web

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

// Saved views: a named filter and sort of the queue, personal or shared by
// a lead. The bar above the filter lists them with their counts (redrawn
// by the queue's live poll); opening one is following its link, the queue
// URL with the view's query.

// viewKey is a filter as a view's identity: its normalised query, with no
// assignee read as "any" (what the form sends for it).
func viewKey(p store.QueueParams) string {
	if p.Assignee == "" {
		p.Assignee = "any"
	}
	q, err := store.NormalizeViewQuery(p.Values().Encode())
	if err != nil {
		return ""
	}
	return q
}

// viewCount is the pending reviews a view's query matches for operator me.
func (s *Server) viewCount(ctx context.Context, p store.QueueParams, me int64) (int64, error) {
	f, err := p.Filter(me)
	if err != nil {
		return 0, err
	}
	counts, err := s.store.CountPendingMatching(ctx, f)
	if err != nil {
		return 0, err
	}
	return matchingCount(queueQuery{Type: p.Type}, counts), nil
}

// savedViewsVM is the views bar for the signed-in operator; current is
// the filter on screen (its view is marked), nil when there is none.
func (s *Server) savedViewsVM(c echo.Context, current *store.QueueParams) (views.SavedViews, error) {
	ctx := c.Request().Context()
	op := currentOperator(c)
	v := views.SavedViews{CanShare: store.RoleRank(op.Role) >= store.RoleRank(store.RoleLead), Max: store.MaxViewsPerOperator,
		MaxName: store.MaxViewNameLen}
	items, err := s.store.ListViews(ctx, op.ID)
	if err != nil {
		return v, err
	}
	key := ""
	if current != nil {
		key = viewKey(*current)
	}
	for _, it := range items {
		p, err := store.ParseQueueParams(it.Query)
		if err != nil {
			continue // stored checked; a later rule may refuse an old one
		}
		n, err := s.viewCount(ctx, p, op.ID)
		if err != nil {
			return v, err
		}
		id := strconv.FormatInt(it.ID, 10)
		v.Items = append(v.Items, views.SavedViewItem{ID: it.ID, IDText: id, Name: it.Name, URL: "/dashboard/review-queue?" + it.Query,
			Count: n, Shared: it.Shared, Owner: it.OwnerName, Active: key != "" && viewKey(p) == key,
			CanDelete: it.Mine || (it.Shared && v.CanShare)})
	}
	return v, nil
}

// viewCounts is the live poll's part: each view's count now.
func (s *Server) viewCounts(c echo.Context) ([]views.ViewCount, error) {
	v, err := s.savedViewsVM(c, nil)
	if err != nil {
		return nil, err
	}
	out := make([]views.ViewCount, 0, len(v.Items))
	for _, it := range v.Items {
		out = append(out, views.ViewCount{IDText: it.IDText, Count: it.Count})
	}
	return out, nil
}

type saveViewForm struct {
	Name   string `form:"name"`
	Shared bool   `form:"shared"`
}

// viewsAnswer redraws the bar after a save or delete, with its outcome.
func (s *Server) viewsAnswer(c echo.Context, status int, current *store.QueueParams, fill func(*views.SavedViews)) error {
	v, err := s.savedViewsVM(c, current)
	if err != nil {
		return err
	}
	fill(&v)
	return s.renderComponent(c, status, views.SavedViewsBar(v))
}

// saveView saves the filter on screen (the filter form, which the save
// form includes) under a name; leads and admins may share it.
func (s *Server) saveView(c echo.Context) error {
	var f saveViewForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the form could not be read")
	}
	q, _, err := bindQueue(c)
	if err != nil {
		return err
	}
	p := q.params()
	if p.Assignee == "" {
		p.Assignee = "any"
	}
	v, err := s.store.CreateView(c.Request().Context(), store.ViewInput{Actor: actorOf(c), IP: c.RealIP(), Name: f.Name,
		Query: p.Values().Encode(), Shared: f.Shared})
	var fe *store.ForbiddenError
	switch {
	case errors.As(err, &fe):
		return s.viewsAnswer(c, http.StatusForbidden, &p, func(b *views.SavedViews) { b.Error, b.Name = "Not saved: "+fe.Message+".", f.Name })
	case err != nil:
		status, msg, ok := formError(err)
		if !ok {
			return err
		}
		return s.viewsAnswer(c, status, &p, func(b *views.SavedViews) { b.Error, b.Name = "Not saved: "+msg+".", f.Name })
	}
	notice := "Saved “" + v.Name + "”."
	if v.Shared {
		notice = "Saved “" + v.Name + "” and shared it with the team."
	}
	return s.viewsAnswer(c, http.StatusOK, &p, func(b *views.SavedViews) { b.Notice = notice })
}

// deleteView deletes a view: one's own, or (leads and admins) a shared one.
func (s *Server) deleteView(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("vid"), 10, 64)
	if err != nil || id <= 0 {
		return errNotFound
	}
	if err := s.store.DeleteView(c.Request().Context(), actorOf(c), c.RealIP(), id); err != nil {
		var fe *store.ForbiddenError
		if errors.As(err, &fe) {
			return s.viewsAnswer(c, http.StatusForbidden, nil, func(b *views.SavedViews) { b.Error = "Not deleted: " + fe.Message + "." })
		}
		return err
	}
	return s.viewsAnswer(c, http.StatusOK, nil, func(b *views.SavedViews) { b.Notice = "View deleted." })
}
