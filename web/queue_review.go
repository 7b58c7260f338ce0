package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

var eventLabels = map[string]string{
	store.EventFlagged: "Flagged", store.EventReflagged: "Re-flagged", store.EventClaimed: "Claimed",
	store.EventReleased: "Released", store.EventReopened: "Reopened", store.EventUndone: "Undone", store.EventNote: "Note",
	store.EventCleared: "Cleared by a rollback", store.EventRestored: "Restored after a rollback",
	store.EventChanged: "Message changed", store.EventHeldBack: "Automatic flag held back (cool-down)",
	store.EventAssigned: "Assigned", store.EventUnassigned: "Assignment cleared", store.EventEscalated: "Escalated",
	store.EventSentBack: "Sent back", store.EventSnoozed: "Snoozed", store.EventUnsnoozed: "Unsnoozed",
}

// detailShown lists, per event kind, the snapshot fields worth a line in
// the timeline (the rest stays in the database).
var detailShown = map[string][]string{
	store.EventFlagged:    {"review_type", "reason", "source", "score"},
	store.EventReflagged:  {"from_type", "review_type", "from_reason", "reason"},
	store.EventClaimed:    {"took_over_expired_claim_of"},
	store.EventReopened:   {"from_status", "decided_by", "reason_code"},
	store.EventHeldBack:   {"rule", "score", "issues", "why"},
	store.EventAssigned:   {"from", "to", "rule"},
	store.EventUnassigned: {"from"},
	store.EventEscalated:  {"note"},
	store.EventSentBack:   {"note"},
	store.EventSnoozed:    {"until", "reason_code"},
	store.EventUndone:     {"from_status"},
}

// A decision's event is labelled like its outcome and shows what the
// outcome takes.
func init() {
	for _, o := range store.DecisionOutcomes {
		eventLabels[o.Event] = o.Done
		var shown []string
		if o.TakesReasons() {
			shown = append(shown, "reason_code")
		}
		shown = append(shown, "notes")
		if o.TakesMessage {
			shown = append(shown, "edited_subject", "edited_body")
		}
		detailShown[o.Event] = shown
	}
}

// decisionChoices are the outcomes as the pages offer them, with their
// configured reason codes.
func decisionChoices(set store.Settings) []views.DecisionChoice {
	out := make([]views.DecisionChoice, 0, len(store.DecisionOutcomes))
	for _, o := range store.DecisionOutcomes {
		out = append(out, views.DecisionChoice{Name: o.Name, Verb: o.Verb, Key: o.Key, TakesMessage: o.TakesMessage,
			TakesReasons: o.TakesReasons(), Codes: set.ReasonCodes(o)})
	}
	return out
}

// doneLabel is a decided status as the pages say it: "Approved".
func doneLabel(status string) string {
	if o, ok := store.OutcomeOfStatus(status); ok {
		return o.Done
	}
	return status
}

// deciderName is who decided, as me reads it: "you" only when the decider
// is me by type and id (a token and an operator may share an id).
func deciderName(typ *string, id *int64, name *string, me store.Actor) string {
	if me.Is(typ, id) {
		return "you"
	}
	return derefStr(name)
}

func detailValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// qualityIssues reads the issues the quality gate sent with a flag, in
// whichever of the usual shapes the detail holds them.
func qualityIssues(detail map[string]any) []views.QualityIssue {
	var out []views.QualityIssue
	for _, key := range []string{"issues", "quality_issues"} {
		list, _ := detail[key].([]any)
		for _, it := range list {
			switch x := it.(type) {
			case map[string]any:
				out = append(out, views.QualityIssue{Code: detailValue(x["code"]), Severity: detailValue(x["severity"]), Message: detailValue(x["message"])})
			case string:
				out = append(out, views.QualityIssue{Code: x})
			}
		}
	}
	return out
}

