package web

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"reviewq/store"
	"reviewq/views"
)

// statsQuery is the range a stats request asks for.
type statsQuery struct {
	Range string `query:"range"` // today, 7d (default), 30d, custom
	From  string `query:"from"`  // YYYY-MM-DD, custom only
	To    string `query:"to"`
	Days  string `query:"days"` // report.csv: the last N days
}

var statsPresets = []struct{ key, label string }{{"today", "Today"}, {"7d", "7 days"}, {"30d", "30 days"}}

// resolve turns the query into a range of UTC days, or a 400 naming the
// problem.
func (q statsQuery) resolve(now time.Time) (store.StatsRange, string, error) {
	if q.Days != "" && q.Range == "" {
		n, err := strconv.Atoi(q.Days)
		if err != nil {
			return store.StatsRange{}, "", badRequest("days: must be a whole number of days")
		}
		r, err := store.LastDays(now, n)
		return r, "", err
	}
	switch q.Range {
	case "", "7d":
		r, err := store.LastDays(now, 7)
		return r, "7d", err
	case "today":
		r, err := store.LastDays(now, 1)
		return r, "today", err
	case "30d":
		r, err := store.LastDays(now, 30)
		return r, "30d", err
	case "custom":
		from, err1 := time.Parse("2006-01-02", q.From)
		to, err2 := time.Parse("2006-01-02", q.To)
		if err1 != nil || err2 != nil {
			return store.StatsRange{}, "", badRequest("from and to: give both days as YYYY-MM-DD")
		}
		r, err := store.NewStatsRange(from, to)
		return r, "custom", err
	}
	return store.StatsRange{}, "", badRequest("range: must be today, 7d, 30d or custom")
}

func rangeQuery(r store.StatsRange, preset string) url.Values {
	v := url.Values{}
	if preset != "" && preset != "custom" {
		v.Set("range", preset)
		return v
	}
	v.Set("range", "custom")
	v.Set("from", store.Day(r.From))
	v.Set("to", store.Day(r.To))
	return v
}

func (s *Server) statsPage(c echo.Context) error {
	var q statsQuery
	if err := (&echo.DefaultBinder{}).BindQueryParams(c, &q); err != nil {
		return badRequest("bad query")
	}
	now := store.Now()
	rng, preset, err := q.resolve(now)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	queue, err := s.store.QueueNow(ctx, now)
	if err != nil {
		return err
	}
	rs, err := s.store.RangeStats(ctx, rng)
	if err != nil {
		return err
	}
	v := views.StatsPage{
		Page:   s.page(c, "Stats", "stats"),
		CSVURL: "/dashboard/stats/report.csv?" + rangeQuery(rng, preset).Encode(),
		Now:    statsNowView(queue),
		Over:   statsOverView(rs),
	}
	v.Range = views.StatsRangeForm{From: store.Day(rng.From), To: store.Day(rng.To), Custom: preset == "custom", MaxDay: store.Day(now),
		Label: fmt.Sprintf("%s – %s (%d days, UTC)", store.Day(rng.From), store.Day(rng.To), rng.Days())}
	if rng.Days() == 1 {
		v.Range.Label = store.Day(rng.From) + " (UTC)"
	}
	for _, p := range statsPresets {
		v.Presets = append(v.Presets, views.StatsPreset{Label: p.label, URL: "/dashboard/stats?range=" + p.key, Active: p.key == preset})
	}
	return s.render(c, http.StatusOK, views.Stats(v), nil)
}

// statsReportCSV downloads the report of a range (?days=7, or the page's
// range parameters).
func (s *Server) statsReportCSV(c echo.Context) error {
	var q statsQuery
	if err := (&echo.DefaultBinder{}).BindQueryParams(c, &q); err != nil {
		return badRequest("bad query")
	}
	rng, _, err := q.resolve(store.Now())
	if err != nil {
		return err
	}
	rs, err := s.store.RangeStats(c.Request().Context(), rng)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := WriteReportCSV(&buf, rs); err != nil {
		return err
	}
	name := fmt.Sprintf("reviewq-report-%s-%s.csv", store.Day(rng.From), store.Day(rng.To))
	h := c.Response().Header()
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Cache-Control", "no-store")
	return c.Blob(http.StatusOK, "text/csv; charset=utf-8", buf.Bytes())
}

func shareOf(n, total int64) string {
	if total == 0 {
		return "–"
	}
	return Percent(float64(n) / float64(total))
}

func counts(rows []store.NamedCount, total int64) []views.StatsCount {
	out := make([]views.StatsCount, 0, len(rows))
	for _, r := range rows {
		out = append(out, views.StatsCount{Label: r.Name, N: r.N, Share: shareOf(r.N, total)})
	}
	return out
}

// maxCampaigns bounds the campaign table; the rest are summed up in a line.
const maxCampaigns = 10

