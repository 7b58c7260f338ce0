package web

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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
	quality, err := s.store.ReviewerQualityStats(ctx, rng)
	if err != nil {
		return err
	}
	team, err := s.store.TeamWorkStats(ctx, rng)
	if err != nil {
		return err
	}
	rules, err := s.store.RuleQuality(ctx, rng)
	if err != nil {
		return err
	}
	v := views.StatsPage{
		Page:   s.page(c, "Stats", "stats"),
		CSVURL: "/dashboard/stats/report.csv?" + rangeQuery(rng, preset).Encode(),
		Now:    statsNowView(ctx, queue),
		Over:   statsOverView(rs),
		Rules:  statsRulesView(rules),
	}
	v.Over.Reviewers, v.Over.Team = statsReviewersView(rs, quality), statsTeamView(team)
	v.Range = views.StatsRangeForm{From: store.Day(rng.From), To: store.Day(rng.To), Custom: preset == "custom", MaxDay: store.Day(now),
		Label: fmt.Sprintf("%s – %s (%d days, UTC)", store.Day(rng.From), store.Day(rng.To), rng.Days())}
	if rng.Days() == 1 {
		v.Range.Label = store.Day(rng.From) + " (UTC)"
		hours, err := s.store.HourlyDecisions(ctx, rng.From)
		if err != nil {
			return err
		}
		v.Hourly = &views.HourlyView{Chart: views.NewHourChart(hours), Hours: hours}
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

func statsNowView(ctx context.Context, q *store.QueueNow) views.StatsNow {
	v := views.StatsNow{
		At: fmtTime(ctx, q.At), Total: q.Total, PastWarning: q.PastWarning, PastCritical: q.PastCritical,
		Escalated: q.Escalated, Snoozed: q.Snoozed,
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
		v.OldestAt = fmtTime(ctx, *q.Oldest)
	}
	ages := make([]views.StatsCount, 0, len(q.Ageing))
	for _, b := range q.Ageing {
		ages = append(ages, views.StatsCount{Label: b.Label, N: b.N})
	}
	v.Ageing = views.NewHBarChart(ages, []string{"bar-age", "bar-age", "bar-age", "bar-age-warn", "bar-age-crit"})
	return v
}

// outcomeCounts are o's counts in the order of store.DecisionOutcomes (the
// stats tables' columns).
func outcomeCounts(o store.Outcomes) []int64 {
	out := make([]int64, len(store.DecisionOutcomes))
	for i, oc := range store.DecisionOutcomes {
		out[i] = o.Of(oc.Status)
	}
	return out
}

func outcomeRows(groups []store.GroupOutcomes) []views.OutcomeRow {
	out := make([]views.OutcomeRow, 0, len(groups))
	for _, g := range groups {
		row := views.OutcomeRow{Label: g.Name, Decided: g.Total(), Counts: outcomeCounts(g.Outcomes),
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
		Days: rs.Range.Days(), Flagged: rs.Flagged, Decided: n, ApprovalRate: rateOrDash(rs.ApprovalRate(), n),
		ByType: outcomeRows(rs.ByType), BySource: outcomeRows(rs.BySource),
		Wait: durationView(rs.Wait), Handle: durationView(rs.Handle),
		SLACompliance: rateOrDash(rs.SLACompliance(), n), WithinSLA: rs.WithinSLA, CriticalHours: rs.CriticalHours,
		Reopened: rs.Reopened, HeldBack: rs.HeldBack,
	}
	var decided, rates, perDay []string
	for _, o := range store.DecisionOutcomes {
		done := strings.ToLower(o.Done)
		v.OutcomeHeaders = append(v.OutcomeHeaders, o.Done)
		decided = append(decided, fmt.Sprintf("%d %s", rs.Of(o.Status), done))
		if !o.Approves {
			rates = append(rates, done+" "+rateOrDash(rs.Rate(o.Status), n))
		}
		if o.TakesReasons() {
			v.Reasons = append(v.Reasons, views.ReasonTable{Title: "Top " + o.Name + " reasons", Empty: "No " + o.Plural + " in this range.",
				Rows: counts(rs.Reasons[o.Name], rs.Of(o.Status))})
		}
	}
	v.DecidedNote, v.RatesNote, v.FalsePositives = strings.Join(decided, " · "), strings.Join(rates, " · "), falsePositiveOutcomes()
	days := make([]views.FlowDay, 0, len(rs.Days))
	for _, d := range rs.Days {
		t, _ := time.Parse("2006-01-02", d.Day)
		perDay = perDay[:0]
		for _, o := range store.DecisionOutcomes {
			perDay = append(perDay, fmt.Sprintf("%d %s", d.Of(o.Status), strings.ToLower(o.Done)))
		}
		days = append(days, views.FlowDay{Label: t.Format("Jan 2"), Day: d.Day, In: d.Flagged, Out: d.Total(),
			Outcomes: " (" + strings.Join(perDay, ", ") + ")"})
		v.FlowRows = append(v.FlowRows, views.FlowRow{Day: d.Day, Flagged: d.Flagged, Decided: d.Total(),
			Counts: outcomeCounts(d.Outcomes), Balance: d.Flagged - d.Total()})
	}
	v.Flow = views.NewFlowChart(days)
	return v
}
