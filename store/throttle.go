package store

import (
	"context"
	"fmt"
	"net/mail"
	"time"

	"gorm.io/gorm"
)

// Login throttling: failed logins are rows in the database, so every
// instance sees the same counts (instances are stateless).
var (
	// LoginWindow is how far back failures count.
	LoginWindow = 15 * time.Minute
	// MaxAccountFailures per account within the window.
	MaxAccountFailures = 5
	// MaxAddressFailures per client address within the window: higher,
	// since several people can share an address.
	MaxAddressFailures = 30
)

// LoginAttempt is one failed login.
type LoginAttempt struct {
	ID        int64
	Email     string
	IP        string
	CreatedAt time.Time
}

// TableName of LoginAttempt.
func (LoginAttempt) TableName() string { return "login_attempts" }

// LoginBlock says why and how long logins are refused.
type LoginBlock struct {
	// Account is true when the account is blocked, false for the address.
	Account    bool
	RetryAfter time.Duration
}

// throttleKey is what failures are counted and audited under: the email
// as typed when it is an email address, else a hash of it, so a password
// typed into the email field is never stored.
func throttleKey(email string) string {
	email = normEmail(email)
	if a, err := mail.ParseAddress(email); err == nil && a.Address == email && len(email) <= 254 {
		return email
	}
	return "not-an-email:" + HashToken(email)[:16]
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// LoginThrottled returns a LoginBlock when this account or this address
// has used up its failures in the window, else nil.
func (s *Store) LoginThrottled(ctx context.Context, email, ip string) (*LoginBlock, error) {
	now := Now()
	since := now.Add(-LoginWindow)
	// The max-th newest failure must leave the window before another try.
	check := func(col, val string, max int) (time.Duration, error) {
		var times []time.Time
		err := s.DB.WithContext(ctx).Model(&LoginAttempt{}).Where(col+" = ? AND created_at > ?", val, since).
			Order("created_at DESC").Limit(max).Pluck("created_at", &times).Error
		if err != nil {
			return 0, fmt.Errorf("login throttle: %w", err)
		}
		if len(times) < max {
			return 0, nil
		}
		return times[max-1].Add(LoginWindow).Sub(now), nil
	}
	wait, err := check("email", throttleKey(email), MaxAccountFailures)
	if err != nil || wait > 0 {
		if wait > 0 {
			return &LoginBlock{Account: true, RetryAfter: wait}, nil
		}
		return nil, err
	}
	wait, err = check("ip", truncate(ip, 64), MaxAddressFailures)
	if err != nil {
		return nil, err
	}
	if wait > 0 {
		return &LoginBlock{RetryAfter: wait}, nil
	}
	return nil, nil
}

// StartLoginAttempt claims one try for this account and address: it is
// counted before the password is checked, so a burst of parallel guesses
// cannot all pass the check before the first failure is written. It returns
// a LoginBlock (and counts nothing) when the budget is used up. A try that
// succeeds is cleared by RecordLoginSuccess or ClearLoginFailures; one that
// fails stays counted (AuditLoginFailure records it in the audit log).
func (s *Store) StartLoginAttempt(ctx context.Context, email, ip string) (*LoginBlock, error) {
	if b, err := s.LoginThrottled(ctx, email, ip); err != nil || b != nil {
		return b, err
	}
	a := LoginAttempt{Email: throttleKey(email), IP: truncate(ip, 64), CreatedAt: Now()}
	if err := s.exec(ctx, false, func(db *gorm.DB) error { return db.Create(&a).Error }); err != nil {
		return nil, fmt.Errorf("record login attempt: %w", err)
	}
	// Tries that raced this one are counted now: this one is the n-th in
	// the window, and over budget it is taken back and refused.
	since := a.CreatedAt.Add(-LoginWindow)
	nth := func(col, val string) (int, error) {
		var n int64
		err := s.DB.WithContext(ctx).Model(&LoginAttempt{}).Where(col+" = ? AND id <= ? AND created_at > ?", val, a.ID, since).Count(&n).Error
		if err != nil {
			return 0, fmt.Errorf("login throttle: %w", err)
		}
		return int(n), nil
	}
	byAccount, err := nth("email", a.Email)
	if err != nil {
		return nil, err
	}
	byAddress, err := nth("ip", a.IP)
	if err != nil {
		return nil, err
	}
	if byAccount <= MaxAccountFailures && byAddress <= MaxAddressFailures {
		return nil, nil
	}
	if err := s.exec(ctx, true, func(db *gorm.DB) error { return db.Where("id = ?", a.ID).Delete(&LoginAttempt{}).Error }); err != nil {
		return nil, fmt.Errorf("login throttle: %w", err)
	}
	b, err := s.LoginThrottled(ctx, email, ip)
	if err != nil {
		return nil, err
	}
	if b == nil {
		b = &LoginBlock{Account: byAccount > MaxAccountFailures, RetryAfter: time.Minute}
	}
	return b, nil
}

// AuditLoginFailure writes a failed try (already counted by
// StartLoginAttempt) to the audit log and drops tries older than the window.
func (s *Store) AuditLoginFailure(ctx context.Context, email, ip string) error {
	now := Now()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		return audit(tx, Actor{Type: ActorSystem, Name: "login"}, truncate(ip, 64), "login.failure", throttleKey(email), nil, nil)
	})
	if err != nil {
		return err
	}
	return s.cleanLoginAttempts(ctx, now)
}

// ClearLoginFailures forgets an account's tries (its password was proven).
func (s *Store) ClearLoginFailures(ctx context.Context, email string) error {
	if err := s.exec(ctx, true, func(db *gorm.DB) error {
		return db.Where("email = ?", throttleKey(email)).Delete(&LoginAttempt{}).Error
	}); err != nil {
		return fmt.Errorf("clear login failures: %w", err)
	}
	return nil
}

// RecordLoginFailure counts a failed login and audits it (the email as
// typed if it is one, never the password). Failures older than the window are deleted.
func (s *Store) RecordLoginFailure(ctx context.Context, email, ip string) error {
	email = throttleKey(email)
	ip = truncate(ip, 64)
	now := Now()
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&LoginAttempt{Email: email, IP: ip, CreatedAt: now}).Error; err != nil {
			return fmt.Errorf("record login failure: %w", err)
		}
		return audit(tx, Actor{Type: ActorSystem, Name: "login"}, ip, "login.failure", email, nil, nil)
	})
	if err != nil {
		return err
	}
	return s.cleanLoginAttempts(ctx, now)
}

// RecordLoginSuccess audits a login and clears the account's failures (not
// the address's: one valid account must not reset an attacker's budget).
func (s *Store) RecordLoginSuccess(ctx context.Context, op *Operator, ip string) error {
	ip = truncate(ip, 64)
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("email = ?", op.Email).Delete(&LoginAttempt{}).Error; err != nil {
			return fmt.Errorf("clear login failures: %w", err)
		}
		return audit(tx, Actor{Type: ActorOperator, ID: op.ID, Name: op.Name}, ip, "login.success", op.Email, nil, nil)
	})
}

// cleanLoginAttempts drops tries older than the window. Every instance
// runs it after a failed login; a delete that meets a conflict or a node
// going away is skipped (the next failed login cleans up, and lookups only
// count tries within the window anyway).
func (s *Store) cleanLoginAttempts(ctx context.Context, now time.Time) error {
	err := s.DB.WithContext(ctx).Where("created_at < ?", now.Add(-LoginWindow)).Delete(&LoginAttempt{}).Error
	if err != nil && !Transient(err) {
		return fmt.Errorf("clean login failures: %w", err)
	}
	return nil
}
