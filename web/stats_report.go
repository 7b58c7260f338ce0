package web

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"

	"reviewq/store"
)

// The ops metrics report (`reviewq report`, /dashboard/stats/report.csv):
// the same figures as text for people and as CSV for spreadsheets.

// Percent formats a share as "71.4%".
func Percent(f float64) string { return strconv.FormatFloat(f*100, 'f', 1, 64) + "%" }

// HumanDuration formats a decision time: "7 min", "2 h", "9 h 15 min",
// "3 d 4 h". Under a minute shows as "< 1 min".
func HumanDuration(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "< 1 min"
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		h, m := int(d/time.Hour), int(d%time.Hour/time.Minute)
		if m == 0 {
			return fmt.Sprintf("%d h", h)
		}
		return fmt.Sprintf("%d h %d min", h, m)
	}
	days, h := int(d/(24*time.Hour)), int(d%(24*time.Hour)/time.Hour)
	if h == 0 {
		return fmt.Sprintf("%d d", days)
	}
	return fmt.Sprintf("%d d %d h", days, h)
}

func durationOrDash(d store.Durations, v time.Duration) string {
	if d.N == 0 {
		return "–"
	}
	return HumanDuration(v)
}

// csvSafe neutralises a cell a spreadsheet would run as a formula (CSV
// injection): cells starting with = + - @ | ; (or tab / carriage return),
// or the fullwidth forms of those signs that some spreadsheets read as
// the ASCII ones, get a leading apostrophe. Quoting is left to
// encoding/csv.
func csvSafe(s string) string {
	// Spreadsheets skip leading blanks before looking for a formula.
	t := strings.TrimLeft(s, " \u00a0\u3000")
	if t == "" {
		return s
	}
	if r, _ := utf8.DecodeRuneInString(t); strings.ContainsRune(csvFormulaStarts, r) {
		return "'" + s
	}
	return s
}

// csvFormulaStarts are the first characters that make a cell a formula.
const csvFormulaStarts = "=+-@|;\t\r\uff1d\uff0b\uff0d\uff20\uff5c\uff1b"

func rate(f float64) string { return strconv.FormatFloat(f, 'f', 4, 64) }

func secs(d time.Duration) string { return strconv.FormatInt(int64(d/time.Second), 10) }

func count(n int64) string { return strconv.FormatInt(n, 10) }

// falsePositiveOutcomes names the outcomes that count as false positives:
// "rejected or skipped".
func falsePositiveOutcomes() string {
	var done []string
	for _, oc := range store.DecisionOutcomes {
		if oc.FalsePositive {
			done = append(done, strings.ToLower(oc.Done))
		}
	}
	return strings.Join(done, " or ")
}

// outcomeColumns heads the text report's per-outcome columns, each
// followed by a tab: "approved\trejected\tskipped\t".
func outcomeColumns() string {
	var b strings.Builder
	for _, oc := range store.DecisionOutcomes {
		b.WriteString(oc.Status + "\t")
	}
	return b.String()
}

// outcomeCells are o's counts as outcomeColumns heads them.
func outcomeCells(o store.Outcomes) string {
	var b strings.Builder
	for _, oc := range store.DecisionOutcomes {
		b.WriteString(count(o.Of(oc.Status)) + "\t")
	}
	return b.String()
}

// reportRows is the report in long form: section, group, metric, value.
func reportRows(rs *store.RangeStats) [][]string {
	rows := [][]string{{"section", "group", "metric", "value"}}
	add := func(section, group, metric, value string) {
		rows = append(rows, []string{section, group, metric, value})
	}
	add("range", "", "from", store.Day(rs.Range.From))
	add("range", "", "to", store.Day(rs.Range.To))
	add("range", "", "days", strconv.Itoa(rs.Range.Days()))
	add("summary", "", "total_reviewed", count(rs.Total()))
	addOutcomes := func(section, group string, o store.Outcomes) {
		for _, oc := range store.DecisionOutcomes {
			add(section, group, oc.Status, count(o.Of(oc.Status)))
		}
	}
	addOutcomes("summary", "", rs.Outcomes)
	add("summary", "", "approval_rate", rate(rs.ApprovalRate()))
	add("summary", "", "avg_review_time_seconds", secs(rs.Wait.Mean))
	add("summary", "", "median_review_time_seconds", secs(rs.Wait.Median))
	add("summary", "", "p90_review_time_seconds", secs(rs.Wait.P90))
	add("summary", "", "median_handle_time_seconds", secs(rs.Handle.Median))
	add("summary", "", "sla_critical_hours", strconv.Itoa(rs.CriticalHours))
	add("summary", "", "sla_compliance", rate(rs.SLACompliance()))
	add("summary", "", "flagged", count(rs.Flagged))
	add("summary", "", "reopened", count(rs.Reopened))
	for _, g := range []struct {
		section string
		rows    []store.GroupOutcomes
	}{{"by_source", rs.BySource}, {"by_type", rs.ByType}} {
		for _, o := range g.rows {
			add(g.section, o.Name, "decided", count(o.Total()))
			addOutcomes(g.section, o.Name, o.Outcomes)
			add(g.section, o.Name, "approval_rate", rate(o.ApprovalRate()))
			add(g.section, o.Name, "false_positive_rate", rate(o.FalsePositiveRate()))
		}
	}
	for _, o := range rs.Operators {
		add("operator", o.Name, "decisions", count(o.Total()))
		addOutcomes("operator", o.Name, o.Outcomes)
		add("operator", o.Name, "approval_rate", rate(o.ApprovalRate()))
		add("operator", o.Name, "median_handle_time_seconds", secs(o.Handle.Median))
		add("operator", o.Name, "avg_handle_time_seconds", secs(o.Handle.Mean))
	}
	for _, oc := range store.DecisionOutcomes {
		for _, r := range rs.Reasons[oc.Name] {
			add(oc.Name+"_reason", r.Name, "count", count(r.N))
		}
	}
	return rows
}

