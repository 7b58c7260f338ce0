package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Two-factor sign-in (TOTP) and the sessions that wait for it. The TOTP
// secret reaches the store sealed (web/mfa.go encrypts it with a key derived
// from the session secret); the store never sees it in clear.

// Session states short of signed in (Session.MFAState).
const (
	// SessionNeedsCode: the password was right, the second factor is due.
	// Such a session grants nothing but the code page.
	SessionNeedsCode = "code"
	// SessionNeedsEnrol: signed in, but the role requires a second factor
	// the account has not set up; only the set-up pages answer.
	SessionNeedsEnrol = "enrol"
)

// MFAPendingLifetime is how long a password-checked login waits for its code.
const MFAPendingLifetime = 10 * time.Minute

// mfaEnrolLifetime is how long a session that must enrol lives.
const mfaEnrolLifetime = 30 * time.Minute

// RecoveryCodeCount is how many recovery codes an enrolment hands out.
const RecoveryCodeCount = 10

// OperatorMFA is an operator's TOTP factor (pending until ConfirmedAt).
type OperatorMFA struct {
	OperatorID  int64 `gorm:"primaryKey;autoIncrement:false"`
	Secret      string
	ConfirmedAt *time.Time
	LastStep    int64
	CreatedAt   time.Time
}

// TableName of OperatorMFA.
func (OperatorMFA) TableName() string { return "operator_mfa" }

// Enabled reports whether the factor is confirmed.
func (m *OperatorMFA) Enabled() bool { return m != nil && m.ConfirmedAt != nil }

// RecoveryCode is one stored (hashed) recovery code.
type RecoveryCode struct {
	ID         int64
	OperatorID int64
	CodeHash   string
	UsedAt     *time.Time
	CreatedAt  time.Time
}

// TableName of RecoveryCode.
func (RecoveryCode) TableName() string { return "mfa_recovery_codes" }

// GetMFA returns an operator's factor, pending or confirmed, or ErrNotFound.
func (s *Store) GetMFA(ctx context.Context, operatorID int64) (*OperatorMFA, error) {
	var m OperatorMFA
	err := s.DB.WithContext(ctx).Where("operator_id = ?", operatorID).Take(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get mfa: %w", err)
	}
	return &m, nil
}

// MFAEnabled reports whether the operator has a confirmed second factor.
func (s *Store) MFAEnabled(ctx context.Context, operatorID int64) (bool, error) {
	m, err := s.GetMFA(ctx, operatorID)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return m.Enabled(), err
}

var errMFAAlreadyOn = &ConflictError{Message: "two-factor sign-in is already on for this account"}

// StartMFAEnrolment stores a new pending (sealed) secret, replacing an
// earlier pending one; it refuses when a confirmed factor exists.
func (s *Store) StartMFAEnrolment(ctx context.Context, operatorID int64, sealedSecret string) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("operator_id = ? AND confirmed_at IS NULL", operatorID).Delete(&OperatorMFA{}).Error; err != nil {
			return fmt.Errorf("start mfa: %w", err)
		}
		err := tx.Create(&OperatorMFA{OperatorID: operatorID, Secret: sealedSecret, CreatedAt: Now()}).Error
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return errMFAAlreadyOn
		}
		if err != nil {
			return fmt.Errorf("start mfa: %w", err)
		}
		return nil
	})
}

// ConfirmMFA turns the pending factor on (the caller checked a code of it,
// at step), stores the recovery codes' hashes and audits it, in one
// transaction. It returns the recovery codes, to be shown once.
func (s *Store) ConfirmMFA(ctx context.Context, actor Actor, ip string, operatorID, step int64) ([]string, error) {
	codes := newRecoveryCodes()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		now := Now()
		res := tx.Model(&OperatorMFA{}).Where("operator_id = ? AND confirmed_at IS NULL", operatorID).
			Updates(map[string]any{"confirmed_at": now, "last_step": step})
		if res.Error != nil {
			return fmt.Errorf("confirm mfa: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return &ConflictError{Message: "there is no set-up waiting to be confirmed; start again"}
		}
		if err := replaceRecoveryCodes(tx, operatorID, codes, now); err != nil {
			return err
		}
		return audit(tx, actor, ip, "mfa.enable", actor.Name, nil, nil)
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

func replaceRecoveryCodes(tx *gorm.DB, operatorID int64, codes []string, now time.Time) error {
	if err := tx.Where("operator_id = ?", operatorID).Delete(&RecoveryCode{}).Error; err != nil {
		return fmt.Errorf("recovery codes: %w", err)
	}
	rows := make([]RecoveryCode, len(codes))
	for i, c := range codes {
		rows[i] = RecoveryCode{OperatorID: operatorID, CodeHash: HashToken(NormRecoveryCode(c)), CreatedAt: now}
	}
	if err := tx.Create(&rows).Error; err != nil {
		return fmt.Errorf("recovery codes: %w", err)
	}
	return nil
}

// recoveryAlphabet is Crockford's base32: no I, L, O or U to misread.
const recoveryAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newRecoveryCodes makes RecoveryCodeCount codes of 10 base32 characters
// (50 random bits each), shown as XXXXX-XXXXX. With that much entropy a
// plain SHA-256 is enough to store them: nobody can search 2^50 codes per
// account through the login throttle, and an offline search of a leaked
// hash would have to do so for each code.
func newRecoveryCodes() []string {
	out := make([]string, RecoveryCodeCount)
	buf := make([]byte, 10)
	for i := range out {
		if _, err := rand.Read(buf); err != nil {
			panic("crypto/rand failed: " + err.Error())
		}
		var b strings.Builder
		for j, v := range buf {
			if j == 5 {
				b.WriteByte('-')
			}
			b.WriteByte(recoveryAlphabet[v&31])
		}
		out[i] = b.String()
	}
	return out
}

// NormRecoveryCode is a typed recovery code as stored: upper case, no
// dashes or spaces.
func NormRecoveryCode(code string) string {
	code = strings.ToUpper(code)
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, code)
}

// UseTOTPStep spends the code of a time step: it succeeds only once per
// step, and never for a step older than the newest one accepted, so a code
// seen over a shoulder cannot be replayed.
func (s *Store) UseTOTPStep(ctx context.Context, operatorID, step int64) (bool, error) {
	var spent bool
	err := s.exec(ctx, false, func(db *gorm.DB) error {
		res := db.Model(&OperatorMFA{}).
			Where("operator_id = ? AND confirmed_at IS NOT NULL AND last_step < ?", operatorID, step).
			Update("last_step", step)
		spent = res.RowsAffected == 1
		return res.Error
	})
	if err != nil {
		return false, fmt.Errorf("use totp code: %w", err)
	}
	return spent, nil
}

// UseRecoveryCode spends a recovery code (once), audited.
func (s *Store) UseRecoveryCode(ctx context.Context, op *Operator, ip, code string) (bool, error) {
	code = NormRecoveryCode(code)
	if len(code) != 10 {
		return false, nil
	}
	used := false
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&RecoveryCode{}).Where("operator_id = ? AND code_hash = ? AND used_at IS NULL", op.ID, HashToken(code)).
			Update("used_at", Now())
		if res.Error != nil {
			return fmt.Errorf("use recovery code: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return nil
		}
		used = true
		return audit(tx, Actor{Type: ActorOperator, ID: op.ID, Name: op.Name}, truncate(ip, 64), "mfa.recovery_code_used", op.Email, nil, nil)
	})
	return used, err
}

