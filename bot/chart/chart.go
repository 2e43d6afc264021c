// Package chart draws the managers' reports as PNG images with gonum's
// plot: the funnel as bars, the NPS trend as a line, the cohorts as a
// heat map. It is pure Go (the fonts are embedded in gonum), so charts
// need no headless browser and no system fonts, and draw the same on
// every machine.
//
// Each picture grows with its data (a bar, a week, a cohort more makes
// it taller or wider), so a phone shows bars of the same thickness however
// many there are. Charts implements bot.Charts.
package chart

import (
	"bytes"
	"fmt"
	"image/color"
	"image/png"
	"math"
	"strconv"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
)

// Charts draws the reports' pictures. The zero value is ready to use.
type Charts struct{}

var _ bot.Charts = Charts{}

// Colours of the charts: one accent for data, grey for what has no data.
var (
	accent = color.RGBA{R: 0x2b, G: 0x7a, B: 0xd9, A: 0xff}
	grey   = color.RGBA{R: 0xdd, G: 0xdd, B: 0xdd, A: 0xff}
)

// Sizes: a chart is 12 cm wide (about 700 px at the 150 dpi below: sharp
// on a phone, where Telegram scales photos to at most 1280 px anyway), and
// each bar or cohort row adds a fixed height.
const (
	dpi        = 150
	baseWidth  = 12 * vg.Centimeter
	rowHeight  = 1.1 * vg.Centimeter
	baseHeight = 3 * vg.Centimeter
	weekWidth  = 1.3 * vg.Centimeter
)

// errNoData is returned for a report with nothing to draw; bot.Team then
// sends a sentence saying so instead of empty axes.
var errNoData = fmt.Errorf("chart: %w", bot.ErrNoChartData)

// render draws p at w×h and dpi as a PNG. BestSpeed compression: a chart
// of flat colours compresses well at any level, and the default level took
// a third of a chart's time for a few kilobytes.
func render(p *plot.Plot, w, h vg.Length) ([]byte, error) {
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi))
	p.Draw(draw.New(c))
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestSpeed}
	if err := enc.Encode(&buf, c.Image()); err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	return buf.Bytes(), nil
}

func newPlot(title string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Title.Padding = vg.Points(6)
	return p
}

// Funnel is a horizontal bar per stage, top stage at the top, with the
// count and the share of all leads written at each bar's end.
func (Charts) Funnel(r *crm.FunnelReport, lang string) ([]byte, error) {
	n := len(r.Stages)
	if n == 0 {
		return nil, errNoData
	}
	// Bars are drawn bottom-up; the funnel reads top-down.
	values := make(plotter.Values, n)
	names := make([]string, n)
	labels := plotter.XYLabels{XYs: make(plotter.XYs, n), Labels: make([]string, n)}
	top := float64(r.Stages[0].Count)
	for i, st := range r.Stages {
		j := n - 1 - i
		values[j] = float64(st.Count)
		names[j] = bot.FunnelStageName(lang, st.Name)
		text := strconv.Itoa(st.Count)
		if i > 0 {
			text += " · " + st.FromTop.String()
		}
		labels.XYs[j] = plotter.XY{X: float64(st.Count), Y: float64(j)}
		labels.Labels[j] = "  " + text
	}
	p := newPlot(bot.TeamTextf(lang, "chart.funnel", bot.PeriodLabel(lang, r.Period)))
	bars, err := plotter.NewBarChart(values, rowHeight*0.6)
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	bars.Horizontal = true
	bars.Color = accent
	bars.LineStyle.Width = 0
	p.Add(bars)
	lbl, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	for i := range lbl.TextStyle {
		lbl.TextStyle[i].YAlign = draw.YCenter
	}
	p.Add(lbl)
	p.NominalY(names...)
	p.X.Min = 0
	// Room on the right for the labels at the ends of the bars.
	p.X.Max = math.Max(1, top*1.35)
	p.X.Label.Text = bot.TeamText(lang, "chart.leads_axis")
	p.X.Tick.Marker = countTicks{}
	return render(p, baseWidth, baseHeight+rowHeight*vg.Length(n))
}

