package web

import (
	"testing"
	"time"
)

// TestSnoozeUntilInTheOperatorsZone: "tomorrow 09:00" is 09:00 on the next
// calendar day where the operator is, across a day boundary that differs
// from UTC's and across both DST changes; a custom time is read in the
// operator's zone. The clock is passed in, so each case is a fixed moment.
func TestSnoozeUntilInTheOperatorsZone(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	utc := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, c := range []struct {
		name           string
		now            time.Time
		loc            *time.Location
		preset, custom string
		want           time.Time
	}{
		// 02:30 UTC on 16 Jan is still 15 Jan, 21:30 EST in New York.
		{"evening in New York", utc("2026-01-16T02:30:00Z"), ny, "tomorrow", "", utc("2026-01-16T14:00:00Z")},
		{"same moment in UTC", utc("2026-01-16T02:30:00Z"), time.UTC, "tomorrow", "", utc("2026-01-17T09:00:00Z")},
		{"summer (EDT)", utc("2026-07-01T12:00:00Z"), ny, "tomorrow", "", utc("2026-07-02T13:00:00Z")},
		// DST starts on 8 March 2026: the day before is EST, 09:00 then is EDT.
		{"over the spring change", utc("2026-03-07T20:00:00Z"), ny, "tomorrow", "", utc("2026-03-08T13:00:00Z")},
		{"over the autumn change", utc("2026-10-31T20:00:00Z"), ny, "tomorrow", "", utc("2026-11-01T14:00:00Z")},
		{"custom in New York", utc("2026-01-10T00:00:00Z"), ny, "custom", "2026-01-20T08:15", utc("2026-01-20T13:15:00Z")},
		{"one hour", utc("2026-01-10T00:00:00Z"), ny, "1h", "", utc("2026-01-10T01:00:00Z")},
	} {
		got, problem := snoozeUntil(c.preset, c.custom, c.now, c.loc)
		if problem != "" || !got.Equal(c.want) || got.Location() != time.UTC {
			t.Errorf("%s: %v (%s) %q, want %v", c.name, got, got.Location(), problem, c.want)
		}
	}
	if _, problem := snoozeUntil("custom", "soon", time.Now(), ny); problem == "" {
		t.Error("a custom time that is no time was accepted")
	}
}
