package store_test

import (
	"testing"
	"time"

	"reviewq/store"
)

// FuzzParseCursor: any text either parses or is ErrBadCursor, never a
// panic, and a parsed cursor survives a round trip. The seeds run in every
// `go test`; `go test -fuzz FuzzParseCursor ./store/` explores further.
func FuzzParseCursor(f *testing.F) {
	for _, s := range []string{"", "abc", "%27%3B+DROP+TABLE+leads", "MTcwMDAwMDAwMDAwMDAwMC40Mg",
		store.Cursor{FlaggedAt: time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC), ID: 42}.Encode(),
		"LTEuMQ", "MS4w", "OTk5OTk5OTk5OTk5OTk5OTk5OTkuMQ", "====", "MS4x\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := store.ParseCursor(s)
		if err != nil {
			if err != store.ErrBadCursor {
				t.Fatalf("%q: unexpected error %v", s, err)
			}
			return
		}
		if c == nil {
			if s != "" {
				t.Fatalf("%q: no cursor and no error", s)
			}
			return
		}
		if c.ID <= 0 {
			t.Fatalf("%q: id %d", s, c.ID)
		}
		again, err := store.ParseCursor(c.Encode())
		if err != nil || again.ID != c.ID || !again.FlaggedAt.Equal(c.FlaggedAt) {
			t.Fatalf("%q: round trip %+v -> %+v (%v)", s, c, again, err)
		}
	})
}
