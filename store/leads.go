package store

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// LeadInput is a lead as an engine sends it. Nil fields are left as they are
// on update.
type LeadInput struct {
	ExternalID       string
	Name             *string
	Email            *string
	Company          *string
	Industry         *string
	Campaign         *string
	Score            *int
	Status           *string
	Tags             []string
	FailedAttempts   *int
	LastReplySnippet *string
	MessageSubject   *string
	MessageBody      *string
}

func checkLen(field string, v *string, max int) error {
	if v != nil && utf8.RuneCountInString(*v) > max {
		return invalid(field, "must be at most %d characters", max)
	}
	return nil
}

// Validate checks every field and names the first bad one.
func (in *LeadInput) Validate() error {
	in.ExternalID = strings.TrimSpace(in.ExternalID)
	if in.ExternalID == "" {
		return invalid("external_id", "is required")
	}
	if len(in.ExternalID) > 191 {
		return invalid("external_id", "must be at most 191 bytes")
	}
	for _, c := range []struct {
		f   string
		v   *string
		max int
	}{{"name", in.Name, 200}, {"email", in.Email, 254}, {"company", in.Company, 200}, {"industry", in.Industry, 100},
		{"campaign", in.Campaign, 100}, {"last_reply_snippet", in.LastReplySnippet, 5000},
		{"message.subject", in.MessageSubject, 500}, {"message.body", in.MessageBody, 20000}} {
		if err := checkLen(c.f, c.v, c.max); err != nil {
			return err
		}
	}
	if in.Email != nil && *in.Email != "" {
		if _, err := mail.ParseAddress(*in.Email); err != nil {
			return invalid("email", "is not a valid email address")
		}
	}
	if in.Score != nil && (*in.Score < 0 || *in.Score > 100) {
		return invalid("score", "must be from 0 to 100")
	}
	if in.Status != nil && !slices.Contains(LeadStatuses, *in.Status) {
		return invalid("status", "must be one of %s", strings.Join(LeadStatuses, ", "))
	}
	if in.FailedAttempts != nil && (*in.FailedAttempts < 0 || *in.FailedAttempts > 1000000) {
		return invalid("failed_attempts", "must be 0 or more")
	}
	for _, t := range in.Tags {
		if t == "" || strings.Contains(t, ",") || len(t) > 64 {
			return invalid("tags", "each tag must be 1 to 64 characters without commas")
		}
	}
	if len(strings.Join(in.Tags, ",")) > 1000 {
		return invalid("tags", "too many tags")
	}
	return nil
}

// UpsertLead creates or updates a lead by external id, in one transaction;
// created says which. The campaign of an open review follows the lead's.
func (s *Store) UpsertLead(ctx context.Context, in LeadInput) (*Lead, bool, error) {
	if err := in.Validate(); err != nil {
		return nil, false, err
	}
	var lead Lead
	created := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		// A retried transaction starts afresh (Take would also add the id
		// a failed attempt left in lead to its conditions).
		lead, created = Lead{}, false
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("external_id = ?", in.ExternalID).Take(&lead).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			created = true
			now := Now()
			lead = Lead{ExternalID: in.ExternalID, Status: "new", CreatedAt: now, UpdatedAt: now}
			applyLeadInput(&lead, in)
			if err := tx.Create(&lead).Error; err != nil {
				if errors.Is(err, gorm.ErrDuplicatedKey) {
					return &ConflictError{Message: "a lead with this external_id was created at the same time; retry"}
				}
				return fmt.Errorf("create lead: %w", err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("find lead: %w", err)
		}
		outbox, err := s.outbox(ctx, tx, lead.ID)
		if err != nil {
			return err
		}
		oldCampaign, oldSubject, oldBody := lead.Campaign, lead.MessageSubject, lead.MessageBody
		before := lead
		applyLeadInput(&lead, in)
		if sameLead(&lead, &before) {
			return nil // an identical upsert changes nothing
		}
		lead.UpdatedAt = Now()
		if err := tx.Save(&lead).Error; err != nil {
			return fmt.Errorf("update lead: %w", err)
		}
		if err := s.messageChanged(ctx, tx, &lead, oldSubject, oldBody, outbox); err != nil {
			return err
		}
		if lead.Campaign != oldCampaign {
			if err := tx.Model(&Review{}).Where("open_lead_id = ?", lead.ID).Update("campaign", lead.Campaign).Error; err != nil {
				return fmt.Errorf("update review campaign: %w", err)
			}
		}
		return s.emitLeadUpdated(ctx, tx, outbox, &lead)
	})
	if err != nil {
		return nil, false, err
	}
	return &lead, created, nil
}

// sameLead says whether an upsert left every field of the lead as it was.
func sameLead(a, b *Lead) bool {
	return a.Name == b.Name && a.Email == b.Email && a.Company == b.Company && a.Industry == b.Industry &&
		a.Campaign == b.Campaign && a.Score == b.Score && a.Status == b.Status && a.Tags == b.Tags &&
		a.FailedAttempts == b.FailedAttempts && (a.LastReplySnippet == nil) == (b.LastReplySnippet == nil) &&
		deref(a.LastReplySnippet) == deref(b.LastReplySnippet) && a.MessageSubject == b.MessageSubject &&
		(a.MessageBody == nil) == (b.MessageBody == nil) && deref(a.MessageBody) == deref(b.MessageBody)
}

func applyLeadInput(l *Lead, in LeadInput) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&l.Name, in.Name)
	set(&l.Email, in.Email)
	set(&l.Company, in.Company)
	set(&l.Industry, in.Industry)
	set(&l.Campaign, in.Campaign)
	set(&l.MessageSubject, in.MessageSubject)
	set(&l.Status, in.Status)
	if in.Score != nil {
		l.Score = *in.Score
	}
	if in.FailedAttempts != nil {
		l.FailedAttempts = *in.FailedAttempts
	}
	if in.LastReplySnippet != nil {
		v := *in.LastReplySnippet
		l.LastReplySnippet = &v
	}
	if in.MessageBody != nil {
		v := *in.MessageBody
		l.MessageBody = &v
	}
	if in.Tags != nil {
		l.Tags = strings.Join(in.Tags, ",")
	}
}

// GetLead loads a lead by reviewq id.
func (s *Store) GetLead(ctx context.Context, id int64) (*Lead, error) {
	var l Lead
	err := s.DB.WithContext(ctx).Where("id = ?", id).Take(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get lead: %w", err)
	}
	return &l, nil
}

// GetLeadByExternalID loads a lead by the engines' id.
func (s *Store) GetLeadByExternalID(ctx context.Context, ext string) (*Lead, error) {
	var l Lead
	err := s.DB.WithContext(ctx).Where("external_id = ?", ext).Take(&l).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get lead: %w", err)
	}
	return &l, nil
}

func addTag(tags, tag string) string {
	if tags == "" {
		return tag
	}
	if slices.Contains(strings.Split(tags, ","), tag) {
		return tags
	}
	return tags + "," + tag
}
