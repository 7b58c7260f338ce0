package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// HashToken is how session and API tokens are stored: SHA-256, hex.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// RandomToken returns n random bytes, URL-safe base64.
func RandomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// CreateSession starts a login for op and returns the secret token for the
// cookie; only its hash is stored.
func (s *Store) CreateSession(ctx context.Context, op *Operator, ip, userAgent string) (string, error) {
	return s.insertSession(ctx, op, ip, userAgent, "", s.opts.SessionLifetime)
}

// insertSession is createSession on its own, retried (store.exec) only when
// the insert surely did not run: a lost one may have happened.
func (s *Store) insertSession(ctx context.Context, op *Operator, ip, userAgent, mfaState string, lifetime time.Duration) (string, error) {
	var token string
	err := s.exec(ctx, false, func(db *gorm.DB) error {
		var err error
		token, err = s.createSession(db, op, ip, userAgent, mfaState, lifetime)
		return err
	})
	return token, err
}

func (s *Store) createSession(db *gorm.DB, op *Operator, ip, userAgent, mfaState string, lifetime time.Duration) (string, error) {
	token := RandomToken(32)
	now := Now()
	if len(userAgent) > 255 {
		userAgent = userAgent[:255]
	}
	if len(ip) > 64 {
		ip = ip[:64]
	}
	sess := Session{ID: HashToken(token), OperatorID: op.ID, CreatedAt: now, LastSeenAt: now,
		ExpiresAt: now.Add(lifetime), IP: ip, UserAgent: userAgent, MFAState: mfaState}
	if err := db.Create(&sess).Error; err != nil {
		return "", fmt.Errorf("create session: %w", err)
	}
	return token, nil
}

// SessionInfo is a live session with its operator.
type SessionInfo struct {
	Session  Session
	Operator Operator
}

// ErrNoSession means the token names no live session.
var ErrNoSession = errors.New("no live session")

// touchEvery limits last_seen_at writes to one per session per minute.
const touchEvery = time.Minute

// LookupSession returns the live session of token and its (active)
// operator, extending its idle deadline.
func (s *Store) LookupSession(ctx context.Context, token string) (*SessionInfo, error) {
	if token == "" {
		return nil, ErrNoSession
	}
	id := HashToken(token)
	// One query for the session and its operator: every page request runs it.
	// The operator's password hash stays in the database.
	var sess Session
	var op Operator
	err := s.SQL.QueryRowContext(ctx, `SELECT s.id, s.operator_id, s.created_at, s.last_seen_at, s.expires_at, s.ip, s.user_agent, s.mfa_state,
		o.id, o.email, o.name, o.role, o.active, o.shortcuts_off, o.time_zone, o.created_at, o.updated_at
		FROM sessions s JOIN operators o ON o.id = s.operator_id WHERE s.id = ?`, id).
		Scan(&sess.ID, &sess.OperatorID, &sess.CreatedAt, &sess.LastSeenAt, &sess.ExpiresAt, &sess.IP, &sess.UserAgent, &sess.MFAState,
			&op.ID, &op.Email, &op.Name, &op.Role, &op.Active, &op.ShortcutsOff, &op.TimeZone, &op.CreatedAt, &op.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("lookup session: %w", err)
	}
	now := Now()
	if now.After(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) > s.opts.SessionIdle {
		_ = s.DB.WithContext(ctx).Where("id = ?", id).Delete(&Session{}).Error // best effort; DeleteExpiredSessions sweeps
		return nil, ErrNoSession
	}
	if !op.Active {
		return nil, ErrNoSession
	}
	if now.Sub(sess.LastSeenAt) > touchEvery {
		// A session's row is written at most once a minute, and only if
		// nobody touched it meanwhile: of several instances (Galera nodes)
		// touching it at once the first changes the row, the others match
		// nothing and send nothing to the cluster. A touch that still meets
		// a conflict or a node going away is skipped, not retried: the
		// session stays valid and the next request touches it.
		err := s.DB.WithContext(ctx).Model(&Session{}).Where("id = ? AND last_seen_at < ?", id, now.Add(-touchEvery)).
			Update("last_seen_at", now).Error
		if err != nil && !Transient(err) {
			return nil, fmt.Errorf("touch session: %w", err)
		}
		if err == nil {
			sess.LastSeenAt = now
		}
	}
	return &SessionInfo{Session: sess, Operator: op}, nil
}

