package chart_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/bot/chart"
	"github.com/voronka/voronka/crm"
)

func decode(t *testing.T, b []byte) image.Image {
	t.Helper()
	require.True(t, bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")), "a PNG signature")
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	return img
}

// differ counts the pixels that are not the same in a and b (over the
// area both have).
func differ(a, b image.Image) int {
	r := a.Bounds().Intersect(b.Bounds())
	n := 0
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if a.At(x, y) != b.At(x, y) {
				n++
			}
		}
	}
	return n
}

var period = crm.Period{Name: "7d", From: time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC),
	To: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), Loc: time.UTC}

func funnel(counts ...int) *crm.FunnelReport {
	names := []string{"Leads", "Started", "Qualified", "Contacted", "Won"}[:len(counts)]
	return &crm.FunnelReport{Period: period, Stages: crm.FunnelStages(names, counts)}
}

func TestFunnelChart(t *testing.T) {
	t.Parallel()
	c := chart.Charts{}
	a, err := c.Funnel(funnel(100, 80, 40, 20, 5), "en")
	require.NoError(t, err)
	b, err := c.Funnel(funnel(100, 30, 20, 10, 9), "ru")
	require.NoError(t, err)
	short, err := c.Funnel(funnel(100, 50, 10), "en")
	require.NoError(t, err)
	ia, ib, is := decode(t, a), decode(t, b), decode(t, short)
	require.Equal(t, ia.Bounds(), ib.Bounds(), "same number of stages, same size")
	require.Greater(t, differ(ia, ib), 1000, "other counts, other bars")
	require.Less(t, is.Bounds().Dy(), ia.Bounds().Dy(), "fewer stages, a shorter picture")
	require.Greater(t, ia.Bounds().Dx(), 600, "sharp on a phone")
	_, err = c.Funnel(&crm.FunnelReport{Period: period}, "en")
	require.Error(t, err)
}

func trend(scores ...float64) *crm.NPSReport {
	r := &crm.NPSReport{Period: period}
	for i, s := range scores {
		pt := crm.NPSPoint{Week: period.From.AddDate(0, 0, 7*(i-len(scores)+1)), Responses: 3, Score: s, Has: s > -1000}
		if !pt.Has {
			pt.Responses, pt.Score = 0, 0
		}
		r.Trend = append(r.Trend, pt)
	}
	return r
}

func TestNPSTrendChart(t *testing.T) {
	t.Parallel()
	c := chart.Charts{}
	a, err := c.NPSTrend(trend(10, 20, -5, -2000, 40, 50, 60, 33), "en")
	require.NoError(t, err)
	b, err := c.NPSTrend(trend(-80, -60, -40, -2000, 0, 20, 40, 60), "en")
	require.NoError(t, err)
	long, err := c.NPSTrend(trend(10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 90, 80, 70, 60), "ru")
	require.NoError(t, err)
	ia, ib, il := decode(t, a), decode(t, b), decode(t, long)
	require.Equal(t, ia.Bounds(), ib.Bounds())
	require.Greater(t, differ(ia, ib), 1000)
	require.Greater(t, il.Bounds().Dx(), ia.Bounds().Dx(), "more weeks, a wider picture")
	_, err = c.NPSTrend(trend(-2000, -2000), "ru")
	require.ErrorIs(t, err, bot.ErrNoChartData, "no responses: a sentence, not empty axes")
	_, err = c.NPSTrend(&crm.NPSReport{Period: period}, "en")
	require.ErrorIs(t, err, bot.ErrNoChartData)
}

func TestCohortsChart(t *testing.T) {
	t.Parallel()
	c := chart.Charts{}
	now := period.To.Add(time.Hour)
	rep := func(won ...int) *crm.CohortReport {
		var in []crm.CohortWins
		for i, w := range won {
			in = append(in, crm.CohortWins{Week: period.From.AddDate(0, 0, -7*i), Size: 10, Won: map[int]int{0: w, 1: w}})
		}
		return &crm.CohortReport{Period: period, Cohorts: crm.Cohorts(in, now)}
	}
	a, err := c.Cohorts(rep(1, 2, 3), "en")
	require.NoError(t, err)
	b, err := c.Cohorts(rep(4, 0, 5), "en")
	require.NoError(t, err)
	more, err := c.Cohorts(rep(1, 2, 3, 4, 5, 1), "ru")
	require.NoError(t, err)
	ia, ib, im := decode(t, a), decode(t, b), decode(t, more)
	require.Equal(t, ia.Bounds(), ib.Bounds())
	require.Greater(t, differ(ia, ib), 1000)
	require.Greater(t, im.Bounds().Dy(), ia.Bounds().Dy(), "more cohorts, a taller picture")
	_, err = c.Cohorts(&crm.CohortReport{Period: period}, "en")
	require.ErrorIs(t, err, bot.ErrNoChartData)
}

// count is how many pixels of img are exactly c.
func count(img image.Image, c color.Color) int {
	r0, g0, b0, _ := c.RGBA()
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bb, _ := img.At(x, y).RGBA()
			if r == r0 && g == g0 && bb == b0 {
				n++
			}
		}
	}
	return n
}

// TestCohortsChartColours: a lone 18% is not painted as the darkest
// green of a scale that tops at 100%, nor is it the darkest of a scale
// that tops at 18%: the scale tops at 20%, which the legend names; weeks
// not reached yet have a colour of their own, and an empty past week
// (a cohort without leads) is not drawn in it.
func TestCohortsChartColours(t *testing.T) {
	t.Parallel()
	c := chart.Charts{}
	now := period.To.Add(time.Hour)
	lone := []crm.CohortWins{
		{Week: period.From.AddDate(0, 0, -14), Size: 0},                         // no leads that week
		{Week: period.From.AddDate(0, 0, -7), Size: 50, Won: map[int]int{0: 9}}, // 18%, then not reached
	}
	png, err := c.Cohorts(&crm.CohortReport{Period: period, Cohorts: crm.Cohorts(lone, now)}, "ru")
	require.NoError(t, err)
	img := decode(t, png)
	darkest := color.RGBA{R: 0x1e, G: 0x8e, B: 0x3e, A: 0xff}
	notYet := color.RGBA{R: 0xe4, G: 0xe8, B: 0xf0, A: 0xff}
	require.Zero(t, count(img, darkest), "18% of a 20% scale is not the darkest green")
	require.Greater(t, count(img, notYet), 500, "weeks not reached yet have their own colour")

	none := []crm.CohortWins{{Week: period.From.AddDate(0, 0, -14), Size: 0}}
	png, err = c.Cohorts(&crm.CohortReport{Period: period, Cohorts: crm.Cohorts(none, now)}, "en")
	require.NoError(t, err)
	require.Zero(t, count(decode(t, png), notYet), "a past week without leads is not a week to come")
}
