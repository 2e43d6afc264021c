package bot

import (
	"fmt"
	"math"
	"strings"

	"github.com/voronka/voronka/crm"
)

// WinLines are the card's win-probability lines, the same in Slack, the
// Telegram sales group and /lead:
//
//	Win probability 34% within 30d
//	↑ Need: Buy ×2.3 · Budget: 1 500 000 ×1.4 · source google ×1.2
//	↓ arrived on Sun ×0.8
//
// The factors multiply the odds against those of the average lead. Until
// a model is in use the card says why and the score stands alone. A card
// without an estimate (no learning wired) gets no lines.
func WinLines(est *crm.WinEstimate) []string { return WinLinesIn(est, LangEN) }

// WinLinesIn is WinLines in the team language lang. The factors' own
// labels are the model's.
func WinLinesIn(est *crm.WinEstimate, lang string) []string {
	if est == nil {
		return nil
	}
	if !est.Ready {
		return []string{TeamTextf(lang, "win.not_ready", est.MinWon, est.MinLost)}
	}
	horizon := days(est.Horizon.Hours())
	if TeamLang(lang) == LangRU {
		horizon = strings.NewReplacer("d", " дн.", "h", " ч").Replace(horizon)
	}
	lines := []string{TeamTextf(lang, "win.line", Percent(est.Probability), horizon)}
	for _, side := range []struct {
		mark string
		cs   []crm.Contribution
	}{{"↑", est.Raised}, {"↓", est.Lowered}} {
		if len(side.cs) == 0 {
			continue
		}
		var parts []string
		for _, c := range side.cs {
			parts = append(parts, fmt.Sprintf("%s ×%.1f", c.Label, c.Odds()))
		}
		lines = append(lines, side.mark+" "+strings.Join(parts, " · "))
	}
	return lines
}

// Percent writes a probability as a whole percentage; under 1% and over
// 99% say so rather than round to a certainty.
func Percent(p float64) string {
	switch {
	case p < 0.01:
		return "<1%"
	case p > 0.99:
		return ">99%"
	}
	return fmt.Sprintf("%d%%", int(math.Round(p*100)))
}

func days(hours float64) string {
	if d := hours / 24; d == math.Trunc(d) {
		return fmt.Sprintf("%dd", int(d))
	}
	return fmt.Sprintf("%.0fh", hours)
}
