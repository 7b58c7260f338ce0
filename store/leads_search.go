package store

import (
	"context"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// The fields the leads page searches; each has an index whose order the
// search pages through.
const (
	LeadFieldName       = "name"
	LeadFieldEmail      = "email"
	LeadFieldCompany    = "company"
	LeadFieldExternalID = "external_id"
)

// LeadSearchFields lists the searchable fields, the default first.
var LeadSearchFields = []string{LeadFieldName, LeadFieldEmail, LeadFieldCompany, LeadFieldExternalID}

// MaxLeadSearchPage is the most leads one page of a search holds.
const MaxLeadSearchPage = 100

// LeadSearch is one page of a search: the leads whose Field starts with
// Prefix (case-insensitive, except the external id, which is a key),
// ordered by that field and then id, after the cursor After.
type LeadSearch struct {
	Field  string
	Prefix string
	After  *LeadCursor
	Limit  int
}

// LeadCursor is the position after a lead in a search's order: the lead's
// value of the searched field and its id.
type LeadCursor struct {
	Key string
	ID  int64
}

// LeadHit is a lead as a search lists it (no message text).
type LeadHit struct {
	ID                  int64
	ExternalID          string
	Name                string
	Email               string
	Company             string
	Campaign            string
	Score               int
	RequiresHumanReview bool
	ReviewType          *string
	LastDecision        *string
	UpdatedAt           time.Time
}

// Validate checks the search and fills its defaults.
func (q *LeadSearch) Validate() error {
	if q.Field == "" {
		q.Field = LeadFieldName
	}
	if !slices.Contains(LeadSearchFields, q.Field) {
		return invalid("field", "must be one of %s", strings.Join(LeadSearchFields, ", "))
	}
	q.Prefix = strings.TrimSpace(q.Prefix)
	if utf8.RuneCountInString(q.Prefix) > 200 || !utf8.ValidString(q.Prefix) {
		return invalid("q", "must be at most 200 characters")
	}
	if q.Limit <= 0 || q.Limit > MaxLeadSearchPage {
		return invalid("limit", "must be from 1 to %d", MaxLeadSearchPage)
	}
	return nil
}

// Encode makes the opaque text form of a search cursor.
func (c LeadCursor) Encode() string {
	return base64.RawURLEncoding.EncodeToString([]byte("l" + strconv.FormatInt(c.ID, 10) + ":" + c.Key))
}

// ParseLeadCursor reads a cursor made by Encode ("": the first page).
func ParseLeadCursor(s string) (*LeadCursor, error) {
	if s == "" {
		return nil, nil
	}
	if len(s) > 1400 { // a 254-character email of 4-byte runes, encoded
		return nil, ErrBadCursor
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return nil, ErrBadCursor
	}
	rest, ok := strings.CutPrefix(string(raw), "l")
	id, key, found := strings.Cut(rest, ":")
	n, err := strconv.ParseInt(id, 10, 64)
	if !ok || !found || err != nil || n <= 0 || !utf8.ValidString(key) {
		return nil, ErrBadCursor
	}
	return &LeadCursor{Key: key, ID: n}, nil
}

// leadSearchKey is the field's value a cursor holds.
func leadSearchKey(h *LeadHit, field string) string {
	switch field {
	case LeadFieldEmail:
		return h.Email
	case LeadFieldCompany:
		return h.Company
	case LeadFieldExternalID:
		return h.ExternalID
	}
	return h.Name
}

// SearchLeads returns one page of leads matching the search; next is the
// cursor of the following page (nil: none). Every page is one range read
// of the field's index: name, email and company match a prefix
// case-insensitively (MySQL's _ci collation; SQLite's LIKE with the NOCASE
// indexes) and the external id a prefix exactly (its binary collation),
// and the order is the index's own (the field, then the id InnoDB and
// SQLite keep in every index), so a page reads about Limit index entries
// however many leads there are. A prefix match, never '%x%': that would
// read every lead.
func (s *Store) SearchLeads(ctx context.Context, q LeadSearch) (hits []LeadHit, next *LeadCursor, err error) {
	if err := q.Validate(); err != nil {
		return nil, nil, err
	}
	col := q.Field
	db := s.DB.WithContext(ctx).Model(&Lead{}).Select("id, external_id, name, email, company, campaign, score, " +
		"requires_human_review, review_type, last_decision, updated_at")
	key := col
	if s.Dialect == SQLite && col != LeadFieldExternalID {
		// The index is on (col COLLATE NOCASE): compare and order the same way.
		key = col + " COLLATE NOCASE"
	}
	if q.Prefix != "" {
		switch {
		case col != LeadFieldExternalID:
			db = db.Where(col+" LIKE ? ESCAPE '!'", likePrefix(q.Prefix))
		case s.Dialect == SQLite:
			// SQLite's LIKE ignores case and so cannot use the binary index;
			// GLOB is case-sensitive and does.
			db = db.Where("external_id GLOB ?", globPrefix(q.Prefix))
		default:
			db = db.Where("external_id LIKE ? ESCAPE '!'", likePrefix(q.Prefix))
		}
	}
	if q.After != nil {
		if col == LeadFieldExternalID {
			db = db.Where("external_id > ?", q.After.Key) // unique: no tie to break
		} else {
			db = db.Where("("+key+" > ? OR ("+key+" = ? AND id > ?))", q.After.Key, q.After.Key, q.After.ID)
		}
	}
	order := key + ", id"
	if col == LeadFieldExternalID {
		order = "external_id"
	}
	if err := db.Order(order).Limit(q.Limit + 1).Find(&hits).Error; err != nil {
		return nil, nil, fmt.Errorf("search leads: %w", err)
	}
	if len(hits) > q.Limit {
		hits = hits[:q.Limit]
		last := &hits[q.Limit-1]
		next = &LeadCursor{Key: leadSearchKey(last, col), ID: last.ID}
	}
	return hits, next, nil
}

// globPrefix is a GLOB pattern matching text that starts with s.
func globPrefix(s string) string {
	return strings.NewReplacer("[", "[[]", "*", "[*]", "?", "[?]").Replace(s) + "*"
}