// NPSTrend is the weekly NPS from −100 to 100, points joined where weeks
// have answers, a zero line for reference, and the responses per week
// under each label.
func (Charts) NPSTrend(r *crm.NPSReport, lang string) ([]byte, error) {
	n := len(r.Trend)
	answered := false
	for _, pt := range r.Trend {
		answered = answered || (pt.Has && pt.Responses > 0)
	}
	if n == 0 || !answered {
		return nil, errNoData // empty axes say nothing; the text says why
	}
	var pts plotter.XYs
	names := make([]string, n)
	for i, pt := range r.Trend {
		names[i] = dayMonth(pt.Week, lang) + "\n(" + strconv.Itoa(pt.Responses) + ")"
		if pt.Has {
			pts = append(pts, plotter.XY{X: float64(i), Y: pt.Score})
		}
	}
	p := newPlot(bot.TeamText(lang, "chart.nps"))
	zero, err := plotter.NewLine(plotter.XYs{{X: -0.5, Y: 0}, {X: float64(n) - 0.5, Y: 0}})
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	zero.Color = grey
	p.Add(zero)
	if len(pts) > 0 {
		line, points, err := plotter.NewLinePoints(pts)
		if err != nil {
			return nil, fmt.Errorf("chart: %w", err)
		}
		line.Color, line.Width = accent, vg.Points(2)
		points.Color, points.Radius = accent, vg.Points(4)
		points.Shape = draw.CircleGlyph{}
		p.Add(line, points)
		labels := plotter.XYLabels{XYs: pts, Labels: make([]string, len(pts))}
		for i, xy := range pts {
			labels.Labels[i] = strconv.FormatFloat(math.Round(xy.Y), 'f', 0, 64)
		}
		lbl, err := plotter.NewLabels(labels)
		if err != nil {
			return nil, fmt.Errorf("chart: %w", err)
		}
		for i := range lbl.TextStyle {
			lbl.TextStyle[i].XAlign = draw.XCenter
		}
		lbl.Offset = vg.Point{Y: vg.Points(6)}
		p.Add(lbl)
	}
	p.NominalX(names...)
	p.Y.Min, p.Y.Max = -100, 100
	p.Y.Label.Text = "NPS"
	p.Y.Tick.Marker = plot.ConstantTicks([]plot.Tick{
		{Value: -100, Label: "−100"}, {Value: -50, Label: "−50"}, {Value: 0, Label: "0"},
		{Value: 50, Label: "50"}, {Value: 100, Label: "100"},
	})
	w := math.Max(float64(baseWidth), float64(3*vg.Centimeter+weekWidth*vg.Length(n)))
	return render(p, vg.Length(w), 9*vg.Centimeter)
}

// cohortGrid is the cohorts as a heat map grid: columns are weeks since
// arrival, rows cohorts (the oldest at the top), values the share won.
// A week not reached yet is NaN, drawn in the "not yet" colour; a week of
// a cohort without leads is 0 (white, marked "—"), so an empty past week
// never looks like one to come.
type cohortGrid struct {
	cohorts []crm.Cohort
	cols    int
}

func (g cohortGrid) Dims() (c, r int) { return g.cols, len(g.cohorts) }
func (g cohortGrid) X(c int) float64  { return float64(c) }
func (g cohortGrid) Y(r int) float64  { return float64(r) }
func (g cohortGrid) Z(c, r int) float64 {
	z, reached, _ := g.cell(c, r)
	if !reached {
		return math.NaN()
	}
	return z
}

// cell is the share won in column c of grid row r, whether that week is
// reached, and whether the cohort had leads to measure it on.
func (g cohortGrid) cell(c, r int) (share float64, reached, measured bool) {
	row := g.cohorts[len(g.cohorts)-1-r]
	if c >= len(row.Shares) {
		return 0, false, false
	}
	p, ok := row.Shares[c].Percent()
	return p, true, ok
}

// greens is a palette from white (0% won) to the accent's green.
type greens int

func (n greens) Colors() []color.Color {
	out := make([]color.Color, n)
	for i := range out {
		t := float64(i) / float64(n-1)
		out[i] = color.RGBA{
			R: uint8(255 - t*(255-0x1e)), G: uint8(255 - t*(255-0x8e)), B: uint8(255 - t*(255-0x3e)), A: 0xff}
	}
	return out
}

