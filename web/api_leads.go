package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"reviewq/store"
)

// leadBody is a lead as an engine sends it; absent fields are left as they
// are on update.
type leadBody struct {
	ExternalID       string   `json:"external_id"`
	Name             *string  `json:"name"`
	Email            *string  `json:"email"`
	Company          *string  `json:"company"`
	Industry         *string  `json:"industry"`
	Campaign         *string  `json:"campaign"`
	Score            *int     `json:"score"`
	Status           *string  `json:"status"`
	Tags             []string `json:"tags"`
	FailedAttempts   *int     `json:"failed_attempts"`
	LastReplySnippet *string  `json:"last_reply_snippet"`
	Message          *struct {
		Subject *string `json:"subject"`
		Body    *string `json:"body"`
	} `json:"message"`
}

func (b leadBody) input() store.LeadInput {
	in := store.LeadInput{ExternalID: b.ExternalID, Name: b.Name, Email: b.Email, Company: b.Company, Industry: b.Industry,
		Campaign: b.Campaign, Score: b.Score, Status: b.Status, Tags: b.Tags, FailedAttempts: b.FailedAttempts,
		LastReplySnippet: b.LastReplySnippet}
	if b.Message != nil {
		in.MessageSubject, in.MessageBody = b.Message.Subject, b.Message.Body
	}
	return in
}

// apiUpsertLead creates (201) or updates (200) a lead by external_id.
func (s *Server) apiUpsertLead(c echo.Context) error {
	var b leadBody
	if err := decodeJSON(c, &b, false); err != nil {
		return err
	}
	lead, created, err := s.store.UpsertLead(c.Request().Context(), b.input())
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	return c.JSON(status, toLeadJSON(lead))
}