func historyVM(ctx context.Context, events []store.ReviewEvent) ([]views.HistoryEntry, []views.QualityIssue) {
	var issues []views.QualityIssue
	out := make([]views.HistoryEntry, 0, len(events))
	for _, e := range events {
		h := views.HistoryEntry{Kind: e.Kind, Label: eventLabels[e.Kind], Actor: e.ActorName, At: fmtTime(ctx, e.CreatedAt),
			AtISO: e.CreatedAt.UTC().Format(time.RFC3339)}
		if h.Label == "" {
			h.Label = e.Kind
		}
		var detail map[string]any
		if e.Detail != nil {
			_ = json.Unmarshal([]byte(*e.Detail), &detail)
		}
		if e.Kind == store.EventNote {
			h.Note = detailValue(detail["note"])
		}
		for _, k := range detailShown[e.Kind] {
			if v, ok := detail[k]; ok && detailValue(v) != "" {
				val := detailValue(v)
				// Times in the history (a snooze's until) show like the others.
				if t, err := time.Parse(time.RFC3339Nano, val); err == nil {
					val = fmtTime(ctx, t)
				}
				h.Detail = append(h.Detail, views.KeyValue{Key: strings.ReplaceAll(k, "_", " "), Value: val})
			}
		}
		if e.Kind == store.EventFlagged {
			issues = append(issues, qualityIssues(detail)...)
		}
		if e.Kind == store.EventChanged || e.Kind == store.EventFlagged {
			h.Changes = fieldDiffs(store.ChangesOf(e.Detail))
		}
		out = append(out, h)
	}
	return out, issues
}

// paneVM builds the context pane of a review.
func (s *Server) paneVM(c echo.Context, id int64) (views.ReviewPane, error) {
	ctx := c.Request().Context()
	rl, events, err := s.store.GetReview(ctx, id)
	if err != nil {
		return views.ReviewPane{}, err
	}
	set, err := s.store.Settings(ctx)
	if err != nil {
		return views.ReviewPane{}, err
	}
	r, l := rl.Review, rl.Lead
	now := store.Now()
	age := now.Sub(r.FlaggedAt)
	p := views.ReviewPane{
		ID: r.ID, Version: r.Version, Status: r.Status, Pending: r.Status == store.StatusPending, Type: r.ReviewType,
		Reason: r.Reason, Source: r.Source, ScoreAtFlag: r.ScoreAtFlag, FlaggedAt: r.FlaggedAt.UTC().Format(time.RFC3339),
		Age: humanAge(age), LastReply: derefStr(l.LastReplySnippet), Subject: l.MessageSubject, Body: derefStr(l.MessageBody),
		Lead: views.LeadDetails{ID: l.ID, ExternalID: l.ExternalID, Name: l.Name, Email: l.Email, Company: l.Company,
			Industry: l.Industry, Campaign: l.Campaign, Score: l.Score, Status: l.Status, Tags: l.TagList(), FailedAttempts: l.FailedAttempts},
		Outcomes: decisionChoices(set), ReasonRequired: set.ReasonsRequired(), Types: store.ReviewTypes,
	}
	if r.Source == store.SourceSample {
		p.SampleNote = sampleNote(r.SampleRule)
	}
	if p.Pending {
		p.SLA = slaLevel(age, set)
		st := rowState(c.Request().Context(), r.ID, r.ClaimedBy, r.ClaimedByName, r.ClaimExpiresAt, actorOf(c), now)
		p.ClaimedBy, p.ClaimMine, p.ClaimUntil = st.ClaimedBy, st.Mine, st.Until
		teamPane(c.Request().Context(), &p, &r, currentOperator(c), set, now)
		if p.IsLead {
			// A lead assigns by choosing an operator (or typing an email).
			ops, err := s.activeOperators(c.Request().Context())
			if err != nil {
				return p, err
			}
			for _, op := range ops {
				p.Assignees = append(p.Assignees, views.Option{Value: op.Email, Label: op.Name})
			}
		}
	} else {
		p.Decision = decisionText(c.Request().Context(), &r, actorOf(c))
		if r.DecidedAt != nil {
			p.Age = humanAge(r.DecidedAt.Sub(r.FlaggedAt))
		}
		if r.DecisionSubject != nil {
			p.Subject = *r.DecisionSubject
		}
		if r.DecisionBody != nil {
			p.Body = *r.DecisionBody
		}
		op := currentOperator(c)
		p.CanReopen = isLead(op)
		if r.Status == store.StatusCleared {
			p.Decision = "Cleared by the emergency rollback (reviewq flags clear); reviewq flags restore puts it back."
			p.CanReopen = false
		}
	}
	p.History, p.Issues = historyVM(c.Request().Context(), events)
	for _, h := range p.History {
		if h.Kind == store.EventFlagged && len(h.Changes) > 0 && r.Source == store.SourceChange {
			p.Changes = h.Changes
			break
		}
	}
	if err := s.earlierReviews(c, &p, &r, now); err != nil {
		return views.ReviewPane{}, err
	}
	return p, nil
}

