package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
)

// API token scopes.
const (
	ScopeQueueRead    = "queue:read"
	ScopeQueueWrite   = "queue:write"
	ScopeLeadsWrite   = "leads:write"
	ScopeOutreachRead = "outreach:read"
)

// Scopes lists every scope.
var Scopes = []string{ScopeQueueRead, ScopeQueueWrite, ScopeLeadsWrite, ScopeOutreachRead}

// tokenPrefix starts every secret so it is recognisable in a leak scan.
const tokenPrefix = "rvq_"

// ParseScopes validates a comma-separated scope list, strictly: blanks
// around the commas are separators, but each scope must be exactly one of
// Scopes (no tab, newline or space inside or stuck to it), so what is
// validated is what is stored.
func ParseScopes(raw string) ([]string, error) {
	items := strings.Split(raw, ",")
	for i := range items {
		items[i] = strings.Trim(items[i], " ")
	}
	return checkScopes(items)
}

func checkScopes(items []string) ([]string, error) {
	var out []string
	for _, s := range items {
		if s == "" {
			continue
		}
		if !slices.Contains(Scopes, s) {
			return nil, invalid("scopes", "unknown scope %q; known: %s", s, strings.Join(Scopes, ", "))
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) == 0 {
		return nil, invalid("scopes", "at least one scope is needed: %s", strings.Join(Scopes, ", "))
	}
	return out, nil
}

// ParseTokenLifetime reads how long a new token lives: "" (forever),
// whole days ("90d", or "90" as the admin page's days field sends it) or a
// Go duration ("36h"); it returns the expiry counted from now.
func ParseTokenLifetime(raw string, now time.Time) (*time.Time, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return nil, nil
	}
	var d time.Duration
	if n, err := strconv.Atoi(strings.TrimSuffix(raw, "d")); err == nil {
		if n <= 0 || n > int(MaxTokenLifetime/(24*time.Hour)) {
			return nil, invalid("expires", "must be 1 to %d days", int(MaxTokenLifetime/(24*time.Hour)))
		}
		d = time.Duration(n) * 24 * time.Hour
	} else if d, err = time.ParseDuration(raw); err != nil || d <= 0 || d > MaxTokenLifetime {
		return nil, invalid("expires", "%q is not a lifetime such as 90d or 36h (at most %d days)", raw, int(MaxTokenLifetime/(24*time.Hour)))
	}
	e := now.UTC().Add(d)
	return &e, nil
}

// MaxTokenLifetime bounds an expiry.
const MaxTokenLifetime = 5 * 365 * 24 * time.Hour

// CreateToken makes a token that does not expire; see CreateTokenExpiring.
func (s *Store) CreateToken(ctx context.Context, actor Actor, ip, name string, scopes []string) (*APIToken, string, error) {
	return s.CreateTokenExpiring(ctx, actor, ip, name, scopes, nil)
}

// CreateTokenExpiring makes a token and returns its secret, which is shown
// once and never stored. expiresAt, when not nil, must be in the future
// (within MaxTokenLifetime); the token is refused from then on. Each scope
// must be exactly a known one. The creating operator is recorded.
func (s *Store) CreateTokenExpiring(ctx context.Context, actor Actor, ip, name string, scopes []string, expiresAt *time.Time) (*APIToken, string, error) {
	name = strings.TrimSpace(name)
	if name == "" || len(name) > 200 {
		return nil, "", invalid("name", "is required (at most 200 characters)")
	}
	scopes, err := checkScopes(scopes)
	if err != nil {
		return nil, "", err
	}
	now := Now()
	if expiresAt != nil {
		e := expiresAt.UTC()
		if !e.After(now) || e.Sub(now) > MaxTokenLifetime {
			return nil, "", invalid("expires", "must be in the future and within %d days", int(MaxTokenLifetime/(24*time.Hour)))
		}
		expiresAt = &e
	}
	secret := tokenPrefix + RandomToken(32)
	t := &APIToken{Name: name, Prefix: secret[:12], TokenHash: HashToken(secret), Scopes: strings.Join(scopes, ","),
		CreatedBy: actor.Name, CreatedAt: now, ExpiresAt: expiresAt}
	if actor.Type == ActorOperator && actor.ID != 0 {
		id := actor.ID
		t.CreatedByID = &id
	}
	err = s.tx(ctx, func(tx *gorm.DB) error {
		t.ID = 0 // a retried transaction starts afresh
		if err := tx.Create(t).Error; err != nil {
			return fmt.Errorf("create token: %w", err)
		}
		nv := fmt.Sprintf("name=%s scopes=%s prefix=%s", t.Name, t.Scopes, t.Prefix)
		if t.ExpiresAt != nil {
			nv += " expires=" + t.ExpiresAt.Format(time.RFC3339)
		}
		return audit(tx, actor, ip, "token.create", fmt.Sprintf("token:%d", t.ID), nil, &nv)
	})
	if err != nil {
		return nil, "", err
	}
	return t, secret, nil
}

