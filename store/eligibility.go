package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"gorm.io/gorm"
)

// MaxEligibilityBatch is the most leads one eligibility call may ask about.
const MaxEligibilityBatch = 1000

// Eligibility reasons: why outreach may or may not contact a lead. The list
// is part of the API (docs/integration.md, web/openapi.json).
const (
	EligibleOK = "ok"
	// EligibleReviewOpen: a review is open (or the seed column is set).
	EligibleReviewOpen = "pending_review"
	// EligibleChanged: the open review was opened because the approved
	// message changed (source change).
	EligibleChanged  = "changed_after_approval"
	EligibleRejected = "rejected"
	EligibleSkipped  = "skipped"
	// EligibleLeadLost: the lead's status is lost (not by a decision that
	// still stands).
	EligibleLeadLost    = "lost"
	EligibleUnknownLead = "unknown_lead"
)

// EligibilityReasons lists every reason, eligible first.
var EligibilityReasons = []string{EligibleOK, EligibleReviewOpen, EligibleChanged, EligibleRejected, EligibleSkipped,
	EligibleLeadLost, EligibleUnknownLead}

// Eligibility says whether outreach may contact a lead now, and why.
type Eligibility struct {
	LeadID     int64
	ExternalID string
	Found      bool
	Eligible   bool
	Reason     string
	Message    string
	// Set while a review is open.
	TaskID     *int64
	ReviewType *string
}

type eligibilityRow struct {
	ID                  int64
	ExternalID          string
	Status              string
	RequiresHumanReview bool
	ReviewType          *string
	TaskID              *int64
	// TaskSource is the open review's source; LastDecision the status of
	// the lead's most recent decided review.
	TaskSource   *string
	LastDecision *string
}

func (r eligibilityRow) judge() Eligibility {
	e := Eligibility{LeadID: r.ID, ExternalID: r.ExternalID, Found: true, TaskID: r.TaskID, ReviewType: r.ReviewType}
	switch {
	case r.TaskID != nil && deref(r.TaskSource) == SourceChange:
		e.Reason = EligibleChanged
		e.Message = fmt.Sprintf("the message changed after it was approved: wait for an operator to review the new one (task %d)", *r.TaskID)
	case r.RequiresHumanReview || r.TaskID != nil:
		// Either signal is enough: an engine may have set the seed column
		// directly, and the open review is the truth of the queue.
		e.Reason = EligibleReviewOpen
		typ := "a"
		if r.ReviewType != nil {
			typ = "a " + *r.ReviewType
		}
		e.Message = typ + " review is open: wait for an operator's decision"
		if deref(r.TaskSource) == SourceSample {
			// A QA sample holds outreach like any review: nothing goes out
			// before an operator approves it.
			e.Message = "the lead was picked for a QA sample: wait for an operator's decision"
		}
		if r.TaskID != nil {
			e.Message += fmt.Sprintf(" (task %d)", *r.TaskID)
		}
	case deref(r.LastDecision) == StatusRejected:
		// Whatever the lead's status says now: an engine resetting it does
		// not undo an operator's reject (a reopen or a new approval does).
		e.Reason = EligibleRejected
		e.Message = "an operator rejected the lead's last review"
	case deref(r.LastDecision) == StatusSkipped:
		e.Reason = EligibleSkipped
		e.Message = "an operator skipped the lead's last review"
	case r.Status == "lost":
		e.Reason = EligibleLeadLost
		e.Message = "the lead is lost (its status is lost)"
	default:
		e.Eligible = true
		e.Reason = EligibleOK
		e.Message = "no open review; the lead may be contacted"
	}
	return e
}

// eligibilitySelect reads leads with their open review, if any: the primary
// key (or the unique external_id) and the unique open_lead_id index.
// The lead's last decision is a column of the lead, kept by the decisions:
// no other row is read per lead.
const eligibilitySelect = "SELECT leads.id, leads.external_id, leads.status, leads.requires_human_review, leads.review_type, " +
	"reviews.id AS task_id, reviews.source, leads.last_decision FROM leads LEFT JOIN reviews ON reviews.open_lead_id = leads.id"

// EligibilitySQL is the batch query as the database gets it, for EXPLAIN
// (the hot path must stay on the primary key and the unique indexes).
func (s *Store) EligibilitySQL(ids []int64, ext []string) string {
	return s.DB.ToSQL(func(tx *gorm.DB) *gorm.DB {
		var rows []eligibilityRow
		if len(ext) > 0 {
			return tx.Raw(eligibilitySelect+" WHERE leads.external_id IN ?", ext).Scan(&rows)
		}
		return tx.Raw(eligibilitySelect+" WHERE leads.id IN ?", ids).Scan(&rows)
	})
}