// RecoveryCodesLeft counts an operator's unused recovery codes.
func (s *Store) RecoveryCodesLeft(ctx context.Context, operatorID int64) (int, error) {
	var n int64
	if err := s.DB.WithContext(ctx).Model(&RecoveryCode{}).Where("operator_id = ? AND used_at IS NULL", operatorID).Count(&n).Error; err != nil {
		return 0, fmt.Errorf("count recovery codes: %w", err)
	}
	return int(n), nil
}

// DisableMFA removes the operator's own factor and codes, audited.
func (s *Store) DisableMFA(ctx context.Context, actor Actor, ip string, operatorID int64) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("operator_id = ?", operatorID).Delete(&OperatorMFA{})
		if res.Error != nil {
			return fmt.Errorf("disable mfa: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return &ConflictError{Message: "two-factor sign-in is not on"}
		}
		if err := tx.Where("operator_id = ?", operatorID).Delete(&RecoveryCode{}).Error; err != nil {
			return fmt.Errorf("disable mfa: %w", err)
		}
		return audit(tx, actor, ip, "mfa.disable", actor.Name, nil, nil)
	})
}

// ResetMFA is an admin removing an operator's factor (a lost phone): the
// factor, its recovery codes and every session of the account go, audited.
// The operator signs in with the password next time and enrols again
// (at once, when the role requires it).
func (s *Store) ResetMFA(ctx context.Context, actor Actor, ip string, operatorID int64) error {
	op, err := s.GetOperator(ctx, operatorID)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("operator_id = ?", operatorID).Delete(&OperatorMFA{})
		if res.Error != nil {
			return fmt.Errorf("reset mfa: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return &ConflictError{Message: "this account has no two-factor sign-in to reset"}
		}
		if err := tx.Where("operator_id = ?", operatorID).Delete(&RecoveryCode{}).Error; err != nil {
			return fmt.Errorf("reset mfa: %w", err)
		}
		if err := tx.Where("operator_id = ?", operatorID).Delete(&Session{}).Error; err != nil {
			return fmt.Errorf("reset mfa: %w", err)
		}
		return audit(tx, actor, ip, "operator.mfa_reset", op.Email, nil, nil)
	})
}

// CreatePendingSession starts a session that is not fully signed in
// (SessionNeedsCode or SessionNeedsEnrol); it lives briefly.
func (s *Store) CreatePendingSession(ctx context.Context, op *Operator, ip, userAgent, state string) (string, error) {
	lifetime := MFAPendingLifetime
	if state == SessionNeedsEnrol {
		lifetime = mfaEnrolLifetime
	}
	if state != SessionNeedsCode && state != SessionNeedsEnrol {
		return "", fmt.Errorf("pending session: unknown state %q", state)
	}
	return s.insertSession(ctx, op, ip, userAgent, state, lifetime)
}

// PromoteSession ends the pending session of token (which must still be in
// state) and starts a signed-in one in the same transaction, returning its
// token: a new token at the step that grants access, so nothing learnt of
// the pending one is worth anything. ErrNoSession when it is gone or was
// promoted already.
func (s *Store) PromoteSession(ctx context.Context, token, state string, op *Operator, ip, userAgent string) (string, error) {
	var fresh string
	err := s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("id = ? AND operator_id = ? AND mfa_state = ?", HashToken(token), op.ID, state).Delete(&Session{})
		if res.Error != nil {
			return fmt.Errorf("promote session: %w", res.Error)
		}
		if res.RowsAffected != 1 {
			return ErrNoSession
		}
		var err error
		fresh, err = s.createSession(tx, op, ip, userAgent, "", s.opts.SessionLifetime)
		return err
	})
	return fresh, err
}
