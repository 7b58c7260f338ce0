package store

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Login throttling: failed logins are rows in the database, so every
// instance sees the same counts (instances are stateless). The window and
// the limits are Options (LoginWindow, MaxAccountFailures,
// MaxAddressFailures, LoginSlowdown).

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
	// Account is true when this account is blocked from this address (or
	// slowed down), false when the address is blocked for every account.
	Account    bool
	RetryAfter time.Duration
}

// throttleKey is what failures are counted and audited under: the email
// in its one normal form (NormalizeEmail), which is exactly the key of the
// account Authenticate finds, since both compare byte for byte; anything
// that is not an email (empty, control or invisible characters, a password
// typed into the email field) under a hash of it, so it is counted but
// never stored, and names no account.
func throttleKey(email string) string {
	if e, ok := NormalizeEmail(email); ok {
		return e
	}
	return "not-an-email:" + HashToken(email)[:16]
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// The policy (docs/operations.md, "Login throttling"), within LoginWindow:
//   - an account and address pair that failed MaxAccountFailures times is
//     refused (brute force from one place);
//   - an address that failed MaxAddressFailures times, over any accounts,
//     is refused (password spraying);
//   - an account that failed MaxAccountFailures times over all addresses
//     is "under attack": an address that has itself failed on it gets one
//     try per LoginSlowdown, shared (a distributed guesser is slowed),
//     while an address with no failure on it goes straight through, so a
//     stranger's guesses never lock a colleague out.

// LoginThrottled returns a LoginBlock when this account and address may
// not try now, else nil.
func (s *Store) LoginThrottled(ctx context.Context, email, ip string) (*LoginBlock, error) {
	return s.loginThrottled(ctx, throttleKey(email), truncate(ip, 64))
}

func (s *Store) loginThrottled(ctx context.Context, key, ip string) (*LoginBlock, error) {
	now := Now()
	since := now.Add(-s.opts.LoginWindow)
	db := s.DB.WithContext(ctx).Model(&LoginAttempt{})
	// The max-th newest failure must leave the window before another try.
	check := func(max int, where string, args ...any) (time.Duration, error) {
		var times []time.Time
		err := db.Session(&gorm.Session{}).Where(where+" AND created_at > ?", append(args, since)...).
			Order("created_at DESC").Limit(max).Pluck("created_at", &times).Error
		if err != nil {
			return 0, fmt.Errorf("login throttle: %w", err)
		}
		if len(times) < max {
			return 0, nil
		}
		return times[max-1].Add(s.opts.LoginWindow).Sub(now), nil
	}
	wait, err := check(s.opts.MaxAccountFailures, "email = ? AND ip = ?", key, ip)
	if err != nil {
		return nil, err
	}
	if wait > 0 {
		return &LoginBlock{Account: true, RetryAfter: wait}, nil
	}
	if wait, err = check(s.opts.MaxAddressFailures, "ip = ?", ip); err != nil {
		return nil, err
	}
	if wait > 0 {
		return &LoginBlock{RetryAfter: wait}, nil
	}
	// Under attack? The newest MaxAccountFailures tries on the account,
	// from anywhere: all in the window, and one of them from this address.
	var recent []LoginAttempt
	if err := db.Session(&gorm.Session{}).Select("ip", "created_at").Where("email = ? AND created_at > ?", key, since).
		Order("created_at DESC").Limit(s.opts.MaxAccountFailures).Find(&recent).Error; err != nil {
		return nil, fmt.Errorf("login throttle: %w", err)
	}
	if len(recent) < s.opts.MaxAccountFailures {
		return nil, nil
	}
	var fromHere int64
	if err := db.Session(&gorm.Session{}).Where("email = ? AND ip = ? AND created_at > ?", key, ip, since).Count(&fromHere).Error; err != nil {
		return nil, fmt.Errorf("login throttle: %w", err)
	}
	if fromHere == 0 {
		return nil, nil
	}
	if wait := recent[0].CreatedAt.Add(s.opts.LoginSlowdown).Sub(now); wait > 0 {
		return &LoginBlock{Account: true, RetryAfter: wait}, nil
	}
	return nil, nil
}

// StartLoginAttempt claims one try for this account and address: it is
// counted before the password is checked, so a burst of parallel guesses
// cannot all pass the check before the first failure is written. It returns
// a LoginBlock (and counts nothing) when the budget is used up. A try that
// succeeds is cleared by RecordLoginSuccess or ClearLoginFailures; one that
// fails stays counted (AuditLoginFailure records it in the audit log).
// An empty or malformed email is counted like any other (Authenticate then
// refuses it without hashing a password).
func (s *Store) StartLoginAttempt(ctx context.Context, email, ip string) (*LoginBlock, error) {
	key, ip := throttleKey(email), truncate(ip, 64)
	if b, err := s.loginThrottled(ctx, key, ip); err != nil || b != nil {
		return b, err
	}
	a := LoginAttempt{Email: key, IP: ip, CreatedAt: Now()}
	if err := s.exec(ctx, false, func(db *gorm.DB) error { return db.Create(&a).Error }); err != nil {
		return nil, fmt.Errorf("record login attempt: %w", err)
	}
	// Tries that raced this one are counted now: this one is the n-th in
	// the window, and over budget it is taken back and refused.
	since := a.CreatedAt.Add(-s.opts.LoginWindow)
	nth := func(where string, args ...any) (int, error) {
		var n int64
		err := s.DB.WithContext(ctx).Model(&LoginAttempt{}).Where(where+" AND id <= ? AND created_at > ?", append(args, a.ID, since)...).Count(&n).Error
		if err != nil {
			return 0, fmt.Errorf("login throttle: %w", err)
		}
		return int(n), nil
	}
	byPair, err := nth("email = ? AND ip = ?", a.Email, a.IP)
	if err != nil {
		return nil, err
	}
	byAddress, err := nth("ip = ?", a.IP)
	if err != nil {
		return nil, err
	}
	if byPair <= s.opts.MaxAccountFailures && byAddress <= s.opts.MaxAddressFailures {
		return nil, nil
	}
	if err := s.exec(ctx, true, func(db *gorm.DB) error { return db.Where("id = ?", a.ID).Delete(&LoginAttempt{}).Error }); err != nil {
		return nil, fmt.Errorf("login throttle: %w", err)
	}
	b, err := s.loginThrottled(ctx, key, ip)
	if err != nil {
		return nil, err
	}
	if b == nil {
		b = &LoginBlock{Account: byPair > s.opts.MaxAccountFailures, RetryAfter: time.Minute}
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

// RecordLoginSuccess audits a login and clears the account's failures from
// this address only: neither the address's failures on other accounts (one
// valid account must not reset a sprayer's budget) nor the account's
// failures from elsewhere (the owner signing in must not reset a distributed
// guesser's).
func (s *Store) RecordLoginSuccess(ctx context.Context, op *Operator, ip string) error {
	ip = truncate(ip, 64)
	return s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Where("email = ? AND ip = ?", op.Email, ip).Delete(&LoginAttempt{}).Error; err != nil {
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
	err := s.DB.WithContext(ctx).Where("created_at < ?", now.Add(-s.opts.LoginWindow)).Delete(&LoginAttempt{}).Error
	if err != nil && !Transient(err) {
		return fmt.Errorf("clean login failures: %w", err)
	}
	return nil
}