// apiLead is one lead with the seed's review columns.
func (s *Server) apiLead(c echo.Context) error {
	id, err := s.leadID(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	lead, err := s.store.GetLead(ctx, id)
	if err != nil {
		return leadNotFound(err)
	}
	out := toLeadJSON(lead)
	if lead.RequiresHumanReview {
		r, err := s.store.OpenReviewOfLead(ctx, id)
		switch {
		case err == nil:
			out.OpenTaskID = &r.ID
		case !errors.Is(err, store.ErrNotFound):
			return err
		}
	}
	return c.JSON(http.StatusOK, out)
}

type flagBody struct {
	ReviewType string `json:"review_type"`
	Reason     string `json:"reason"`
	Source     string `json:"source"`
}

// flagAnswer is what every flagging call answers: whether it flagged, why
// (or why not), and the task.
type flagAnswer struct {
	Flagged bool      `json:"flagged"`
	Created bool      `json:"created"`
	Reason  string    `json:"reason"`
	Task    *taskJSON `json:"task"`
	// HeldBack: the rule fired but the cool-down held the flag back;
	// HeldBackReason says why ("cooldown") and DecidedTask is the decision
	// that holds it.
	// Sampled: not flagged, but picked for a QA sample (Task is the sample).
	Sampled        bool      `json:"sampled"`
	HeldBack       bool      `json:"held_back"`
	HeldBackReason string    `json:"held_back_reason,omitempty"`
	DecidedTask    *taskJSON `json:"decided_task,omitempty"`
}

func answerFlag(c echo.Context, af *store.AutoFlag) error {
	a := flagAnswer{Flagged: af.Flagged, Created: af.Created, Reason: af.Why, Sampled: af.Sampled, HeldBack: af.HeldBack, HeldBackReason: af.HoldReason}
	if af.Review != nil {
		t := toTaskJSON(af.Review)
		a.Task = &t
	}
	if af.DecidedReview != nil {
		t := toTaskJSON(af.DecidedReview)
		a.DecidedTask = &t
	}
	status := http.StatusOK
	if af.Created && af.Flagged {
		status = http.StatusCreated
	}
	return c.JSON(status, a)
}

// apiFlag opens a review of the lead (201) or adds to its open one (200).
func (s *Server) apiFlag(c echo.Context) error {
	id, err := s.leadID(c)
	if err != nil {
		return err
	}
	var b flagBody
	if err := decodeJSON(c, &b, false); err != nil {
		return err
	}
	res, err := s.store.Flag(c.Request().Context(), id, store.FlagInput{ReviewType: b.ReviewType, Reason: b.Reason, Source: b.Source}, actorOf(c))
	if err != nil {
		return leadNotFound(err)
	}
	why := "added to the open review"
	if res.Created {
		why = "opened a new review"
	}
	return answerFlag(c, &store.AutoFlag{Flagged: true, Created: res.Created, Review: res.Review, Why: why})
}

type scoreBody struct {
	Score *int `json:"score"`
}

// apiScore records a score; over the threshold (and with the rule on) it
// flags PROPOSAL. It answers 200, or 201 when it opened a review.
func (s *Server) apiScore(c echo.Context) error {
	id, err := s.leadID(c)
	if err != nil {
		return err
	}
	var b scoreBody
	if err := decodeJSON(c, &b, false); err != nil {
		return err
	}
	if b.Score == nil {
		return badRequest("score: is required (a whole number from 0 to 100)")
	}
	af, err := s.store.RecordScore(c.Request().Context(), id, *b.Score, actorOf(c))
	if err != nil {
		return leadNotFound(err)
	}
	return answerFlag(c, af)
}

type qualityBody struct {
	Issues *[]store.QualityIssue `json:"issues"`
}

// apiQuality takes a quality gate's findings; a high-severity one flags
// MESSAGE when the rule is on.
func (s *Server) apiQuality(c echo.Context) error {
	id, err := s.leadID(c)
	if err != nil {
		return err
	}
	var b qualityBody
	if err := decodeJSON(c, &b, false); err != nil {
		return err
	}
	if b.Issues == nil {
		return badRequest("issues: is required (an array, possibly empty)")
	}
	af, err := s.store.RecordQuality(c.Request().Context(), id, *b.Issues, actorOf(c))
	if err != nil {
		return leadNotFound(err)
	}
	return answerFlag(c, af)
}

// apiLeadHistory is every review of the lead, newest first, a page at a
// time (limit, cursor → next_cursor).
func (s *Server) apiLeadHistory(c echo.Context) error {
	id, err := s.leadID(c)
	if err != nil {
		return err
	}
	limit := 20
	if raw := c.QueryParam("limit"); raw != "" {
		if limit, err = strconv.Atoi(raw); err != nil || limit < 1 || limit > store.MaxHistoryPage {
			return badRequest(fmt.Sprintf("limit: must be a whole number from 1 to %d", store.MaxHistoryPage))
		}
	}
	before, err := store.ParseHistoryCursor(c.QueryParam("cursor"))
	if err != nil {
		return badRequest("cursor: not a cursor this server made; start again without it")
	}
	ctx := c.Request().Context()
	if _, err := s.store.GetLead(ctx, id); err != nil {
		return leadNotFound(err)
	}
	page, next, err := s.store.LeadHistory(ctx, id, before, limit)
	if err != nil {
		return err
	}
	out := make([]historyReviewJSON, 0, len(page))
	for _, r := range page {
		out = append(out, historyReviewJSON{taskJSON: toTaskJSON(&r.Review), Changes: r.Changes})
	}
	var cursor *string
	if next != 0 {
		c := store.EncodeHistoryCursor(next)
		cursor = &c
	}
	return c.JSON(http.StatusOK, map[string]any{"lead_id": id, "reviews": out, "next_cursor": cursor})
}

// historyReviewJSON is one review of a lead's history; changes (old → new
// per field) when it was opened by a change after approval.
type historyReviewJSON struct {
	taskJSON
	Changes map[string]store.FieldChange `json:"changes,omitempty"`
}