// EligibilityOfExternalID answers for one lead by the engines' id, in the
// same single query; ErrNotFound if unknown.
func (s *Store) EligibilityOfExternalID(ctx context.Context, ext string) (*Eligibility, error) {
	return s.eligibilityOfOne(ctx, "leads.external_id = ?", ext)
}

// EligibilityOf answers for one lead by reviewq id; ErrNotFound if unknown.
func (s *Store) EligibilityOf(ctx context.Context, leadID int64) (*Eligibility, error) {
	return s.eligibilityOfOne(ctx, "leads.id = ?", leadID)
}

// eligibilityOfOne runs one fixed statement, without GORM's statement
// building (the engines call it for every message they send).
func (s *Store) eligibilityOfOne(ctx context.Context, where string, key any) (*Eligibility, error) {
	var r eligibilityRow
	var typ, source, last sql.NullString
	var task sql.NullInt64
	err := s.SQL.QueryRowContext(ctx, eligibilitySelect+" WHERE "+where+" LIMIT 1", key).
		Scan(&r.ID, &r.ExternalID, &r.Status, &r.RequiresHumanReview, &typ, &task, &source, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("eligibility: %w", err)
	}
	r.ReviewType, r.TaskID, r.TaskSource, r.LastDecision = nullStr(typ), nullInt(task), nullStr(source), nullStr(last)
	e := r.judge()
	return &e, nil
}

func checkBatch(n int) error {
	if n == 0 {
		return invalid("lead_ids", "give at least one lead id (lead_ids or external_ids)")
	}
	if n > MaxEligibilityBatch {
		return invalid("lead_ids", "at most %d leads per call", MaxEligibilityBatch)
	}
	return nil
}

// EligibilityByIDs answers for many leads by reviewq id in one query, in
// the order asked; unknown ids are answered as not eligible.
func (s *Store) EligibilityByIDs(ctx context.Context, ids []int64) ([]Eligibility, error) {
	if err := checkBatch(len(ids)); err != nil {
		return nil, err
	}
	rows, err := scanEligibility(s.DB.WithContext(ctx).Raw(eligibilitySelect+" WHERE leads.id IN ?", ids))
	if err != nil {
		return nil, fmt.Errorf("eligibility: %w", err)
	}
	byID := make(map[int64]eligibilityRow, len(rows))
	for _, r := range rows {
		byID[r.ID] = r
	}
	out := make([]Eligibility, 0, len(ids))
	for _, id := range ids {
		if r, ok := byID[id]; ok {
			out = append(out, r.judge())
		} else {
			out = append(out, unknownLead(id, ""))
		}
	}
	return out, nil
}

// EligibilityByExternalIDs is EligibilityByIDs for the engines' ids.
func (s *Store) EligibilityByExternalIDs(ctx context.Context, ext []string) ([]Eligibility, error) {
	if err := checkBatch(len(ext)); err != nil {
		return nil, invalid("external_ids", "%s", strings.TrimPrefix(err.Error(), "lead_ids: "))
	}
	rows, err := scanEligibility(s.DB.WithContext(ctx).Raw(eligibilitySelect+" WHERE leads.external_id IN ?", ext))
	if err != nil {
		return nil, fmt.Errorf("eligibility: %w", err)
	}
	// External ids compare exactly on both dialects (utf8mb4_bin on MySQL).
	byExt := make(map[string]eligibilityRow, len(rows))
	for _, r := range rows {
		byExt[r.ExternalID] = r
	}
	out := make([]Eligibility, 0, len(ext))
	for _, x := range ext {
		if r, ok := byExt[x]; ok {
			out = append(out, r.judge())
		} else {
			out = append(out, unknownLead(0, x))
		}
	}
	return out, nil
}

func unknownLead(id int64, ext string) Eligibility {
	return Eligibility{LeadID: id, ExternalID: ext, Reason: EligibleUnknownLead,
		Message: "no such lead: outreach must not contact a lead reviewq has not seen"}
}

// scanEligibility reads eligibilitySelect's rows by hand: this is the
// outreach engine's hot path, and GORM's reflection cost more than the query.
func scanEligibility(q *gorm.DB) ([]eligibilityRow, error) {
	rs, err := q.Rows()
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []eligibilityRow
	for rs.Next() {
		var r eligibilityRow
		var typ, source, last sql.NullString
		var task sql.NullInt64
		if err := rs.Scan(&r.ID, &r.ExternalID, &r.Status, &r.RequiresHumanReview, &typ, &task, &source, &last); err != nil {
			return nil, err
		}
		r.ReviewType, r.TaskID, r.TaskSource, r.LastDecision = nullStr(typ), nullInt(task), nullStr(source), nullStr(last)
		out = append(out, r)
	}
	return out, rs.Err()
}
