package store_test

import (
	"context"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm/schema"

	"reviewq/store"
	"reviewq/store/storetest"
)

// modelColumns is the columns GORM maps model to.
func modelColumns(t *testing.T, st *store.Store, model any) (string, []string) {
	t.Helper()
	s, err := schema.Parse(model, &sync.Map{}, st.DB.NamingStrategy)
	if err != nil {
		t.Fatal(err)
	}
	cols := append([]string(nil), s.DBNames...)
	sort.Strings(cols)
	return s.Table, cols
}

// TestReviewRowIsDescribedAlike: the reviews row is written down three
// times, in the migrations, in the GORM model (store.Review) and in the
// hand-scanned column list of the hot paths (reviewColumns/reviewScan).
// A column added to one and not the others fails here, on both dialects;
// so does a scan that reads columns into the wrong fields.
func TestReviewRowIsDescribedAlike(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		table, model := modelColumns(t, st, &store.Review{})
		migrated := storetest.Columns(t, st)[table]
		var scanned []string
		for _, c := range strings.Split(store.ReviewColumns, ",") {
			scanned = append(scanned, strings.TrimPrefix(strings.TrimSpace(c), "reviews."))
		}
		sort.Strings(scanned)
		if !reflect.DeepEqual(migrated, model) {
			t.Errorf("table %s has columns %v, the model Review %v", table, migrated, model)
		}
		if !reflect.DeepEqual(scanned, model) {
			t.Errorf("reviewColumns lists %v, the model Review %v", scanned, model)
		}

		// A row with a distinct value in every column reads the same by hand
		// as through GORM.
		r := storetest.FlaggedLead(t, st, "row-1", store.TypePricing)
		at := store.Now().Add(-time.Hour)
		if err := st.DB.Model(&store.Review{}).Where("id = ?", r.ID).Updates(map[string]any{
			"campaign": "campaign-x", "score_at_flag": 77, "claimed_by": 901, "claimed_by_name": "claimer",
			"claim_expires_at": at.Add(time.Minute), "decided_by_type": "operator", "decided_by_id": 902,
			"decided_by_name": "decider", "decided_at": at.Add(2 * time.Minute), "reason_code": "code-x", "notes": "notes-x",
			"decision_subject": "subject-x", "decision_body": "body-x", "version": 7, "created_at": at.Add(3 * time.Minute),
			"updated_at": at.Add(4 * time.Minute), "flagged_at": at,
		}).Error; err != nil {
			t.Fatal(err)
		}
		var viaGORM store.Review
		if err := st.DB.Where("id = ?", r.ID).Take(&viaGORM).Error; err != nil {
			t.Fatal(err)
		}
		byHand, err := store.ScanReview(st.SQL.QueryRowContext(ctx, "SELECT "+store.ReviewColumns+" FROM reviews WHERE id = ?", r.ID).Scan)
		if err != nil {
			t.Fatal(err)
		}
		for _, tm := range []*time.Time{&viaGORM.FlaggedAt, &viaGORM.CreatedAt, &viaGORM.UpdatedAt, viaGORM.ClaimExpiresAt, viaGORM.DecidedAt} {
			*tm = tm.UTC()
		}
		if !reflect.DeepEqual(byHand, viaGORM) {
			t.Errorf("scanned by hand:\n%+v\nthrough GORM:\n%+v", byHand, viaGORM)
		}
	})
}

// TestModelsMatchTheirTables: every GORM model names the columns its
// migrated table has, no more, no fewer.
func TestModelsMatchTheirTables(t *testing.T) {
	storetest.Each(t, func(t *testing.T, st *store.Store) {
		tables := storetest.Columns(t, st)
		for _, m := range []any{&store.Lead{}, &store.Review{}, &store.ReviewEvent{}, &store.Operator{}, &store.Session{},
			&store.LoginAttempt{}, &store.PasswordToken{}, &store.APIToken{}, &store.Setting{}, &store.AuditEntry{},
			&store.OperatorSkill{}, &store.AssignmentRule{}} {
			table, cols := modelColumns(t, st, m)
			if !reflect.DeepEqual(tables[table], cols) {
				t.Errorf("%T: table %s has %v, the model %v", m, table, tables[table], cols)
			}
		}
	})
}
