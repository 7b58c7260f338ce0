package web

import (
	"encoding/json"
	"time"

	"reviewq/store"
)

// The JSON shapes of the API. Handlers map store records onto these so the
// wire format never follows a GORM model by accident.

type messageJSON struct {
	Subject string  `json:"subject"`
	Body    *string `json:"body"`
}

type leadJSON struct {
	ID                  int64       `json:"id"`
	ExternalID          string      `json:"external_id"`
	Name                string      `json:"name"`
	Email               string      `json:"email"`
	Company             string      `json:"company"`
	Industry            string      `json:"industry"`
	Campaign            string      `json:"campaign"`
	Score               int         `json:"score"`
	Status              string      `json:"status"`
	Tags                []string    `json:"tags"`
	FailedAttempts      int         `json:"failed_attempts"`
	LastReplySnippet    *string     `json:"last_reply_snippet"`
	Message             messageJSON `json:"message"`
	RequiresHumanReview bool        `json:"requires_human_review"`
	ReviewType          *string     `json:"review_type"`
	ReviewReason        *string     `json:"review_reason"`
	// OpenTaskID is the open review's id (GET only; omitted elsewhere).
	OpenTaskID *int64    `json:"open_task_id,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func toLeadJSON(l *store.Lead) leadJSON {
	tags := l.TagList()
	if tags == nil {
		tags = []string{}
	}
	return leadJSON{
		ID: l.ID, ExternalID: l.ExternalID, Name: l.Name, Email: l.Email, Company: l.Company, Industry: l.Industry,
		Campaign: l.Campaign, Score: l.Score, Status: l.Status, Tags: tags, FailedAttempts: l.FailedAttempts,
		LastReplySnippet: l.LastReplySnippet, Message: messageJSON{Subject: l.MessageSubject, Body: l.MessageBody},
		RequiresHumanReview: l.RequiresHumanReview, ReviewType: l.ReviewType, ReviewReason: l.ReviewReason,
		CreatedAt: l.CreatedAt.UTC(), UpdatedAt: l.UpdatedAt.UTC(),
	}
}

type decisionJSON struct {
	ByType     string       `json:"by_type"`
	By         string       `json:"by"`
	At         *time.Time   `json:"at"`
	ReasonCode *string      `json:"reason_code"`
	Notes      *string      `json:"notes"`
	Message    *messageJSON `json:"message,omitempty"`
}

type claimJSON struct {
	By        string    `json:"by"`
	ExpiresAt time.Time `json:"expires_at"`
}

type assigneeJSON struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
}

type escalatedJSON struct {
	At   time.Time `json:"at"`
	Note string    `json:"note"`
}

type taskJSON struct {
	ID         int64  `json:"id"`
	LeadID     int64  `json:"lead_id"`
	ExternalID string `json:"external_id,omitempty"`
	ReviewType string `json:"review_type"`
	Reason     string `json:"reason"`
	Source     string `json:"source"`
	// SampleRule names the rule a QA sample checks (null for other tasks).
	SampleRule  *string       `json:"sample_rule"`
	Campaign    string        `json:"campaign"`
	ScoreAtFlag int           `json:"score_at_flag"`
	FlaggedAt   time.Time     `json:"flagged_at"`
	Status      string        `json:"status"`
	Version     int           `json:"version"`
	Claim       *claimJSON    `json:"claim"`
	Decision    *decisionJSON `json:"decision"`
	// Assignee is the operator the task is assigned to (null: nobody).
	Assignee *assigneeJSON `json:"assignee"`
	// Escalated is set while the task waits for a lead.
	Escalated *escalatedJSON `json:"escalated"`
	// SnoozedUntil is set while the task is snoozed (a past time is not).
	SnoozedUntil *time.Time  `json:"snoozed_until"`
	SnoozeReason *string     `json:"snooze_reason"`
	Lead         *leadJSON   `json:"lead,omitempty"`
	History      []eventJSON `json:"history,omitempty"`
}

func toTaskJSON(r *store.Review) taskJSON {
	t := taskJSON{ID: r.ID, LeadID: r.LeadID, ReviewType: r.ReviewType, Reason: r.Reason, Source: r.Source, SampleRule: r.SampleRule,
		Campaign: r.Campaign, ScoreAtFlag: r.ScoreAtFlag, FlaggedAt: r.FlaggedAt.UTC(), Status: r.Status, Version: r.Version}
	if r.ClaimedByName != nil && r.ClaimExpiresAt != nil && r.ClaimExpiresAt.After(store.Now()) {
		t.Claim = &claimJSON{By: *r.ClaimedByName, ExpiresAt: r.ClaimExpiresAt.UTC()}
	}
	if r.AssigneeID != nil {
		t.Assignee = &assigneeJSON{ID: *r.AssigneeID}
		if r.AssigneeName != nil {
			t.Assignee.Name = *r.AssigneeName
		}
	}
	if r.EscalatedAt != nil {
		t.Escalated = &escalatedJSON{At: r.EscalatedAt.UTC()}
		if r.EscalationNote != nil {
			t.Escalated.Note = *r.EscalationNote
		}
	}
	if r.Snoozed(store.Now()) {
		until := r.SnoozedUntil.UTC()
		t.SnoozedUntil, t.SnoozeReason = &until, r.SnoozeReason
	}
	if r.DecidedAt != nil {
		d := &decisionJSON{ReasonCode: r.ReasonCode, Notes: r.Notes}
		if r.DecidedByType != nil {
			d.ByType = *r.DecidedByType
		}
		if r.DecidedByName != nil {
			d.By = *r.DecidedByName
		}
		at := r.DecidedAt.UTC()
		d.At = &at
		if r.DecisionSubject != nil || r.DecisionBody != nil {
			d.Message = &messageJSON{Body: r.DecisionBody}
			if r.DecisionSubject != nil {
				d.Message.Subject = *r.DecisionSubject
			}
		}
		t.Decision = d
	}
	return t
}

type eventJSON struct {
	ID        int64           `json:"id"`
	Kind      string          `json:"kind"`
	ActorType string          `json:"actor_type"`
	Actor     string          `json:"actor"`
	Detail    json.RawMessage `json:"detail,omitempty"`
	At        time.Time       `json:"at"`
}

func toEventJSON(e store.ReviewEvent) eventJSON {
	ev := eventJSON{ID: e.ID, Kind: e.Kind, ActorType: e.ActorType, Actor: e.ActorName, At: e.CreatedAt.UTC()}
	if e.Detail != nil && json.Valid([]byte(*e.Detail)) {
		ev.Detail = json.RawMessage(*e.Detail)
	}
	return ev
}

type eligibilityJSON struct {
	LeadID     int64   `json:"lead_id,omitempty"`
	ExternalID string  `json:"external_id,omitempty"`
	Eligible   bool    `json:"eligible"`
	Reason     string  `json:"reason"`
	Message    string  `json:"message"`
	TaskID     *int64  `json:"task_id,omitempty"`
	ReviewType *string `json:"review_type,omitempty"`
}

func toEligibilityJSON(e store.Eligibility) eligibilityJSON {
	return eligibilityJSON{LeadID: e.LeadID, ExternalID: e.ExternalID, Eligible: e.Eligible, Reason: e.Reason,
		Message: e.Message, TaskID: e.TaskID, ReviewType: e.ReviewType}
}
