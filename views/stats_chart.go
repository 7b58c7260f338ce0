package views

import (
	"fmt"
	"strconv"
)

// Chart layout: pure arithmetic from numbers to SVG user units, so the
// templates only place what is computed here. The SVG scales to its box.

// FlowDay is one day's inflow and outflow, for NewFlowChart.
type FlowDay struct {
	Label    string // short label under the axis, e.g. "Mar 12"
	Day      string
	In, Out  int64
	Outcomes string // tooltip detail of the outflow
}

// niceScale picks the axis for a peak: the smallest step of 1, 2, 2.5 or 5
// times a power of ten that reaches the peak in at most five steps, and the
// top as the first multiple of it at or above the peak (209 → 250 in steps
// of 50, not 500), so the bars fill most of the height.
func niceScale(peak int64) (top, step int64) {
	if peak <= 4 {
		return 4, 1
	}
	for p := int64(1); ; p *= 10 {
		steps := []int64{p, 2 * p, 5 * p}
		if p >= 10 {
			steps = []int64{p, 2 * p, 5 * p / 2, 5 * p} // 2.5 where it is a whole number
		}
		for _, s := range steps {
			if n := (peak + s - 1) / s; n <= 5 {
				return n * s, s
			}
		}
	}
}

// NewFlowChart lays out flagged (in) and decided (out) bars per day.
func NewFlowChart(days []FlowDay) FlowChart {
	const w, h, left, right, top, bottom = 1200, 300, 48, 12, 14, 36
	c := FlowChart{Width: w, Height: h, PlotLeft: left, PlotRight: w - right, Baseline: h - bottom}
	var peak, in, out int64
	for _, d := range days {
		peak = max(peak, d.In, d.Out)
		in += d.In
		out += d.Out
	}
	yMax, step := niceScale(peak)
	plotH := h - top - bottom
	y := func(v int64) int { return h - bottom - int(v*int64(plotH)/yMax) }
	for v := int64(0); v <= yMax; v += step {
		c.Gridlines = append(c.Gridlines, ChartTick{Y: y(v), Label: strconv.FormatInt(v, 10)})
	}
	n := len(days)
	if n == 0 {
		return c
	}
	groupW := float64(w-left-right) / float64(n)
	barW := int(min(groupW*0.38, 22))
	barW = max(barW, 1)
	every := (n + 11) / 12 // at most 12 labels under the axis
	for i, d := range days {
		mid := left + int(groupW*float64(i)+groupW/2)
		gap := 1
		if barW < 3 {
			gap = 0
		}
		for _, b := range []struct {
			v     int64
			x     int
			class string
			title string
		}{
			{d.In, mid - barW - gap, "bar-in", fmt.Sprintf("%s: %d flagged", d.Day, d.In)},
			{d.Out, mid + gap, "bar-out", fmt.Sprintf("%s: %d decided%s", d.Day, d.Out, d.Outcomes)},
		} {
			top := y(b.v)
			c.Bars = append(c.Bars, ChartBar{X: b.x, Y: top, W: barW, H: h - bottom - top, Class: b.class, Title: b.title})
		}
		if i%every == 0 || i == n-1 && n <= 12 {
			c.XLabels = append(c.XLabels, ChartLabel{X: mid, Y: h - bottom + 16, Text: d.Label})
		}
	}
	c.Summary = fmt.Sprintf("Bar chart of %d days: %d reviews flagged and %d decided in total.", n, in, out)
	return c
}

// NewHBarChart lays out one horizontal bar per count, longest = full width.
// classes, when given, style the bars one by one.
func NewHBarChart(items []StatsCount, classes []string) HBarChart {
	const w, rowH, barH, labelW, valueW = 340, 28, 18, 64, 44
	c := HBarChart{Width: w, Height: rowH*len(items) + 4}
	var peak, total int64
	for _, it := range items {
		peak = max(peak, it.N)
		total += it.N
	}
	for i, it := range items {
		bw := 0
		if peak > 0 {
			bw = int(it.N * int64(w-labelW-valueW) / peak)
		}
		if it.N > 0 {
			bw = max(bw, 2)
		}
		class := "bar-age"
		if i < len(classes) {
			class = classes[i]
		}
		top := i*rowH + 4
		c.Rows = append(c.Rows, HBarRow{Label: it.Label, Value: strconv.FormatInt(it.N, 10), Y: top, H: barH,
			BarX: labelW, BarW: bw, TextY: top + barH - 4, ValueX: labelW + bw + 6, Class: class})
	}
	c.Summary = fmt.Sprintf("Bar chart of %d pending reviews by age.", total)
	return c
}

func viewBox(w, h int) string { return "0 0 " + strconv.Itoa(w) + " " + strconv.Itoa(h) }

// NewHourChart lays out one day's decisions per hour (UTC), one bar each.
func NewHourChart(hours [24]int64) FlowChart {
	const w, h, left, right, top, bottom = 1200, 220, 48, 12, 14, 36
	c := FlowChart{Width: w, Height: h, PlotLeft: left, PlotRight: w - right, Baseline: h - bottom}
	var peak, total int64
	for _, n := range hours {
		peak = max(peak, n)
		total += n
	}
	yMax, step := niceScale(peak)
	plotH := h - top - bottom
	y := func(v int64) int { return h - bottom - int(v*int64(plotH)/yMax) }
	for v := int64(0); v <= yMax; v += step {
		c.Gridlines = append(c.Gridlines, ChartTick{Y: y(v), Label: strconv.FormatInt(v, 10)})
	}
	groupW := float64(w-left-right) / 24
	barW := int(groupW * 0.6)
	for hr, n := range hours {
		x := left + int(groupW*float64(hr)+groupW*0.2)
		top := y(n)
		c.Bars = append(c.Bars, ChartBar{X: x, Y: top, W: barW, H: h - bottom - top, Class: "bar-out",
			Title: fmt.Sprintf("%02d:00–%02d:00: %d decided", hr, hr+1, n)})
		if hr%3 == 0 {
			c.XLabels = append(c.XLabels, ChartLabel{X: x + barW/2, Y: h - bottom + 16, Text: fmt.Sprintf("%02d:00", hr)})
		}
	}
	c.Summary = fmt.Sprintf("Bar chart of decisions per hour (UTC): %d in total.", total)
	return c
}

func hourLabel(hr int) string { return fmt.Sprintf("%02d:00–%02d:00", hr, hr+1) }