// earlierLimit bounds the earlier reviews the pane lists; the rest are a
// link to the lead's history in the API.
const earlierLimit = 20

// earlierReviews fills the pane's list of the lead's other reviews.
func (s *Server) earlierReviews(c echo.Context, p *views.ReviewPane, current *store.Review, now time.Time) error {
	page, next, err := s.store.LeadHistory(c.Request().Context(), current.LeadID, 0, earlierLimit+1)
	if err != nil {
		return err
	}
	for _, r := range page {
		if r.ID == current.ID {
			continue
		}
		if len(p.Earlier) == earlierLimit {
			next = p.Earlier[len(p.Earlier)-1].ID
			break
		}
		p.Earlier = append(p.Earlier, earlierVM(c.Request().Context(), &r.Review, now))
	}
	if next != 0 {
		p.EarlierMore = "/api/v1/leads/" + strconv.FormatInt(current.LeadID, 10) + "/history?cursor=" + store.EncodeHistoryCursor(next)
	}
	return nil
}

// earlierVM says at a glance what became of an earlier review.
func earlierVM(ctx context.Context, r *store.Review, now time.Time) views.EarlierReview {
	e := views.EarlierReview{ID: r.ID, Link: reviewLink(r.ID), Type: r.ReviewType, Reason: r.Reason, Source: r.Source, Status: r.Status,
		ReasonCode: derefStr(r.ReasonCode), Notes: derefStr(r.Notes), FlaggedAt: fmtTime(ctx, r.FlaggedAt)}
	switch {
	case r.Status == store.StatusPending:
		e.Summary = "Pending, flagged " + agoText(now.Sub(r.FlaggedAt))
	case r.Status == store.StatusCleared:
		e.Summary = "Cleared by a rollback"
	case r.DecidedAt != nil:
		e.DecidedBy = derefStr(r.DecidedByName)
		e.DecidedAt = fmtTime(ctx, *r.DecidedAt)
		e.DecidedISO = r.DecidedAt.UTC().Format(time.RFC3339)
		done := r.Status
		if o, ok := store.OutcomeOfStatus(r.Status); ok {
			done = o.Done
		}
		e.Summary = done + " " + agoText(now.Sub(*r.DecidedAt)) + " by " + e.DecidedBy
		if e.ReasonCode != "" {
			e.Summary += ": " + e.ReasonCode
		}
	default:
		e.Summary = r.Status
	}
	return e
}

func reviewLink(id int64) string { return "/dashboard/review-queue/" + strconv.FormatInt(id, 10) }

// agoText is "just now", "5 minutes ago", "3 hours ago", "6 days ago".
func agoText(d time.Duration) string {
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit + " ago"
		}
		return strconv.Itoa(n) + " " + unit + "s ago"
	}
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour")
	default:
		return plural(int(d/(24*time.Hour)), "day")
	}
}

// fieldDiffs orders a change's fields for display.
func fieldDiffs(changes map[string]store.FieldChange) []views.FieldDiff {
	var out []views.FieldDiff
	for _, f := range []string{"message_subject", "message_body"} {
		if ch, ok := changes[f]; ok {
			out = append(out, views.FieldDiff{Field: strings.ReplaceAll(strings.TrimPrefix(f, "message_"), "_", " "), Old: ch.Old, New: ch.New})
		}
	}
	return out
}

// decisionText says who decided and how: "Approved by Ann at 14:02 UTC".
func decisionText(ctx context.Context, r *store.Review, me store.Actor) string {
	msg := doneLabel(r.Status) + " by " + deciderName(r.DecidedByType, r.DecidedByID, r.DecidedByName, me)
	if r.ReasonCode != nil {
		msg += " (" + *r.ReasonCode + ")"
	}
	if r.DecidedAt != nil {
		msg += " at " + fmtTime(ctx, *r.DecidedAt)
	}
	return msg
}

// reviewPane opens a review in the side pane (htmx), or as the queue page
// with the pane open (a shared link, a reload).
func (s *Server) reviewPane(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	p, err := s.paneVM(c, id)
	if err != nil {
		return err
	}
	if isHTMX(c) && c.Request().Header.Get("HX-History-Restore-Request") != "true" {
		c.Response().Header().Add("Vary", "HX-Request")
		return s.renderComponent(c, http.StatusOK, views.Pane(p))
	}
	q, f, err := bindQueue(c)
	if err != nil {
		return err
	}
	v, err := s.queuePageVM(c, q, f)
	if err != nil {
		return err
	}
	v.Pane = &p
	v.Page.Title = p.Lead.Name + " · Review queue"
	return s.render(c, http.StatusOK, views.Queue(v), nil)
}

