package store

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"

	"gorm.io/gorm"
)

// NewOperator is the input of CreateOperator.
type NewOperator struct {
	Email, Name, Role, Password string
}

func normEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// ValidRole reports whether role is one of Roles.
func ValidRole(role string) bool { return RoleRank(role) > 0 }

// CreateOperator validates and creates an account, audited.
func (s *Store) CreateOperator(ctx context.Context, actor Actor, ip string, in NewOperator) (*Operator, error) {
	email := normEmail(in.Email)
	if a, err := mail.ParseAddress(email); err != nil || a.Address != email || len(email) > 254 {
		return nil, invalid("email", "is not a valid email address")
	}
	name := strings.TrimSpace(in.Name)
	if name == "" || len(name) > 200 {
		return nil, invalid("name", "is required (at most 200 characters)")
	}
	if !ValidRole(in.Role) {
		return nil, invalid("role", "must be one of %s", strings.Join(Roles, ", "))
	}
	if err := ValidatePassword(in.Password); err != nil {
		return nil, err
	}
	hash, err := HashPassword(ctx, in.Password)
	if err != nil {
		return nil, err
	}
	now := Now()
	op := &Operator{Email: email, Name: name, Role: in.Role, PasswordHash: hash, Active: true, CreatedAt: now, UpdatedAt: now}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(op).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return invalid("email", "an account with this email already exists")
			}
			return fmt.Errorf("create operator: %w", err)
		}
		nv := fmt.Sprintf("email=%s name=%s role=%s", op.Email, op.Name, op.Role)
		return audit(tx, actor, ip, "operator.create", op.Email, nil, &nv)
	})
	if err != nil {
		return nil, err
	}
	return op, nil
}

// GetOperator loads one account by id.
func (s *Store) GetOperator(ctx context.Context, id int64) (*Operator, error) {
	var op Operator
	err := s.DB.WithContext(ctx).Where("id = ?", id).Take(&op).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get operator: %w", err)
	}
	return &op, nil
}

// GetOperatorByEmail loads one account by email.
func (s *Store) GetOperatorByEmail(ctx context.Context, email string) (*Operator, error) {
	var op Operator
	err := s.DB.WithContext(ctx).Where("email = ?", normEmail(email)).Take(&op).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get operator: %w", err)
	}
	return &op, nil
}

// ListOperators returns accounts ordered by id, after the id afterID, at most limit.
func (s *Store) ListOperators(ctx context.Context, afterID int64, limit int) ([]Operator, error) {
	var ops []Operator
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	if err := s.DB.WithContext(ctx).Where("id > ?", afterID).Order("id").Limit(limit).Find(&ops).Error; err != nil {
		return nil, fmt.Errorf("list operators: %w", err)
	}
	return ops, nil
}

// CountOperators counts accounts (used to decide whether demo data may be seeded).
func (s *Store) CountOperators(ctx context.Context) (int64, error) {
	var n int64
	if err := s.DB.WithContext(ctx).Model(&Operator{}).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count operators: %w", err)
	}
	return n, nil
}

// ErrBadCredentials is the one answer for an unknown email, a wrong password
// and a deactivated account, so none of them can be told apart.
var ErrBadCredentials = errors.New("wrong email or password")

// Authenticate checks an email and password.
func (s *Store) Authenticate(ctx context.Context, email, password string) (*Operator, error) {
	op, err := s.GetOperatorByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		_, _ = CheckPassword(ctx, dummyHash, password)
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	ok, err := CheckPassword(ctx, op.PasswordHash, password)
	if err != nil {
		return nil, err
	}
	if !ok || !op.Active {
		return nil, ErrBadCredentials
	}
	return op, nil
}
