package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

// undoToast offers to take back the decision just made, for as long as
// decisions.undo_seconds allows (nil when undo is off).
func undoToast(set store.Settings, d *store.Decision) *views.UndoToast {
	secs := int(set.UndoWindow().Seconds())
	if secs <= 0 {
		return nil
	}
	return &views.UndoToast{ReviewID: d.Review.ID, Text: doneLabel(d.Review.Status) + " " + d.LeadName, Seconds: secs}
}

// undoDecision takes back the operator's own decision moments after it
// (store.Undo): the review opens in the pane again, its row returns to the
// list. A refusal (too late, someone changed it) is said in the toast and
// leaves the pane as it is.
func (s *Server) undoDecision(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	q, filter, err := bindQueue(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	_, err = s.store.Undo(ctx, id, actorOf(c))
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		c.Response().Header().Set("HX-Retarget", "#undo-toast")
		c.Response().Header().Set("HX-Reswap", "innerHTML")
		return s.renderComponent(c, http.StatusConflict, views.UndoRefused("Not undone: "+ce.Message+"."))
	}
	if err != nil {
		return err
	}
	set, err := s.store.Settings(ctx)
	if err != nil {
		return err
	}
	items, err := s.store.QueueItemsByID(ctx, []int64{id})
	if err != nil {
		return err
	}
	total, chips, err := s.queueFigures(ctx, q, filter)
	if err != nil {
		return err
	}
	p, err := s.paneVM(c, id)
	if err != nil {
		return err
	}
	p.Notice = "Undone: " + p.Lead.Name + " is back in the queue as it was."
	if rows := s.queueRowsVM(c, items, nil, q, set); len(rows.Items) == 1 {
		row := rows.Items[0]
		row.OOB = true
		p.RowBack = &row
	}
	p.Undo, p.Count, p.TypeCounts = &views.UndoToast{}, &total, chips
	followOpenReview(c, q, id)
	return s.renderComponent(c, http.StatusOK, views.Pane(p))
}

// apiUndo takes back the caller's own decision of a task within
// decisions.undo_seconds; 409 says why not.
func (s *Server) apiUndo(c echo.Context) error {
	id, err := taskID(c)
	if err != nil {
		return err
	}
	r, err := s.store.Undo(c.Request().Context(), id, actorOf(c))
	var ce *store.ConflictError
	if errors.As(err, &ce) {
		return c.JSON(http.StatusConflict, map[string]any{"error": map[string]any{"code": "conflict", "message": ce.Message}})
	}
	if err != nil {
		return taskNotFound(err)
	}
	return c.JSON(http.StatusOK, toTaskJSON(r))
}

type shortcutsForm struct {
	Shortcuts string `form:"shortcuts"`
}

// setAccountShortcuts turns the operator's single-key shortcuts on or off
// (WCAG 2.1.4).
func (s *Server) setAccountShortcuts(c echo.Context) error {
	var f shortcutsForm
	if err := c.Bind(&f); err != nil || (f.Shortcuts != "on" && f.Shortcuts != "off") {
		return badRequest("shortcuts: choose on or off")
	}
	op := currentOperator(c)
	if err := s.store.SetShortcutsOff(c.Request().Context(), op.ID, f.Shortcuts == "off"); err != nil {
		return err
	}
	op.ShortcutsOff = f.Shortcuts == "off"
	v := s.accountPage(c)
	v.ShortcutsSaved = true
	return s.render(c, http.StatusOK, views.AccountPassword(v), nil)
}
