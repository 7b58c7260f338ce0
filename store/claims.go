package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// lockReview reads review id and locks it for update inside tx (on MySQL;
// SQLite's BEGIN IMMEDIATE already serialises writers). It does not check
// the status: each caller refuses what it must (decidedConflict).
func lockReview(tx *gorm.DB, id int64) (*Review, error) {
	var r Review
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(&r).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find review: %w", err)
	}
	return &r, nil
}

// claimRefusal refuses an action on r while someone other than actor holds
// a live claim on it (nil otherwise): the one check of decisions, claims
// and releases.
func claimRefusal(r *Review, actor Actor, now time.Time) error {
	if r.ClaimedBy == nil || r.ClaimExpiresAt == nil || !r.ClaimExpiresAt.After(now) || actor.HoldsClaim(r.ClaimedBy) {
		return nil
	}
	return &ConflictError{Message: fmt.Sprintf("claimed by %s until %s", deref(r.ClaimedByName), DisplayClock(*r.ClaimExpiresAt))}
}

// ClaimResult says what a claim did.
type ClaimResult struct {
	Review *Review
	// Renewed is true when the actor already held the claim.
	Renewed bool
}

// Claim gives the operator an exclusive lease on a pending review for
// Options.ClaimLease, or renews the lease they already hold. A live claim of
// someone else is refused (ConflictError); an expired one is taken over.
// A new claim is a history event; a renewal is not.
func (s *Store) Claim(ctx context.Context, reviewID int64, actor Actor) (*ClaimResult, error) {
	if actor.Type != ActorOperator || actor.ID == 0 {
		return nil, invalid("actor", "only an operator can claim a review")
	}
	res := &ClaimResult{}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		r, err := lockReview(tx, reviewID)
		if err != nil {
			return err
		}
		if r.Status != StatusPending {
			return decidedConflict(r)
		}
		now := Now()
		if err := claimRefusal(r, actor, now); err != nil {
			return err
		}
		held := actor.HoldsClaim(r.ClaimedBy) && r.ClaimExpiresAt != nil && r.ClaimExpiresAt.After(now)
		expires := now.Add(s.opts.ClaimLease)
		if err := tx.Model(&Review{}).Where("id = ?", r.ID).Updates(map[string]any{
			"claimed_by": actor.ID, "claimed_by_name": actor.Name, "claim_expires_at": expires, "updated_at": now,
		}).Error; err != nil {
			return fmt.Errorf("claim review: %w", err)
		}
		if !held {
			detail := map[string]any{"lease_seconds": int(s.opts.ClaimLease.Seconds()), "expires_at": expires}
			if r.ClaimedBy != nil && !actor.HoldsClaim(r.ClaimedBy) {
				detail["took_over_expired_claim_of"] = deref(r.ClaimedByName)
			}
			if err := tx.Create(newEvent(r, EventClaimed, actor, detail)).Error; err != nil {
				return fmt.Errorf("write history: %w", err)
			}
		}
		res.Renewed = held
		r.ClaimedBy, r.ClaimedByName, r.ClaimExpiresAt, r.UpdatedAt = &actor.ID, &actor.Name, &expires, now
		if !held {
			if err := s.emitReviewChange(ctx, tx, WebhookReviewClaimed, r, "claimed_by", actor, map[string]any{"expires_at": expires}); err != nil {
				return err
			}
		}
		res.Review = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return res, nil
}

// Release gives up the actor's claim on a review. Releasing a review that
// is not claimed (or whose claim expired) changes nothing; releasing
// someone else's live claim is refused.
func (s *Store) Release(ctx context.Context, reviewID int64, actor Actor) (*Review, error) {
	var out *Review
	err := s.tx(ctx, func(tx *gorm.DB) error {
		r, err := lockReview(tx, reviewID)
		if err != nil {
			return err
		}
		out = r
		now := Now()
		if err := claimRefusal(r, actor, now); err != nil {
			return err
		}
		if r.ClaimedBy == nil || r.ClaimExpiresAt == nil || !r.ClaimExpiresAt.After(now) {
			return nil
		}
		if err := tx.Model(&Review{}).Where("id = ?", r.ID).Updates(map[string]any{
			"claimed_by": nil, "claimed_by_name": nil, "claim_expires_at": nil, "updated_at": now,
		}).Error; err != nil {
			return fmt.Errorf("release review: %w", err)
		}
		if err := tx.Create(newEvent(r, EventReleased, actor, nil)).Error; err != nil {
			return fmt.Errorf("write history: %w", err)
		}
		r.ClaimedBy, r.ClaimedByName, r.ClaimExpiresAt = nil, nil, nil
		return s.emitReviewChange(ctx, tx, WebhookReviewReleased, r, "released_by", actor, nil)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