// WriteReportCSV writes the report as CSV, one figure per row
// (section, group, metric, value), every cell escaped and neutralised.
func WriteReportCSV(w io.Writer, rs *store.RangeStats) error {
	cw := csv.NewWriter(w)
	for _, row := range reportRows(rs) {
		for i := range row {
			row[i] = csvSafe(row[i])
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteReportText writes the report for people.
func WriteReportText(w io.Writer, rs *store.RangeStats) error {
	var b strings.Builder
	fmt.Fprintf(&b, "reviewq report: %s to %s (%d days, UTC)\n\n", store.Day(rs.Range.From), store.Day(rs.Range.To), rs.Range.Days())
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	var each []string
	for _, oc := range store.DecisionOutcomes {
		each = append(each, fmt.Sprintf("%s %d", oc.Status, rs.Of(oc.Status)))
	}
	fmt.Fprintf(tw, "Total reviewed\t%d (%s)\n", rs.Total(), strings.Join(each, ", "))
	fmt.Fprintf(tw, "Approval rate\t%s\n", Percent(rs.ApprovalRate()))
	fmt.Fprintf(tw, "Review time\taverage %s, median %s, p90 %s (flag to decision)\n",
		durationOrDash(rs.Wait, rs.Wait.Mean), durationOrDash(rs.Wait, rs.Wait.Median), durationOrDash(rs.Wait, rs.Wait.P90))
	fmt.Fprintf(tw, "Handle time\tmedian %s, p90 %s (claim to decision)\n", durationOrDash(rs.Handle, rs.Handle.Median), durationOrDash(rs.Handle, rs.Handle.P90))
	fmt.Fprintf(tw, "SLA compliance\t%s (%d of %d decided within %d h)\n", Percent(rs.SLACompliance()), rs.WithinSLA, rs.Total(), rs.CriticalHours)
	fmt.Fprintf(tw, "New flags\t%d\n", rs.Flagged)
	fmt.Fprintf(tw, "Reopened decisions\t%d\n", rs.Reopened)
	_ = tw.Flush()

	b.WriteString("\nFalse-positive flags by rule (" + falsePositiveOutcomes() + "; approval rate = precision)\n")
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "\tdecided\t%sapproval rate\tfalse positives\t\n", outcomeColumns())
	labelW := 0
	for _, g := range [][]store.GroupOutcomes{rs.BySource, rs.ByType} {
		for _, o := range g {
			labelW = max(labelW, len(o.Name)+len("source "))
		}
	}
	for _, g := range []struct {
		prefix string
		rows   []store.GroupOutcomes
	}{{"source", rs.BySource}, {"type", rs.ByType}} {
		for _, o := range g.rows {
			// Padded here so the label column reads left-aligned.
			fmt.Fprintf(tw, "  %-*s\t%d\t%s%s\t%s\t\n", labelW, g.prefix+" "+o.Name, o.Total(), outcomeCells(o.Outcomes),
				Percent(o.ApprovalRate()), Percent(o.FalsePositiveRate()))
		}
	}
	_ = tw.Flush()

	b.WriteString("\nPer operator\n")
	if len(rs.Operators) == 0 {
		b.WriteString("  no decisions in this range\n")
	} else {
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "\tdecisions\t%sapproval rate\tmedian handle\t\n", outcomeColumns())
		nameW := 0
		for _, o := range rs.Operators {
			nameW = max(nameW, utf8.RuneCountInString(oneLine(o.Name)))
		}
		for _, o := range rs.Operators {
			fmt.Fprintf(tw, "  %-*s\t%d\t%s%s\t%s\t\n", nameW, oneLine(o.Name), o.Total(), outcomeCells(o.Outcomes),
				Percent(o.ApprovalRate()), durationOrDash(o.Handle, o.Handle.Median))
		}
		_ = tw.Flush()
	}

	for _, oc := range store.DecisionOutcomes {
		if !oc.TakesReasons() {
			continue
		}
		r := struct {
			title string
			rows  []store.NamedCount
		}{"Top " + oc.Name + " reasons", rs.Reasons[oc.Name]}
		fmt.Fprintf(&b, "\n%s\n", r.title)
		if len(r.rows) == 0 {
			b.WriteString("  none\n")
			continue
		}
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, c := range r.rows {
			fmt.Fprintf(tw, "  %s\t%d\t\n", c.Name, c.N)
		}
		_ = tw.Flush()
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// oneLine keeps a name from breaking the text table (or a terminal).
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}