// paneAfter answers an action taken in the pane with the pane as it is now.
func (s *Server) paneAfter(c echo.Context, id int64, status int, edit func(*views.ReviewPane)) error {
	p, err := s.paneVM(c, id)
	if err != nil {
		return err
	}
	if edit != nil {
		edit(&p)
	}
	if p.Pending {
		st := views.RowState{ID: id, ClaimedBy: p.ClaimedBy, Mine: p.ClaimMine, Until: p.ClaimUntil, OOB: true}
		p.RowState = &st
	}
	return s.renderComponent(c, status, views.Pane(p))
}

// claimReview claims (or renews) the review for the operator.
func (s *Server) claimReview(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	if _, err := s.store.Claim(c.Request().Context(), id, actorOf(c)); err != nil {
		return s.paneRefused(c, id, err)
	}
	return s.paneAfter(c, id, http.StatusOK, nil)
}

// renewClaim keeps the operator's claim alive while the pane is open.
func (s *Server) renewClaim(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	if _, err := s.store.Claim(c.Request().Context(), id, actorOf(c)); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

func (s *Server) releaseReview(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	if _, err := s.store.Release(c.Request().Context(), id, actorOf(c)); err != nil {
		return s.paneRefused(c, id, err)
	}
	return s.paneAfter(c, id, http.StatusOK, nil)
}

// paneRefused shows a refused action (someone else got there first) in the
// pane, with the review as it is now; other errors go the usual way.
func (s *Server) paneRefused(c echo.Context, id int64, err error) error {
	var ce *store.ConflictError
	if !errors.As(err, &ce) {
		return err
	}
	return s.paneAfter(c, id, http.StatusConflict, func(p *views.ReviewPane) { p.Error = "Not done: " + ce.Message + "." })
}

type reflagForm struct {
	ReviewType string `form:"review_type"`
	Reason     string `form:"reason"`
	Version    string `form:"version"`
}

func formVersion(v string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, badRequest("version: not a number")
	}
	return n, nil
}

func (s *Server) reflagReview(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	var f reflagForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the re-flag form could not be read")
	}
	version, err := formVersion(f.Version)
	if err != nil {
		return err
	}
	if _, err := s.store.Reflag(c.Request().Context(), store.ReflagInput{ReviewID: id, ReviewType: f.ReviewType, Reason: f.Reason,
		ExpectedVersion: version, Actor: actorOf(c)}); err != nil {
		return s.paneRefused(c, id, err)
	}
	return s.paneAfter(c, id, http.StatusOK, func(p *views.ReviewPane) { p.Notice = "Re-flagged as " + p.Type + "." })
}

type noteForm struct {
	Note string `form:"note"`
}

func (s *Server) addNote(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	var f noteForm
	if err := c.Bind(&f); err != nil {
		return badRequest("the note could not be read")
	}
	if _, err := s.store.AddNote(c.Request().Context(), id, f.Note, actorOf(c)); err != nil {
		return err
	}
	return s.paneAfter(c, id, http.StatusOK, func(p *views.ReviewPane) { p.Notice = "Note added." })
}

// reopenReview overturns a decision (leads and admins; the route checks).
func (s *Server) reopenReview(c echo.Context) error {
	id, err := parseID(c)
	if err != nil {
		return err
	}
	if _, err := s.store.Reopen(c.Request().Context(), id, actorOf(c), c.RealIP()); err != nil {
		return s.paneRefused(c, id, err)
	}
	return s.paneAfter(c, id, http.StatusOK, func(p *views.ReviewPane) { p.Notice = "Reopened: the review is back in the queue." })
}

// decisionForm is what the pane's decision forms post, with the queue's
// filter (for the "next" review).
type decisionForm struct {
	ReasonCode string  `form:"reason_code"`
	Notes      string  `form:"notes"`
	Version    string  `form:"version"`
	Subject    *string `form:"subject"`
	Body       *string `form:"body"`
}