// DeleteSession ends the session of token (logout).
func (s *Store) DeleteSession(ctx context.Context, token string) error {
	if err := s.exec(ctx, true, func(db *gorm.DB) error { return db.Where("id = ?", HashToken(token)).Delete(&Session{}).Error }); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteOperatorSessions ends every session of an operator.
func (s *Store) DeleteOperatorSessions(ctx context.Context, operatorID int64) error {
	if err := s.exec(ctx, true, func(db *gorm.DB) error { return db.Where("operator_id = ?", operatorID).Delete(&Session{}).Error }); err != nil {
		return fmt.Errorf("delete sessions: %w", err)
	}
	return nil
}

// SessionCursor is the keyset position in an operator's session list
// (newest first).
type SessionCursor struct {
	CreatedAt time.Time
	ID        string
}

// ListOperatorSessions returns an operator's live sessions, newest first,
// after the cursor, at most limit; next is set when there are more.
func (s *Store) ListOperatorSessions(ctx context.Context, operatorID int64, after *SessionCursor, limit int) ([]Session, *SessionCursor, error) {
	if limit <= 0 || limit > 200 {
		limit = 200
	}
	now := Now()
	q := s.DB.WithContext(ctx).Where("operator_id = ? AND expires_at > ? AND last_seen_at > ?", operatorID, now, now.Add(-s.opts.SessionIdle))
	if after != nil {
		q = q.Where("created_at < ? OR (created_at = ? AND id < ?)", after.CreatedAt, after.CreatedAt, after.ID)
	}
	var out []Session
	if err := q.Order("created_at DESC, id DESC").Limit(limit + 1).Find(&out).Error; err != nil {
		return nil, nil, fmt.Errorf("list sessions: %w", err)
	}
	var next *SessionCursor
	if len(out) > limit {
		out = out[:limit]
		last := out[len(out)-1]
		next = &SessionCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	return out, next, nil
}

// RevokeSession ends one session (by its stored id, the token's hash) of an
// operator, audited.
func (s *Store) RevokeSession(ctx context.Context, actor Actor, ip string, operatorID int64, sessionID string) error {
	op, err := s.GetOperator(ctx, operatorID)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("id = ? AND operator_id = ?", sessionID, operatorID).Delete(&Session{})
		if res.Error != nil {
			return fmt.Errorf("revoke session: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		nv := "one session ended"
		return audit(tx, actor, ip, "operator.revoke_session", op.Email, nil, &nv)
	})
}

// RevokeOperatorSessions ends every session of an operator, audited.
func (s *Store) RevokeOperatorSessions(ctx context.Context, actor Actor, ip string, operatorID int64) (int64, error) {
	op, err := s.GetOperator(ctx, operatorID)
	if err != nil {
		return 0, err
	}
	var n int64
	err = s.tx(ctx, func(tx *gorm.DB) error {
		res := tx.Where("operator_id = ?", operatorID).Delete(&Session{})
		if res.Error != nil {
			return fmt.Errorf("revoke sessions: %w", res.Error)
		}
		n = res.RowsAffected
		nv := fmt.Sprintf("%d sessions ended", n)
		return audit(tx, actor, ip, "operator.revoke_sessions", op.Email, nil, &nv)
	})
	return n, err
}

// DeleteExpiredSessions removes sessions past their lifetime or idle
// deadline; lookups refuse them anyway, this only keeps the table small.
func (s *Store) DeleteExpiredSessions(ctx context.Context) error {
	now := Now()
	if err := s.exec(ctx, true, func(db *gorm.DB) error { return db.Where("expires_at < ?", now).Delete(&Session{}).Error }); err != nil {
		return fmt.Errorf("delete expired sessions: %w", err)
	}
	return nil
}
