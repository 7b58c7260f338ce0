package views

import (
	"context"
	"encoding/json"
	"strconv"
	"time"

	"reviewq/store"
)

// Times on pages show in the viewer's time zone, which the request's
// context carries (web puts it there with the session). DisplayTime and
// DisplayClock are the one way pages write a time; handlers filling view
// models and templates alike call them with the request's context.

type zoneKey struct{}

// WithTimeZone returns ctx carrying the zone times are shown in.
func WithTimeZone(ctx context.Context, loc *time.Location) context.Context {
	return context.WithValue(ctx, zoneKey{}, loc)
}

// TimeZone is the zone ctx carries, UTC when none.
func TimeZone(ctx context.Context) *time.Location {
	if loc, ok := ctx.Value(zoneKey{}).(*time.Location); ok && loc != nil {
		return loc
	}
	return time.UTC
}

// DisplayTime is t to the minute in the viewer's zone, with its
// abbreviation: "2026-03-01 09:02 EST".
func DisplayTime(ctx context.Context, t time.Time) string {
	return store.DisplayTimeIn(t, TimeZone(ctx))
}

// DisplayClock is t's time of day in the viewer's zone: "09:02 EST".
func DisplayClock(ctx context.Context, t time.Time) string {
	return store.DisplayClockIn(t, TimeZone(ctx))
}

// DisplayStamp is t to the second in the viewer's zone (the audit log).
func DisplayStamp(ctx context.Context, t time.Time) string {
	return t.In(TimeZone(ctx)).Format("2006-01-02 15:04:05 MST")
}

// DisplayDate is t's day in the viewer's zone.
func DisplayDate(ctx context.Context, t time.Time) string {
	return t.In(TimeZone(ctx)).Format(time.DateOnly)
}

// ZoneAbbr is the viewer's zone's abbreviation now ("EST", "UTC").
func ZoneAbbr(ctx context.Context) string {
	abbr, _ := time.Now().In(TimeZone(ctx)).Zone()
	return abbr
}

// ZoneName is the viewer's zone as people read it: "America/New_York (EST)".
func ZoneName(ctx context.Context) string {
	loc := TimeZone(ctx)
	abbr, _ := time.Now().In(loc).Zone()
	if abbr == loc.String() {
		return abbr
	}
	return loc.String() + " (" + abbr + ")"
}

func csrfHeaders(token string) string {
	b, _ := json.Marshal(map[string]string{"X-CSRF-Token": token})
	return string(b)
}

func navClass(current, item string) string {
	if current == item {
		return "current"
	}
	return ""
}

func itoa(n int) string { return strconv.Itoa(n) }

func i64toa(n int64) string { return strconv.FormatInt(n, 10) }

func rowID(id int64) string { return "review-" + strconv.FormatInt(id, 10) }

func decideURL(id int64, outcome string) string {
	return "/dashboard/review-queue/" + strconv.FormatInt(id, 10) + "/" + outcome
}

func slaLabel(sla string) string {
	switch sla {
	case "critical":
		return "SLA breached"
	case "warning":
		return "SLA soon"
	}
	return ""
}

func ariaCurrent(active bool) string {
	if active {
		return "page"
	}
	return "false"
}

// shortcutsAttr is the body's data-shortcuts: "off" when the operator
// turned single-key shortcuts off.
func shortcutsAttr(off bool) string {
	if off {
		return "off"
	}
	return "on"
}
