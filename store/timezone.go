package store

import (
	"context"
	"strings"
	"sync"
	"time"
	// The zone database, embedded: a server (or test container) without
	// /usr/share/zoneinfo still knows every zone. Here rather than in
	// cmd/reviewq so that whatever links the store has it.
	_ "time/tzdata"

	"gorm.io/gorm"
)

// zoneCache keeps loaded locations: time.LoadLocation reads and parses the
// zone file every time, and every page request needs its viewer's zone.
var zoneCache sync.Map // name -> *time.Location

// LoadTimeZone loads an IANA time zone by name ("UTC", "America/New_York").
// The binary embeds the zone database (time/tzdata, imported here), so a
// server without /usr/share/zoneinfo knows them all. "Local" is refused: it
// would mean whatever the server's clock is set to.
func LoadTimeZone(name string) (*time.Location, error) {
	if loc, ok := zoneCache.Load(name); ok {
		return loc.(*time.Location), nil
	}
	if name == "" || name == "Local" || len(name) > 64 || strings.ContainsAny(name, " \\") {
		return nil, invalid("time_zone", "%q is not a time zone; use an IANA name such as Europe/Berlin", name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, invalid("time_zone", "%q is not a time zone; use an IANA name such as Europe/Berlin", name)
	}
	zoneCache.Store(name, loc)
	return loc, nil
}

// SetTimeZone records the time zone an operator reads times in ("" for the
// deployment's default). A personal preference, like the shortcuts: no
// audit entry when operators set their own; SetOperatorTimeZone (admins)
// writes one.
func (s *Store) SetTimeZone(ctx context.Context, id int64, name string) error {
	name = strings.TrimSpace(name)
	if name != "" {
		if _, err := LoadTimeZone(name); err != nil {
			return err
		}
	}
	return s.setPreference(ctx, id, "time_zone", name)
}

// SetOperatorTimeZone is an admin setting an account's time zone ("" for
// the deployment's default), audited as operator.set_time_zone.
func (s *Store) SetOperatorTimeZone(ctx context.Context, actor Actor, ip string, id int64, name string) (*Operator, error) {
	name = strings.TrimSpace(name)
	if name != "" {
		if _, err := LoadTimeZone(name); err != nil {
			return nil, err
		}
	}
	return s.changeOperator(ctx, id, func(tx *gorm.DB, op *Operator) error {
		if op.TimeZone == name {
			return nil
		}
		ov, nv := "time_zone="+op.TimeZone, "time_zone="+name
		op.TimeZone = name
		return audit(tx, actor, ip, "operator.set_time_zone", op.Email, &ov, &nv)
	})
}

// DisplayTimeIn is a time as people read it, to the minute, in loc with the
// zone's abbreviation ("2026-03-01 09:02 EST").
func DisplayTimeIn(t time.Time, loc *time.Location) string {
	return t.In(orUTC(loc)).Format("2006-01-02 15:04 MST")
}

// DisplayClockIn is t's time of day in loc: "09:02 EST".
func DisplayClockIn(t time.Time, loc *time.Location) string {
	return t.In(orUTC(loc)).Format("15:04 MST")
}

func orUTC(loc *time.Location) *time.Location {
	if loc == nil {
		return time.UTC
	}
	return loc
}
