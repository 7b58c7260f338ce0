package store

import (
	"strings"
	"time"
)

// Roles of operator accounts, weakest first.
const (
	RoleOperator = "operator"
	RoleLead     = "lead"
	RoleAdmin    = "admin"
)

// Roles lists the valid roles.
var Roles = []string{RoleOperator, RoleLead, RoleAdmin}

// RoleRank orders roles so a guard can say "lead or above".
func RoleRank(role string) int {
	switch role {
	case RoleOperator:
		return 1
	case RoleLead:
		return 2
	case RoleAdmin:
		return 3
	}
	return 0
}

// Review types.
const (
	TypeMessage  = "MESSAGE"
	TypeProposal = "PROPOSAL"
	TypePricing  = "PRICING"
	TypeAction   = "ACTION"
	TypeRetry    = "RETRY"
)

// ReviewTypes lists the review types in display order.
var ReviewTypes = []string{TypeMessage, TypeProposal, TypePricing, TypeAction, TypeRetry}

// Flag sources.
const (
	SourceScore   = "score"
	SourceQuality = "quality_gate"
	SourceManual  = "manual"
	SourceAPI     = "api"
	// SourceChange: the lead's approved message changed after the approval
	// (see UpsertLead); reviewq opens these itself.
	SourceChange = "change"
	// SourceSample: a QA sample of a lead an automatic rule did not flag
	// (sampling.percent; see sampling.go); reviewq opens these itself.
	SourceSample = "sample"
)

// Sources lists the flag sources.
var Sources = []string{SourceScore, SourceQuality, SourceManual, SourceAPI, SourceChange, SourceSample}

// Review statuses.
const (
	StatusPending  = "pending"
	StatusApproved = "approved"
	StatusRejected = "rejected"
	StatusSkipped  = "skipped"
)

// Lead statuses.
var LeadStatuses = []string{"new", "enriched", "contacted", "replied", "qualified", "routed", "lost"}

// Event kinds of the review history.
const (
	EventFlagged   = "flagged"
	EventReflagged = "reflagged"
	EventClaimed   = "claimed"
	EventReleased  = "released"
	EventApproved  = "approved"
	EventRejected  = "rejected"
	EventSkipped   = "skipped"
	EventReopened  = "reopened"
	EventUndone    = "undone"
	EventNote      = "note"
	// EventChanged: the message of a lead under review changed (the review's
	// version goes up, so a decision prepared on the old text is refused).
	EventChanged = "changed"
	// EventHeldBack: an automatic rule's flag was held back by the
	// cool-down; written on the decision it would have reopened.
	EventHeldBack = "held_back"
	// Team work on an open review (see team.go).
	EventAssigned   = "assigned"
	EventUnassigned = "unassigned"
	EventEscalated  = "escalated"
	EventSentBack   = "sent_back"
	EventSnoozed    = "snoozed"
	EventUnsnoozed  = "unsnoozed"
)

// Actor types.
const (
	ActorOperator = "operator"
	ActorToken    = "token"
	ActorSystem   = "system"
)

// Actor is who does something: an operator, an API token or the system.
type Actor struct {
	Type string
	ID   int64
	Name string
}

// SystemActor is used by the CLI and background work.
var SystemActor = Actor{Type: ActorSystem, Name: "system"}

// Is reports whether the actor is the one recorded as typ and id. Ids are
// per type (an API token and an operator may share one), so both count.
func (a Actor) Is(typ *string, id *int64) bool {
	return typ != nil && id != nil && *typ == a.Type && *id == a.ID
}

// HoldsClaim reports whether the actor is claimedBy: claims are only ever
// operators', so a token never holds one whatever its id.
func (a Actor) HoldsClaim(claimedBy *int64) bool {
	return claimedBy != nil && a.Type == ActorOperator && *claimedBy == a.ID
}

func (a Actor) idPtr() *int64 {
	if a.Type == ActorSystem || a.ID == 0 {
		return nil
	}
	id := a.ID
	return &id
}

