package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// undoSnapshot is what a decision's history event holds of the review
// and the lead before it (decisionDetail). Keys that decisions made before
// undo existed lack are nil: Undo then falls back to what Reopen does.
type undoSnapshot struct {
	Version        int        `json:"version"`
	LeadStatus     string     `json:"lead_status"`
	LeadTags       *string    `json:"lead_tags"`
	MessageSubject string     `json:"message_subject"`
	MessageBody    string     `json:"message_body"`
	ClaimedBy      *int64     `json:"claimed_by"`
	ClaimedByName  *string    `json:"claimed_by_name"`
	ClaimExpiresAt *time.Time `json:"claim_expires_at"`
	// EditedSubject is present when the decision changed the message.
	EditedSubject *string `json:"edited_subject"`
	EditedBody    *string `json:"edited_body"`
}

// Undo takes back a decision moments after it was made (the pages' "Undo"
// toast): only the actor who decided, within decisions.undo_seconds of the
// decision, and only while nothing else changed the review or its lead
// since. In one transaction it puts the review back exactly as it was
// (pending, open, its claim as it was, the version one up), gives the lead
// back its status, tags, message, flag and last decision from the
// decision's snapshot, writes an 'undone' event (the decision's event stays:
// history is append-only) and takes the decision out of the daily stats,
// so an undone decision counts nowhere. The decision's path writes nothing
// extra for this: everything comes from what it already stored.
func (s *Store) Undo(ctx context.Context, reviewID int64, actor Actor) (*Review, error) {
	set, err := s.Settings(ctx)
	if err != nil {
		return nil, err
	}
	if !set.QueueEnabled() {
		return nil, ErrQueueDisabled
	}
	window := set.UndoWindow()
	if window <= 0 {
		return nil, &ConflictError{Message: "undo is turned off (decisions.undo_seconds is 0); ask a lead to reopen the review"}
	}
	var out Review
	err = s.tx(ctx, func(tx *gorm.DB) error {
		// The lead first, then the review: the order Flag, Decide and
		// Reopen take them.
		var leadOf Review
		err := tx.Select("lead_id").Where("id = ?", reviewID).Take(&leadOf).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("find review: %w", err)
		}
		var lead Lead
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", leadOf.LeadID).Take(&lead).Error; err != nil {
			return fmt.Errorf("lock lead: %w", err)
		}
		outbox, err := s.outbox(ctx, tx, lead.ID)
		if err != nil {
			return err
		}
		r, err := lockReview(tx, reviewID)
		if err != nil {
			return err
		}
		o, decided := OutcomeOfStatus(r.Status)
		if !decided || r.DecidedAt == nil {
			return &ConflictError{Message: "this review is not decided (it is " + r.Status + "); there is nothing to undo"}
		}
		if !actor.Is(r.DecidedByType, r.DecidedByID) {
			return &ConflictError{Message: fmt.Sprintf("only %s, who decided it, can undo this decision; ask a lead to reopen it", deref(r.DecidedByName))}
		}
		now := Now()
		if now.Sub(*r.DecidedAt) > window {
			secs := int(window / time.Second)
			unit := "seconds"
			if secs == 1 {
				unit = "second"
			}
			return &ConflictError{Message: fmt.Sprintf("too late to undo: a decision can be undone for %d %s; ask a lead to reopen it", secs, unit)}
		}
		var ev ReviewEvent
		err = tx.Where("review_id = ? AND kind = ?", r.ID, o.Event).Order("id DESC").Take(&ev).Error
		if err != nil && !errors.Is(err, gorm.ErrRecordNotFound) {
			return fmt.Errorf("find decision: %w", err)
		}
		var snap undoSnapshot
		var raw map[string]json.RawMessage
		if err != nil || ev.Detail == nil || json.Unmarshal([]byte(*ev.Detail), &snap) != nil || json.Unmarshal([]byte(*ev.Detail), &raw) != nil {
			return &ConflictError{Message: "this decision's record cannot be read back; ask a lead to reopen the review"}
		}
		// The version check: the decision set version to its snapshot's
		// plus one; anything since (a reopen, a rollback) moved it on.
		if r.Version != snap.Version+1 {
			return &ConflictError{Message: "this review changed since the decision; it can no longer be undone"}
		}
		if lead.UpdatedAt.After(*r.DecidedAt) {
			return &ConflictError{Message: "the lead changed since the decision; it can no longer be undone, ask a lead to reopen it"}
		}
		if err := refuseOtherOpenReview(tx, r.LeadID); err != nil {
			return err
		}
		marks, err := readMarks(tx, []int64{r.ID})
		if err != nil {
			return err
		}
		res := tx.Model(&Review{}).Where("id = ? AND status = ? AND version = ?", r.ID, r.Status, r.Version).Updates(map[string]any{
			"status": StatusPending, "open_lead_id": r.LeadID, "decided_by_type": nil, "decided_by_id": nil,
			"decided_by_name": nil, "decided_at": nil, "reason_code": nil, "notes": nil, "decision_subject": nil,
			"decision_body": nil, "decision_fingerprint": nil, "claimed_by": snap.ClaimedBy, "claimed_by_name": snap.ClaimedByName,
			"claim_expires_at": snap.ClaimExpiresAt, "version": r.Version + 1, "updated_at": now,
		})
		if res.Error != nil {
			if errors.Is(res.Error, gorm.ErrDuplicatedKey) {
				return &ConflictError{Message: "the lead got another open review meanwhile; decide that one instead"}
			}
			return fmt.Errorf("undo decision: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return &ConflictError{Message: "this review changed while you undid it; look again"}
		}
		if err := tx.Model(&Lead{}).Where("id = ?", lead.ID).Updates(undoneLead(&lead, o, &snap, raw, now)).Error; err != nil {
			return fmt.Errorf("update lead: %w", err)
		}
		if err := setLeadFlag(tx, lead.ID, r); err != nil {
			return err
		}
		detail := map[string]any{"from_status": r.Status, "decided_at": r.DecidedAt, "decision_event": ev.ID}
		if r.ReasonCode != nil {
			detail["reason_code"] = *r.ReasonCode
		}
		if err := tx.Create(newEvent(r, EventUndone, actor, detail)).Error; err != nil {
			return fmt.Errorf("write history: %w", err)
		}
		if err := s.uncountDecision(tx, r, marks[r.ID]); err != nil {
			return err
		}
		if err := s.emitBackToPending(ctx, tx, outbox, WebhookReviewUndone, "undone_by", r, actor); err != nil {
			return err
		}
		return tx.Where("id = ?", r.ID).Take(&out).Error
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// UndoneKind is the stats_daily kind counting undone decisions of status
// ("undone_approved"). The stats page reads only the decided kinds, so an
// undone decision counts nowhere there; /metrics adds these back to keep its
// decision counters from going down.
func UndoneKind(status string) string { return "undone_" + status }

// undoneLead is the lead's columns as they were before the decision.
func undoneLead(lead *Lead, o Outcome, snap *undoSnapshot, raw map[string]json.RawMessage, now time.Time) map[string]any {
	upd := map[string]any{"updated_at": now}
	if o.LeadStatus != "" && slices.Contains(LeadStatuses, snap.LeadStatus) {
		upd["status"] = snap.LeadStatus
	}
	switch {
	case snap.LeadTags != nil:
		upd["tags"] = *snap.LeadTags
	case o.LeadTag != "":
		upd["tags"] = removeTag(lead.Tags, o.LeadTag)
	}
	if snap.EditedSubject != nil || snap.EditedBody != nil {
		upd["message_subject"], upd["message_body"] = snap.MessageSubject, nullable(snap.MessageBody)
	}
	if _, ok := raw["last_decision"]; ok {
		var last *string
		_ = json.Unmarshal(raw["last_decision"], &last)
		upd["last_decision"] = last
	} else {
		// As Reopen: the decision no longer stands.
		upd["last_decision"] = nil
	}
	return upd
}

// uncountDecision takes the decided review r out of the daily counters and
// the duration histograms it was added to (decisionCounters.add): the same
// keys, minus one. The rows are those of this instance's lane; readers
// add up the shards, so the totals come out right whichever shard the
// decision was counted in.
func (s *Store) uncountDecision(tx *gorm.DB, r *Review, marks []historyMark) error {
	actorType, actorID := deref(r.DecidedByType), int64(0)
	if r.DecidedByID != nil {
		actorID = *r.DecidedByID
	}
	at := *r.DecidedAt
	day, shard := Day(at), s.statShard(r.ID)
	k := dailyKey{Day: day, Kind: r.Status, ReviewType: r.ReviewType, Source: r.Source, ActorType: actorType, ActorID: actorID, ReasonCode: deref(r.ReasonCode)}
	if err := upsertDaily(tx, k, shard, deref(r.DecidedByName), -1); err != nil {
		return err
	}
	// Counted apart as undone, so that decided + undone never goes down:
	// /metrics exports it as a Prometheus counter, which must not.
	undone := k
	undone.Kind = UndoneKind(r.Status)
	if err := upsertDaily(tx, undone, shard, deref(r.DecidedByName), 1); err != nil {
		return err
	}
	if err := tx.Exec(`DELETE FROM stats_daily WHERE day = ? AND kind = ? AND review_type = ? AND source = ? AND actor_type = ?
		AND actor_id = ? AND reason_code = ? AND shard = ? AND n = 0`, k.Day, k.Kind, k.ReviewType, k.Source, k.ActorType, k.ActorID, k.ReasonCode, shard).Error; err != nil {
		return fmt.Errorf("daily stats: %w", err)
	}
	wait, handle, claimed := decisionDurations(r, actorType, actorID, marks, at)
	for _, m := range []struct {
		metric string
		d      time.Duration
	}{{MetricWait, wait}, {MetricHandle, handle}} {
		if m.metric == MetricHandle && !claimed {
			continue // the decision counted no handle time either
		}
		le := bucketLE(m.d)
		if err := execStatement(tx, upsertDurationsStatement(tx.Dialector.Name() == "mysql", 1,
			[]any{day, m.metric, actorType, actorID, le, shard, -1, -m.d.Milliseconds()})); err != nil {
			return err
		}
		if err := tx.Exec(`DELETE FROM stats_daily_durations WHERE day = ? AND metric = ? AND actor_type = ? AND actor_id = ?
			AND le_seconds = ? AND shard = ? AND n = 0`, day, m.metric, actorType, actorID, le, shard).Error; err != nil {
			return fmt.Errorf("daily stats: %w", err)
		}
	}
	return nil
}
