package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
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
	email, name, err := validateNewOperator(in)
	if err != nil {
		return nil, err
	}
	if err := ValidatePassword(in.Password); err != nil {
		return nil, err
	}
	op, _, err := s.createOperator(ctx, actor, ip, email, name, in.Role, in.Password, false)
	return op, err
}

// CreateOperatorWithLink creates an account whose password the person sets
// through a one-time link; it returns the link's secret (in.Password is
// ignored: the account gets a random one nobody knows).
func (s *Store) CreateOperatorWithLink(ctx context.Context, actor Actor, ip string, in NewOperator) (*Operator, string, error) {
	email, name, err := validateNewOperator(in)
	if err != nil {
		return nil, "", err
	}
	return s.createOperator(ctx, actor, ip, email, name, in.Role, RandomToken(32), true)
}

func validateNewOperator(in NewOperator) (email, name string, err error) {
	email, ok := NormalizeEmail(in.Email)
	if !ok {
		return "", "", invalid("email", "is not a valid email address")
	}
	name = strings.TrimSpace(in.Name)
	if name == "" || len(name) > 200 {
		return "", "", invalid("name", "is required (at most 200 characters)")
	}
	if !ValidRole(in.Role) {
		return "", "", invalid("role", "must be one of %s", strings.Join(Roles, ", "))
	}
	return email, name, nil
}