// Operator is a person who logs in.
type Operator struct {
	ID           int64
	Email        string
	Name         string
	Role         string
	PasswordHash string
	Active       bool
	// ShortcutsOff: the queue's single-key shortcuts are off for this
	// operator (their choice, on the account page).
	ShortcutsOff bool
	// TimeZone is the IANA zone the operator reads times in ("" is the
	// deployment's default, the display.time_zone setting).
	TimeZone  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Session is the server-side half of a login; ID is the hash of the token.
type Session struct {
	ID         string
	OperatorID int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
	IP         string
	UserAgent  string
	// MFAState is "" for a signed-in session, else what it still needs
	// (SessionNeedsCode, SessionNeedsEnrol; store/mfa.go).
	MFAState string `gorm:"column:mfa_state"`
}

// Lead is a CAM lead.
type Lead struct {
	ID                  int64
	ExternalID          string
	Name                string
	Email               string
	Company             string
	Industry            string
	Campaign            string
	Score               int
	Status              string
	Tags                string
	FailedAttempts      int
	LastReplySnippet    *string
	MessageSubject      string
	MessageBody         *string
	RequiresHumanReview bool
	ReviewType          *string
	ReviewReason        *string
	CreatedAt           time.Time
	UpdatedAt           time.Time

	// LastDecision is the status of the lead's most recent decision
	// (approved, rejected, skipped), nil before any and after a reopen.
	LastDecision *string
}

// TagList splits the comma-separated tags.
func (l Lead) TagList() []string {
	if l.Tags == "" {
		return nil
	}
	return strings.Split(l.Tags, ",")
}

// Review is one flagging episode of one lead (the API's "task").
type Review struct {
	ID              int64
	LeadID          int64
	OpenLeadID      *int64
	ReviewType      string
	Reason          string
	Source          string
	Campaign        string
	ScoreAtFlag     int
	FlaggedAt       time.Time
	Status          string
	ClaimedBy       *int64
	ClaimedByName   *string
	ClaimExpiresAt  *time.Time
	DecidedByType   *string
	DecidedByID     *int64
	DecidedByName   *string
	DecidedAt       *time.Time
	ReasonCode      *string
	Notes           *string
	DecisionSubject *string
	DecisionBody    *string
	Version         int
	CreatedAt       time.Time
	UpdatedAt       time.Time

	// DecisionFingerprint is MessageFingerprint of the message decided on.
	DecisionFingerprint *string

	// AssigneeID is the operator the review is assigned to (nil: nobody).
	AssigneeID   *int64
	AssigneeName *string
	// EscalatedAt is set while the review waits for a lead (see Escalate).
	EscalatedAt    *time.Time
	EscalationNote *string
	// SnoozedUntil keeps the review out of the default view until then; a
	// time in the past means not snoozed (no job wakes it).
	SnoozedUntil *time.Time
	SnoozeReason *string
	// SampleRule is the rule a QA sample (source sample) checks: "score"
	// or "quality_gate", the source of that rule's flags; nil otherwise.
	SampleRule *string
}

// Snoozed reports whether the review is snoozed at now.
func (r *Review) Snoozed(now time.Time) bool {
	return r.SnoozedUntil != nil && r.SnoozedUntil.After(now)
}

// clonePointees gives r its own copies of the optional fields, taken from
// a (one allocation per type for a whole page of reviews, not one per field).
func (r *Review) clonePointees(a *pointeeArena) {
	r.OpenLeadID, r.ClaimedBy, r.DecidedByID = a.int(r.OpenLeadID), a.int(r.ClaimedBy), a.int(r.DecidedByID)
	r.ClaimedByName, r.DecidedByType, r.DecidedByName = a.str(r.ClaimedByName), a.str(r.DecidedByType), a.str(r.DecidedByName)
	r.ClaimExpiresAt, r.DecidedAt = a.time(r.ClaimExpiresAt), a.time(r.DecidedAt)
	r.ReasonCode, r.Notes, r.DecisionSubject, r.DecisionBody = a.str(r.ReasonCode), a.str(r.Notes), a.str(r.DecisionSubject), a.str(r.DecisionBody)
	r.DecisionFingerprint = a.str(r.DecisionFingerprint)
	r.AssigneeID, r.AssigneeName, r.EscalationNote, r.SnoozeReason = a.int(r.AssigneeID), a.str(r.AssigneeName), a.str(r.EscalationNote), a.str(r.SnoozeReason)
	r.EscalatedAt, r.SnoozedUntil = a.time(r.EscalatedAt), a.time(r.SnoozedUntil)
	r.SampleRule = a.str(r.SampleRule)
}

// ReviewEvent is one line of a review's append-only history.
type ReviewEvent struct {
	ID        int64
	ReviewID  int64
	LeadID    int64
	Kind      string
	ActorType string
	ActorID   *int64
	ActorName string
	Detail    *string
	CreatedAt time.Time
}

// APIToken is an engine's credential; only the hash of the secret is kept.
type APIToken struct {
	ID        int64
	Name      string
	Prefix    string
	TokenHash string
	Scopes    string
	CreatedBy string
	// CreatedByID is the operator who created it (nil: the CLI).
	CreatedByID *int64
	CreatedAt   time.Time
	LastUsedAt  *time.Time
	RevokedAt   *time.Time
	// ExpiresAt, when set, ends the token like a revocation.
	ExpiresAt *time.Time
}

// ScopeList splits the comma-separated scopes.
func (t APIToken) ScopeList() []string { return strings.Split(t.Scopes, ",") }

// HasScope reports whether the token carries scope.
func (t APIToken) HasScope(scope string) bool {
	for _, s := range t.ScopeList() {
		if s == scope {
			return true
		}
	}
	return false
}

// Setting is a stored override of a runtime setting.
type Setting struct {
	Name      string `gorm:"primaryKey"`
	Value     string
	UpdatedAt time.Time
	UpdatedBy string
}

// AuditEntry is one line of the admin audit log.
type AuditEntry struct {
	ID        int64
	CreatedAt time.Time
	ActorType string
	ActorID   *int64
	ActorName string
	Action    string
	Target    string
	OldValue  *string
	NewValue  *string
	IP        string
}

// TableName keeps GORM off its pluralisation guess.
func (AuditEntry) TableName() string { return "audit_log" }

// TableName of ReviewEvent.
func (ReviewEvent) TableName() string { return "review_events" }

// TableName of APIToken.
func (APIToken) TableName() string { return "api_tokens" }