// decide decides a review (outcome: one of store.DecisionOutcomes), then
// opens the next one the operator can work on (the "next" flow): the next
// in the list order that nobody else holds, or the first such from the top.
func (s *Server) decide(outcome string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := parseID(c)
		if err != nil {
			return err
		}
		var f decisionForm
		if err := c.Bind(&f); err != nil {
			return badRequest("the decision form could not be read")
		}
		version, err := formVersion(f.Version)
		if err != nil {
			return err
		}
		q, filter, err := bindQueue(c)
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		me := actorOf(c)
		// The form always posts the message; the store keeps it only if
		// the operator changed it.
		d, err := s.store.Decide(ctx, store.DecideInput{ReviewID: id, Outcome: outcome, ReasonCode: f.ReasonCode, Notes: f.Notes,
			Subject: f.Subject, Body: f.Body, ExpectedVersion: version, Actor: me})
		var ce *store.ConflictError
		if errors.As(err, &ce) {
			return s.paneAfter(c, id, http.StatusConflict, func(p *views.ReviewPane) {
				p.Error = "Not decided: " + ce.Message + "."
				if !p.Pending {
					p.RowUpdate = &views.DecidedRow{ID: id, Message: p.Lead.Name + ": " + p.Decision + ".", Stale: true, OOB: true}
				}
			})
		}
		if err != nil {
			return err
		}
		total, chips, err := s.queueFigures(ctx, q, filter)
		if err != nil {
			return err
		}
		notice := decisionText(ctx, d.Review, me)
		row := &views.DecidedRow{ID: id, Cursor: store.CursorOf(d.Review, filter.Sort).Encode(), Message: d.LeadName + ": " + notice + ".", OOB: true}
		next, err := s.nextReview(c, filter, d.Review)
		if err != nil {
			return err
		}
		followOpenReview(c, q, next)
		set, err := s.store.Settings(ctx)
		if err != nil {
			return err
		}
		undo := undoToast(set, d)
		if next == 0 {
			return s.renderComponent(c, http.StatusOK, views.Done(views.QueueDone{Notice: notice + ".", RowUpdate: row, Undo: undo, Count: &total, TypeCounts: chips}))
		}
		p, err := s.paneVM(c, next)
		if err != nil {
			return err
		}
		p.Notice, p.RowUpdate, p.Undo, p.Count, p.TypeCounts = notice+". Next up:", row, undo, &total, chips
		return s.renderComponent(c, http.StatusOK, views.Pane(p))
	}
}

// followOpenReview keeps the page's URL naming the open review when a
// decision opens the next one (or the queue when none is left), so a
// reload or a login's next shows what is on screen. Only a URL that named
// a review changes (the decisions page keeps its own).
func followOpenReview(c echo.Context, q queueQuery, next int64) {
	const prefix = "/dashboard/review-queue/"
	u, err := url.Parse(pageOfHTMXRequest(c))
	if err != nil || !strings.HasPrefix(u.Path, prefix) {
		return
	}
	if _, err := strconv.ParseInt(strings.TrimPrefix(u.Path, prefix), 10, 64); err != nil {
		return
	}
	to := "/dashboard/review-queue"
	if next != 0 {
		to = prefix + strconv.FormatInt(next, 10)
	}
	c.Response().Header().Set("HX-Replace-Url", to+q.openReviewQuery())
}

// nextReview finds the review to open after deciding r: 0 when none is left.
func (s *Server) nextReview(c echo.Context, f store.QueueFilter, r *store.Review) (int64, error) {
	ctx := c.Request().Context()
	cur := store.CursorOf(r, f.Sort)
	f.After, f.Limit, f.SkipClaimedFor = &cur, 1, actorOf(c).ID
	items, _, err := s.store.ListPending(ctx, f)
	if err != nil {
		return 0, err
	}
	if len(items) == 0 {
		f.After = nil
		if items, _, err = s.store.ListPending(ctx, f); err != nil {
			return 0, err
		}
	}
	if len(items) == 0 {
		return 0, nil
	}
	return items[0].ID, nil
}

// queueFigures are what the page's header shows after a change to one
// review: the pending total and the type chips of the operator's filter.
func (s *Server) queueFigures(ctx context.Context, q queueQuery, filter store.QueueFilter) (int64, []views.TypeChip, error) {
	counts, err := s.store.CountPending(ctx)
	if err != nil {
		return 0, nil, err
	}
	matching, err := s.store.CountPendingMatching(ctx, filter)
	if err != nil {
		return 0, nil, err
	}
	return counts.Total, typeChips(q, matching), nil
}