// createOperator inserts a validated account; with link it also makes a
// one-time set-password link in the same transaction and returns its secret.
func (s *Store) createOperator(ctx context.Context, actor Actor, ip, email, name, role, password string, link bool) (*Operator, string, error) {
	hash, err := HashPassword(ctx, password)
	if err != nil {
		return nil, "", err
	}
	now := Now()
	op := &Operator{Email: email, Name: name, Role: role, PasswordHash: hash, Active: true, CreatedAt: now, UpdatedAt: now}
	var secret string
	err = s.tx(ctx, func(tx *gorm.DB) error {
		op.ID, secret = 0, "" // a retried transaction starts afresh
		if err := tx.Create(op).Error; err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return invalid("email", "an account with this email already exists")
			}
			return fmt.Errorf("create operator: %w", err)
		}
		nv := fmt.Sprintf("email=%s name=%s role=%s", op.Email, op.Name, op.Role)
		if link {
			nv += " password=set-password link"
		}
		if err := audit(tx, actor, ip, "operator.create", op.Email, nil, &nv); err != nil {
			return err
		}
		if link {
			secret, err = s.newPasswordToken(tx, actor, op.ID)
		}
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return op, secret, nil
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

// ActiveOperators returns the active accounts ordered by id, at most limit
// (the people work can go to: a team, not a directory).
func (s *Store) ActiveOperators(ctx context.Context, limit int) ([]Operator, error) {
	var ops []Operator
	if err := s.DB.WithContext(ctx).Where("active = ?", true).Order("id").Limit(limit).Find(&ops).Error; err != nil {
		return nil, fmt.Errorf("list active operators: %w", err)
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
// An email that NormalizeEmail refuses names no account: it is refused
// before any password hash is computed (an empty email too).
func (s *Store) Authenticate(ctx context.Context, email, password string) (*Operator, error) {
	email, ok := NormalizeEmail(email)
	if !ok {
		return nil, ErrBadCredentials
	}
	op, err := s.GetOperatorByEmail(ctx, email)
	if errors.Is(err, ErrNotFound) {
		_, _ = CheckPassword(ctx, dummyHash, password)
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	ok, err = CheckPassword(ctx, op.PasswordHash, password)
	if err != nil {
		return nil, err
	}
	if !ok || !op.Active {
		return nil, ErrBadCredentials
	}
	return op, nil
}

// PasswordToken is a one-time set-password link; ID is the SHA-256 of the
// secret in the link, so the table cannot be replayed.
type PasswordToken struct {
	ID         string
	OperatorID int64
	CreatedBy  string
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// TableName of PasswordToken.
func (PasswordToken) TableName() string { return "password_tokens" }

// newPasswordToken replaces the operator's earlier links by a new one and
// returns its secret.
func (s *Store) newPasswordToken(tx *gorm.DB, actor Actor, operatorID int64) (string, error) {
	if err := tx.Where("operator_id = ?", operatorID).Delete(&PasswordToken{}).Error; err != nil {
		return "", fmt.Errorf("replace password links: %w", err)
	}
	secret := RandomToken(32)
	now := Now()
	pt := PasswordToken{ID: HashToken(secret), OperatorID: operatorID, CreatedBy: actor.Name, CreatedAt: now, ExpiresAt: now.Add(s.opts.PasswordLinkLifetime)}
	if err := tx.Create(&pt).Error; err != nil {
		return "", fmt.Errorf("create password link: %w", err)
	}
	return secret, nil
}

// ErrLastAdmin is refused: the change would leave no active admin.
var ErrLastAdmin = &ConflictError{Message: "this is the last active admin: make another account admin first"}

// changeOperator runs fn on the locked account inside one transaction and
// refuses any change that leaves no active admin. Every active admin row is
// locked first (always in id order), so two admins demoting each other at
// the same time are serialised and the second sees the first's change.
func (s *Store) changeOperator(ctx context.Context, id int64, fn func(tx *gorm.DB, op *Operator) error) (*Operator, error) {
	var out Operator
	err := s.tx(ctx, func(tx *gorm.DB) error {
		var admins []int64
		if err := tx.Model(&Operator{}).Clauses(clause.Locking{Strength: "UPDATE"}).
			Where("role = ? AND active = ?", RoleAdmin, true).Order("id").Pluck("id", &admins).Error; err != nil {
			return fmt.Errorf("lock admins: %w", err)
		}
		var op Operator
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(&op).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("get operator: %w", err)
		}
		wasAdmin, oldHash := op.Active && op.Role == RoleAdmin, op.PasswordHash
		if err := fn(tx, &op); err != nil {
			return err
		}
		// A new password, by whatever route, ends every set-password link
		// handed out for the old one.
		if op.PasswordHash != oldHash {
			if err := tx.Where("operator_id = ?", op.ID).Delete(&PasswordToken{}).Error; err != nil {
				return fmt.Errorf("drop password links: %w", err)
			}
		}
		if wasAdmin && !(op.Active && op.Role == RoleAdmin) && len(admins) <= 1 {
			return ErrLastAdmin
		}
		op.UpdatedAt = Now()
		if err := tx.Model(&Operator{}).Where("id = ?", op.ID).Updates(map[string]any{
			"role": op.Role, "active": op.Active, "password_hash": op.PasswordHash, "time_zone": op.TimeZone, "updated_at": op.UpdatedAt,
		}).Error; err != nil {
			return fmt.Errorf("update operator: %w", err)
		}
		out = op
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// SetRole changes an account's role, audited. Sessions stay: the role is
// read from the database on every request.
func (s *Store) SetRole(ctx context.Context, actor Actor, ip string, id int64, role string) (*Operator, error) {
	if !ValidRole(role) {
		return nil, invalid("role", "must be one of %s", strings.Join(Roles, ", "))
	}
	return s.changeOperator(ctx, id, func(tx *gorm.DB, op *Operator) error {
		if op.Role == role {
			return nil
		}
		ov, nv := "role="+op.Role, "role="+role
		op.Role = role
		return audit(tx, actor, ip, "operator.set_role", op.Email, &ov, &nv)
	})
}

// SetActive deactivates or reactivates an account, audited. Deactivation
// ends every session of the account in the same transaction.
func (s *Store) SetActive(ctx context.Context, actor Actor, ip string, id int64, active bool) (*Operator, error) {
	return s.changeOperator(ctx, id, func(tx *gorm.DB, op *Operator) error {
		if op.Active == active {
			return nil
		}
		ov, nv := fmt.Sprintf("active=%t", op.Active), fmt.Sprintf("active=%t", active)
		op.Active = active
		action := "operator.reactivate"
		if !active {
			action = "operator.deactivate"
			if err := tx.Where("operator_id = ?", op.ID).Delete(&Session{}).Error; err != nil {
				return fmt.Errorf("end sessions: %w", err)
			}
			if err := tx.Where("operator_id = ?", op.ID).Delete(&PasswordToken{}).Error; err != nil {
				return fmt.Errorf("drop password links: %w", err)
			}
		}
		return audit(tx, actor, ip, action, op.Email, &ov, &nv)
	})
}

// ResetPassword sets a new password chosen by an admin and ends every
// session of the account; the audit entry never holds the password.
func (s *Store) ResetPassword(ctx context.Context, actor Actor, ip string, id int64, password string) (*Operator, error) {
	if err := ValidatePassword(password); err != nil {
		return nil, err
	}
	hash, err := HashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	return s.changeOperator(ctx, id, func(tx *gorm.DB, op *Operator) error {
		op.PasswordHash = hash
		if err := tx.Where("operator_id = ?", op.ID).Delete(&Session{}).Error; err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		if err := tx.Where("operator_id = ?", op.ID).Delete(&PasswordToken{}).Error; err != nil {
			return fmt.Errorf("drop password links: %w", err)
		}
		nv := "password reset by admin; sessions ended"
		return audit(tx, actor, ip, "operator.reset_password", op.Email, nil, &nv)
	})
}

// CreatePasswordLink makes a one-time set-password link for an active
// account (replacing any earlier one) and returns its secret.
func (s *Store) CreatePasswordLink(ctx context.Context, actor Actor, ip string, id int64) (string, error) {
	var secret string
	_, err := s.changeOperator(ctx, id, func(tx *gorm.DB, op *Operator) error {
		if !op.Active {
			return invalid("account", "is deactivated: reactivate it first")
		}
		var err error
		if secret, err = s.newPasswordToken(tx, actor, op.ID); err != nil {
			return err
		}
		nv := "set-password link valid for " + s.opts.PasswordLinkLifetime.String()
		return audit(tx, actor, ip, "operator.password_link", op.Email, nil, &nv)
	})
	return secret, err
}

// PasswordLinkOperator returns the active account a live set-password link
// belongs to, or ErrNotFound for an unknown, used or expired link.
func (s *Store) PasswordLinkOperator(ctx context.Context, secret string) (*Operator, error) {
	if secret == "" || len(secret) > 100 {
		return nil, ErrNotFound
	}
	var pt PasswordToken
	err := s.DB.WithContext(ctx).Where("id = ? AND expires_at > ?", HashToken(secret), Now()).Take(&pt).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("password link: %w", err)
	}
	op, err := s.GetOperator(ctx, pt.OperatorID)
	if err != nil {
		return nil, err
	}
	if !op.Active {
		return nil, ErrNotFound
	}
	return op, nil
}

// SetPasswordWithLink sets the password through a one-time link: the link
// is used up and every session of the account ends, in one transaction.
func (s *Store) SetPasswordWithLink(ctx context.Context, ip, secret, password string) (*Operator, error) {
	op, err := s.PasswordLinkOperator(ctx, secret)
	if err != nil {
		return nil, err
	}
	if err := ValidatePassword(password); err != nil {
		return nil, err
	}
	hash, err := HashPassword(ctx, password)
	if err != nil {
		return nil, err
	}
	return s.changeOperator(ctx, op.ID, func(tx *gorm.DB, op *Operator) error {
		// Deleting the link is the claim: of two uses at once only one
		// deletes a row.
		res := tx.Where("id = ? AND operator_id = ? AND expires_at > ?", HashToken(secret), op.ID, Now()).Delete(&PasswordToken{})
		if res.Error != nil {
			return fmt.Errorf("use password link: %w", res.Error)
		}
		if res.RowsAffected != 1 || !op.Active {
			return ErrNotFound
		}
		op.PasswordHash = hash
		if err := tx.Where("operator_id = ?", op.ID).Delete(&Session{}).Error; err != nil {
			return fmt.Errorf("end sessions: %w", err)
		}
		nv := "password set through a one-time link"
		return audit(tx, Actor{Type: ActorOperator, ID: op.ID, Name: op.Name}, ip, "operator.set_password", op.Email, nil, &nv)
	})
}

// ChangePassword lets an operator change their own password: the current
// one is required, and every other session of theirs ends (the one in
// keepSession, the token of the current session, stays).
func (s *Store) ChangePassword(ctx context.Context, id int64, ip, current, password, keepSession string) error {
	op, err := s.GetOperator(ctx, id)
	if err != nil {
		return err
	}
	ok, err := CheckPassword(ctx, op.PasswordHash, current)
	if err != nil {
		return err
	}
	if !ok {
		return invalid("current_password", "is not your current password")
	}
	if err := ValidatePassword(password); err != nil {
		return invalid("new_password", "must be %d to 1024 characters", MinPasswordLength)
	}
	if password == current {
		return invalid("new_password", "must differ from the current one")
	}
	hash, err := HashPassword(ctx, password)
	if err != nil {
		return err
	}
	oldHash := op.PasswordHash
	_, err = s.changeOperator(ctx, id, func(tx *gorm.DB, op *Operator) error {
		// A change made meanwhile (another tab, an admin reset) wins: the
		// current password checked above is no longer current.
		if op.PasswordHash != oldHash {
			return &ConflictError{Message: "your password was changed meanwhile: sign in again"}
		}
		op.PasswordHash = hash
		if err := tx.Where("operator_id = ? AND id <> ?", op.ID, HashToken(keepSession)).Delete(&Session{}).Error; err != nil {
			return fmt.Errorf("end other sessions: %w", err)
		}
		nv := "password changed by the operator; other sessions ended"
		return audit(tx, Actor{Type: ActorOperator, ID: op.ID, Name: op.Name}, ip, "operator.change_password", op.Email, nil, &nv)
	})
	return err
}

// OperatorRoles returns the current role of each given operator id (a
// primary-key lookup of at most a page's worth), for showing who acted.
func (s *Store) OperatorRoles(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := map[int64]string{}
	if len(ids) == 0 {
		return out, nil
	}
	if len(ids) > 500 {
		return nil, invalid("ids", "at most 500 at once")
	}
	var rows []struct {
		ID   int64
		Role string
	}
	if err := s.DB.WithContext(ctx).Table("operators").Select("id, role").Where("id IN ?", ids).Scan(&rows).Error; err != nil {
		return nil, fmt.Errorf("operator roles: %w", err)
	}
	for _, r := range rows {
		out[r.ID] = r.Role
	}
	return out, nil
}

// SetShortcutsOff records an operator's own choice to turn the queue's
// single-key shortcuts off (or back on). A personal preference: no audit.
func (s *Store) SetShortcutsOff(ctx context.Context, id int64, off bool) error {
	return s.setPreference(ctx, id, "shortcuts_off", off)
}

// setPreference writes one of an operator's own preference columns.
func (s *Store) setPreference(ctx context.Context, id int64, column string, value any) error {
	res := s.DB.WithContext(ctx).Model(&Operator{}).Where("id = ?", id).Updates(map[string]any{column: value, "updated_at": Now()})
	if res.Error != nil {
		return fmt.Errorf("update operator: %w", res.Error)
	}
	if res.RowsAffected != 1 {
		return ErrNotFound
	}
	return nil
}