func statsNowView(q *store.QueueNow) views.StatsNow {
	v := views.StatsNow{
		At: q.At.Format("2006-01-02 15:04 UTC"), Total: q.Total, PastWarning: q.PastWarning, PastCritical: q.PastCritical,
		WarningHours: q.WarningHours, CriticalHours: q.CriticalHours,
		ByType: counts(q.ByType, q.Total), BySource: counts(q.BySource, q.Total),
	}
	campaigns := q.ByCampaign
	if len(campaigns) > maxCampaigns {
		v.MoreCampaigns = len(campaigns) - maxCampaigns
		campaigns = campaigns[:maxCampaigns]
	}
	v.ByCampaign = counts(campaigns, q.Total)
	for i := range v.ByCampaign {
		if v.ByCampaign[i].Label == "" {
			v.ByCampaign[i].Label = "(no campaign)"
		}
	}
	if q.Oldest != nil {
		v.OldestAge = HumanDuration(q.OldestAge)
		v.OldestAt = q.Oldest.Format("2006-01-02 15:04 UTC")
	}
	ages := make([]views.StatsCount, 0, len(q.Ageing))
	for _, b := range q.Ageing {
		ages = append(ages, views.StatsCount{Label: b.Label, N: b.N})
	}
	v.Ageing = views.NewHBarChart(ages, []string{"bar-age", "bar-age", "bar-age", "bar-age-warn", "bar-age-crit"})
	return v
}

func outcomeRows(groups []store.GroupOutcomes) []views.OutcomeRow {
	out := make([]views.OutcomeRow, 0, len(groups))
	for _, g := range groups {
		row := views.OutcomeRow{Label: g.Name, Decided: g.Total(), Approved: g.Approved, Rejected: g.Rejected, Skipped: g.Skipped,
			ApprovalRate: "–", FalsePositiveRate: "–"}
		if g.Total() > 0 {
			row.ApprovalRate, row.FalsePositiveRate = Percent(g.ApprovalRate()), Percent(g.FalsePositiveRate())
		}
		out = append(out, row)
	}
	return out
}

func durationView(d store.Durations) views.DurationFigures {
	return views.DurationFigures{N: d.N, Median: durationOrDash(d, d.Median), P90: durationOrDash(d, d.P90), Mean: durationOrDash(d, d.Mean)}
}

func rateOrDash(f float64, n int64) string {
	if n == 0 {
		return "–"
	}
	return Percent(f)
}

func statsOverView(rs *store.RangeStats) views.StatsOver {
	n := rs.Total()
	v := views.StatsOver{
		Days: rs.Range.Days(), Flagged: rs.Flagged, Decided: n, Approved: rs.Approved, Rejected: rs.Rejected, Skipped: rs.Skipped,
		ApprovalRate: rateOrDash(rs.ApprovalRate(), n), RejectRate: rateOrDash(rs.RejectRate(), n), SkipRate: rateOrDash(rs.SkipRate(), n),
		ByType: outcomeRows(rs.ByType), BySource: outcomeRows(rs.BySource),
		Wait: durationView(rs.Wait), Handle: durationView(rs.Handle),
		SLACompliance: rateOrDash(rs.SLACompliance(), n), WithinSLA: rs.WithinSLA, CriticalHours: rs.CriticalHours,
		RejectReasons: counts(rs.RejectReasons, rs.Rejected), SkipReasons: counts(rs.SkipReasons, rs.Skipped),
		Reopened: rs.Reopened, HeldBack: rs.HeldBack,
	}
	days := make([]views.FlowDay, 0, len(rs.Days))
	for _, d := range rs.Days {
		t, _ := time.Parse("2006-01-02", d.Day)
		days = append(days, views.FlowDay{Label: t.Format("Jan 2"), Day: d.Day, In: d.Flagged, Out: d.Total(),
			Outcomes: fmt.Sprintf(" (%d approved, %d rejected, %d skipped)", d.Approved, d.Rejected, d.Skipped)})
		v.FlowRows = append(v.FlowRows, views.FlowRow{Day: d.Day, Flagged: d.Flagged, Decided: d.Total(),
			Approved: d.Approved, Rejected: d.Rejected, Skipped: d.Skipped, Balance: d.Flagged - d.Total()})
	}
	v.Flow = views.NewFlowChart(days)
	for _, o := range rs.Operators {
		name := o.Name
		if o.ActorType == store.ActorToken {
			name += " (API token)"
		}
		v.Operators = append(v.Operators, views.StatsOperatorRow{Name: name, Decisions: o.Total(), Approved: o.Approved,
			Rejected: o.Rejected, Skipped: o.Skipped, ApprovalRate: rateOrDash(o.ApprovalRate(), o.Total()),
			MedianHandle: durationOrDash(o.Handle, o.Handle.Median)})
	}
	return v
}
