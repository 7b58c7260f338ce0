package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// SplitInput shares pending reviews between operators: a lead's morning
// split of the queue. Each review, in the order given (the queue's order),
// goes to the chosen operator who has the fewest pending reviews assigned at
// that moment (ties: the order chosen), so a split evens out what the
// operators already hold, and several splits in a row (a bulk action takes
// at most BulkLimit reviews) add up to an even share.
type SplitInput struct {
	ReviewIDs      []int64
	AssigneeEmails []string
	Actor          Actor
	IP             string
}

// SplitItem is what happened to one review of a split.
type SplitItem struct {
	ReviewID int64
	// Assignee is the name of the operator the review went to ("" refused).
	Assignee string
	// Message explains a refusal (decided meanwhile, changed, ...).
	Message string
}

// SplitAssign assigns each review on its own (one assignment each: its own
// transaction, history event, audit entry and webhook event, so a review
// decided meanwhile is left alone without undoing the others). A refused
// review does not take an operator's turn, so the shares stay even. Bad
// input — no operator, an unknown or inactive one, too many reviews, or an
// actor who is not a lead — fails the whole request before anything changes.
func (s *Store) SplitAssign(ctx context.Context, in SplitInput) ([]SplitItem, error) {
	if len(in.ReviewIDs) == 0 {
		return nil, invalid("ids", "select at least one review")
	}
	if len(in.ReviewIDs) > BulkLimit {
		return nil, invalid("ids", "at most %d reviews at once", BulkLimit)
	}
	if len(in.AssigneeEmails) == 0 {
		return nil, invalid("assignees", "choose at least one operator")
	}
	lead, err := actsAsLead(s.DB.WithContext(ctx), in.Actor)
	if err != nil {
		return nil, err
	}
	if !lead {
		return nil, &ForbiddenError{Message: "only a lead or admin shares reviews between operators"}
	}
	var ops []*Operator
	seen := map[string]bool{}
	for _, e := range in.AssigneeEmails {
		e = strings.TrimSpace(e)
		key := strings.ToLower(e)
		if e == "" || seen[key] {
			continue
		}
		seen[key] = true
		op, err := s.activeAssignee(ctx, "assignees", e)
		if err != nil {
			return nil, err
		}
		ops = append(ops, op)
	}
	if len(ops) == 0 {
		return nil, invalid("assignees", "choose at least one operator")
	}
	held, err := s.pendingAssigned(ctx, ops)
	if err != nil {
		return nil, err
	}
	out := make([]SplitItem, 0, len(in.ReviewIDs))
	for _, id := range in.ReviewIDs {
		next := 0
		for i := range ops {
			if held[i] < held[next] {
				next = i
			}
		}
		r, err := s.assignTo(ctx, TeamChange{ReviewID: id, Actor: in.Actor, IP: in.IP}, ops[next])
		var ce *ConflictError
		var fe *ForbiddenError
		switch {
		case err == nil:
			out = append(out, SplitItem{ReviewID: id, Assignee: deref(r.AssigneeName)})
			if r.AssigneeID != nil && *r.AssigneeID == ops[next].ID {
				held[next]++
			}
		case errors.Is(err, ErrNotFound):
			out = append(out, SplitItem{ReviewID: id, Message: "no such review"})
		case errors.As(err, &ce):
			out = append(out, SplitItem{ReviewID: id, Message: ce.Message})
		case errors.As(err, &fe):
			out = append(out, SplitItem{ReviewID: id, Message: fe.Message})
		default:
			return out, fmt.Errorf("split reviews: %w", err)
		}
	}
	return out, nil
}

// pendingAssigned counts the pending reviews assigned to each operator, in
// the order of ops (the reviews_assignee index: one range per operator).
func (s *Store) pendingAssigned(ctx context.Context, ops []*Operator) ([]int64, error) {
	ids := make([]int64, len(ops))
	for i, op := range ops {
		ids[i] = op.ID
	}
	var rows []struct {
		AssigneeID int64
		N          int64
	}
	if err := s.DB.WithContext(ctx).Table("reviews").Select("assignee_id, COUNT(*) AS n").
		Where("assignee_id IN ? AND status = ?", ids, StatusPending).Group("assignee_id").Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("count assigned reviews: %w", err)
	}
	held := make([]int64, len(ops))
	for _, r := range rows {
		for i, op := range ops {
			if op.ID == r.AssigneeID {
				held[i] = r.N
			}
		}
	}
	return held, nil
}
