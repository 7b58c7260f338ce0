package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// SavedView is a named queue filter and sort: personal (its owner sees
// it) or shared by a lead or admin (every operator sees it). Query is the
// normalised query string of the queue page (NormalizeViewQuery).
type SavedView struct {
	ID        int64
	OwnerID   int64
	Name      string
	Query     string
	Shared    bool
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Limits on saved views.
const (
	// MaxViewsPerOperator caps the views one operator owns (shared ones
	// included): each is counted on every queue refresh.
	MaxViewsPerOperator = 50
	// MaxViewNameLen is the longest name, in characters.
	MaxViewNameLen = 60
	// maxListedViews caps the list an operator sees (theirs and shared).
	maxListedViews = 200
)

// ViewInput saves a view for Actor (an operator).
type ViewInput struct {
	Actor  Actor
	IP     string
	Name   string
	Query  string
	Shared bool
}

// ViewItem is a view as an operator's list shows it.
type ViewItem struct {
	SavedView
	OwnerName string
	// Mine: the viewer owns it.
	Mine bool
}

func viewName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		return "", invalid("name", "give the view a name")
	case n > MaxViewNameLen:
		return "", invalid("name", "must be at most %d characters", MaxViewNameLen)
	}
	if !utf8.ValidString(name) || strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", invalid("name", "must be plain text")
	}
	return name, nil
}

// lockViewOwner reads an operator's role, locking their row so that two
// saves at once cannot both pass the limit.
func lockViewOwner(tx *gorm.DB, a Actor) (*Operator, error) {
	if a.Type != ActorOperator || a.ID == 0 {
		return nil, &ForbiddenError{Message: "views belong to operators"}
	}
	var op Operator
	err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Select("id", "role", "active").Where("id = ?", a.ID).Take(&op).Error
	if errors.Is(err, gorm.ErrRecordNotFound) || (err == nil && !op.Active) {
		return nil, &ForbiddenError{Message: "no such operator"}
	}
	if err != nil {
		return nil, fmt.Errorf("read operator: %w", err)
	}
	return &op, nil
}

func isLead(op *Operator) bool { return RoleRank(op.Role) >= RoleRank(RoleLead) }

// CreateView saves a named view of the queue. The query is checked by the
// queue's own parser and stored normalised; a shared view needs a lead or
// admin. Names are unique per owner.
func (s *Store) CreateView(ctx context.Context, in ViewInput) (*SavedView, error) {
	name, err := viewName(in.Name)
	if err != nil {
		return nil, err
	}
	query, err := NormalizeViewQuery(in.Query)
	if err != nil {
		return nil, err
	}
	var out *SavedView
	err = s.tx(ctx, func(tx *gorm.DB) error {
		op, err := lockViewOwner(tx, in.Actor)
		if err != nil {
			return err
		}
		if in.Shared && !isLead(op) {
			return &ForbiddenError{Message: "only a lead or admin shares a view with the team"}
		}
		var n int64
		if err := tx.Model(&SavedView{}).Where("owner_id = ?", op.ID).Count(&n).Error; err != nil {
			return fmt.Errorf("count views: %w", err)
		}
		if n >= MaxViewsPerOperator {
			return invalid("name", "you have %d views, the most one operator may keep; delete one first", n)
		}
		now := Now()
		v := SavedView{OwnerID: op.ID, Name: name, Query: query, Shared: in.Shared, CreatedAt: now, UpdatedAt: now}
		if err := tx.Create(&v).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return invalid("name", "you already have a view called %q", name)
			}
			return fmt.Errorf("save view: %w", err)
		}
		if v.Shared {
			val := v.Name + " → ?" + v.Query
			if err := audit(tx, in.Actor, in.IP, "view.share", "view:"+strconv.FormatInt(v.ID, 10), nil, &val); err != nil {
				return err
			}
		}
		out = &v
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListViews is what operatorID sees: their own views, then the views
// leads shared, each by name.
func (s *Store) ListViews(ctx context.Context, operatorID int64) ([]ViewItem, error) {
	var rows []struct {
		SavedView
		OwnerName string
	}
	err := s.DB.WithContext(ctx).Table("saved_views").
		Select("saved_views.*, operators.name AS owner_name").
		Joins("JOIN operators ON operators.id = saved_views.owner_id").
		Where("saved_views.owner_id = ? OR saved_views.shared = ?", operatorID, true).
		Order("saved_views.shared, saved_views.name, saved_views.id").Limit(maxListedViews).
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("list views: %w", err)
	}
	out := make([]ViewItem, 0, len(rows))
	for _, r := range rows {
		out = append(out, ViewItem{SavedView: r.SavedView, OwnerName: r.OwnerName, Mine: r.OwnerID == operatorID})
	}
	return out, nil
}

// GetView returns a view operatorID may see (theirs or shared).
func (s *Store) GetView(ctx context.Context, operatorID, id int64) (*SavedView, error) {
	var v SavedView
	err := s.DB.WithContext(ctx).Where("id = ? AND (owner_id = ? OR shared = ?)", id, operatorID, true).Take(&v).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read view: %w", err)
	}
	return &v, nil
}

// changeView locks a view the actor may change: their own, or (leads and
// admins) a shared one. Someone else's personal view is not found.
func changeView(tx *gorm.DB, a Actor, id int64) (*SavedView, error) {
	op, err := lockViewOwner(tx, a)
	if err != nil {
		return nil, err
	}
	var v SavedView
	err = tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ? AND (owner_id = ? OR shared = ?)", id, op.ID, true).Take(&v).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read view: %w", err)
	}
	if v.OwnerID != op.ID && !isLead(op) {
		return nil, &ForbiddenError{Message: "only a lead or admin changes a view shared by someone else"}
	}
	return &v, nil
}

// DeleteView deletes a view: operators their own, leads and admins any
// shared view too.
func (s *Store) DeleteView(ctx context.Context, a Actor, ip string, id int64) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		v, err := changeView(tx, a, id)
		if err != nil {
			return err
		}
		res := tx.Where("id = ?", v.ID).Delete(&SavedView{})
		if res.Error != nil {
			return fmt.Errorf("delete view: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return ErrNotFound
		}
		if v.Shared {
			old := v.Name + " → ?" + v.Query
			return audit(tx, a, ip, "view.delete", "view:"+strconv.FormatInt(v.ID, 10), &old, nil)
		}
		return nil
	})
}