// notYet is the colour of weeks not reached yet: a pale blue-grey, not
// the white of 0% nor a green.
var notYet = color.RGBA{R: 0xe4, G: 0xe8, B: 0xf0, A: 0xff}

// scaleTop is the share the darkest green stands for: the largest share
// rounded up to a step of 5 points (at least 5%), so colours use the
// whole palette for the data at hand, and the legend names the top.
func scaleTop(maxShare float64) float64 {
	return math.Max(5, math.Ceil(maxShare/5)*5)
}

// Cohorts is a heat map: a row per arrival week, a column per week since,
// each cell the share won by then, written in the cell. The colours run
// from white (0%) to dark green at the largest share rounded up, which
// the legend under the grid names; weeks not reached yet are blue-grey
// and marked "…".
func (Charts) Cohorts(r *crm.CohortReport, lang string) ([]byte, error) {
	rows := len(r.Cohorts)
	cols := 0
	for _, c := range r.Cohorts {
		cols = max(cols, len(c.Shares))
	}
	if rows == 0 || cols == 0 {
		return nil, errNoData
	}
	g := cohortGrid{cohorts: r.Cohorts, cols: cols}
	maxShare := 0.0
	labels := plotter.XYLabels{}
	for ri := range rows {
		for c := range cols {
			z, reached, measured := g.cell(c, ri)
			text := "…"
			switch {
			case reached && measured:
				maxShare = math.Max(maxShare, z)
				text = crm.FormatPercent(z)
			case reached:
				text = "—"
			}
			labels.XYs = append(labels.XYs, plotter.XY{X: float64(c), Y: float64(ri)})
			labels.Labels = append(labels.Labels, text)
		}
	}
	top := scaleTop(maxShare)
	hm := plotter.NewHeatMap(g, greens(32))
	hm.Min, hm.Max = 0, top
	hm.NaN = notYet
	p := newPlot(bot.TeamText(lang, "chart.cohorts"))
	p.Add(hm)
	lbl, err := plotter.NewLabels(labels)
	if err != nil {
		return nil, fmt.Errorf("chart: %w", err)
	}
	for i := range lbl.TextStyle {
		lbl.TextStyle[i].XAlign, lbl.TextStyle[i].YAlign = draw.XCenter, draw.YCenter
		lbl.TextStyle[i].Font.Size = vg.Points(8)
	}
	p.Add(lbl)
	names := make([]string, rows)
	for ri := range rows {
		c := r.Cohorts[rows-1-ri]
		names[ri] = dayMonth(c.Week, lang) + " (" + strconv.Itoa(c.Size) + ")"
	}
	p.NominalY(names...)
	weeks := make([]string, cols)
	for c := range cols {
		weeks[c] = bot.TeamTextf(lang, "chart.week_n", c)
	}
	p.NominalX(weeks...)
	p.X.Label.Text = bot.TeamTextf(lang, "chart.cohort_legend", crm.FormatPercent(top))
	p.X.Label.TextStyle.Font.Size = vg.Points(8)
	w := math.Max(float64(baseWidth), float64(5*vg.Centimeter+weekWidth*vg.Length(cols)))
	return render(p, vg.Length(w), baseHeight+rowHeight*vg.Length(rows)+vg.Centimeter)
}

// countTicks marks a count axis at whole numbers only: 0, 5, 10 rather
// than 0.00, 2.50, 5.00, and every unit when the counts are small.
type countTicks struct{}

func (countTicks) Ticks(lo, hi float64) []plot.Tick {
	step := 1.0
	for i := 0; (hi-lo)/step > 6; i++ { // at most about six labels: steps 1, 2, 5, 10, 20, 50…
		step *= [...]float64{2, 2.5, 2}[i%3]
	}
	var out []plot.Tick
	for v := math.Ceil(lo/step) * step; v <= hi; v += step {
		out = append(out, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'f', 0, 64)})
	}
	return out
}

// dayMonth is "16 Nov" or «16 нояб.».
func dayMonth(t time.Time, lang string) string {
	if bot.TeamLang(lang) != bot.LangRU {
		return t.Format("2 Jan")
	}
	months := [...]string{"янв.", "февр.", "марта", "апр.", "мая", "июня", "июля", "авг.", "сент.", "окт.", "нояб.", "дек."}
	return strconv.Itoa(t.Day()) + " " + months[t.Month()-1]
}