// ErrBadToken means the bearer token is unknown, revoked or expired.
var ErrBadToken = errors.New("unknown, revoked or expired API token")

// lastUsedEvery limits last_used_at writes to one per token per minute.
const lastUsedEvery = time.Minute

// #nosec G101 -- a query text, not a credential
const tokenLookupSQL = `SELECT id, name, prefix, token_hash, scopes, created_by, created_at, last_used_at, revoked_at, expires_at
	FROM api_tokens WHERE token_hash = ?`

// TokenLookupSQL is LookupToken's query as the database gets it, for EXPLAIN.
func (s *Store) TokenLookupSQL(secret string) string {
	return s.DB.Dialector.Explain(tokenLookupSQL, HashToken(secret))
}

// LookupToken finds the live token of a secret and notes its use.
func (s *Store) LookupToken(ctx context.Context, secret string) (*APIToken, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 100 {
		return nil, ErrBadToken
	}
	// Every API call runs this: a plain scan, not GORM's reflection (a
	// quarter of the server's time per call in the API profiles).
	var t APIToken
	var lastUsed, revoked, expires sql.NullTime
	err := s.SQL.QueryRowContext(ctx, tokenLookupSQL, HashToken(secret)).
		Scan(&t.ID, &t.Name, &t.Prefix, &t.TokenHash, &t.Scopes, &t.CreatedBy, &t.CreatedAt, &lastUsed, &revoked, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrBadToken
	}
	if err != nil {
		return nil, fmt.Errorf("lookup token: %w", err)
	}
	now := Now()
	if revoked.Valid || (expires.Valid && !expires.Time.After(now)) {
		return nil, ErrBadToken
	}
	t.CreatedAt, t.LastUsedAt, t.ExpiresAt = t.CreatedAt.UTC(), nullTime(lastUsed), nullTime(expires)
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > lastUsedEvery {
		// One integration's token is used through every instance at once:
		// written at most once a minute, only if nobody noted a use
		// meanwhile (the others match nothing and send nothing to the
		// cluster), and a note that meets a conflict or a node going away
		// is skipped, not retried (the next call notes it).
		err := s.DB.WithContext(ctx).Model(&APIToken{}).
			Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", t.ID, now.Add(-lastUsedEvery)).
			Update("last_used_at", now).Error
		if err != nil && !Transient(err) {
			return nil, fmt.Errorf("note token use: %w", err)
		}
		if err == nil {
			t.LastUsedAt = &now
		}
	}
	return &t, nil
}

// ListTokens returns tokens by id after afterID.
func (s *Store) ListTokens(ctx context.Context, afterID int64, limit int) ([]APIToken, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	var out []APIToken
	if err := s.DB.WithContext(ctx).Where("id > ?", afterID).Order("id").Limit(limit).Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return out, nil
}

// RevokeToken ends a token at once; revoking a revoked token changes nothing.
func (s *Store) RevokeToken(ctx context.Context, actor Actor, ip string, id int64) error {
	return s.tx(ctx, func(tx *gorm.DB) error {
		var t APIToken
		err := tx.Where("id = ?", id).Take(&t).Error
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("find token: %w", err)
		}
		if t.RevokedAt != nil {
			return nil
		}
		if err := tx.Model(&APIToken{}).Where("id = ?", id).Update("revoked_at", Now()).Error; err != nil {
			return fmt.Errorf("revoke token: %w", err)
		}
		return audit(tx, actor, ip, "token.revoke", fmt.Sprintf("token:%d", id), nil, nil)
	})
}

// GetToken loads a token by id (never its secret, which is not kept).
func (s *Store) GetToken(ctx context.Context, id int64) (*APIToken, error) {
	var t APIToken
	err := s.DB.WithContext(ctx).Where("id = ?", id).Take(&t).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("get token: %w", err)
	}
	return &t, nil
}
