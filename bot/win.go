package bot

import (
	"fmt"
	"math"
	"strings"
	"time"

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

// WinLinesIn is WinLines in the team language lang, the factors' words
// too (FeatureText); a question's and an option's label are the flow's.
func WinLinesIn(est *crm.WinEstimate, lang string) []string {
	if est == nil {
		return nil
	}
	if !est.Ready {
		return []string{TeamTextf(lang, "win.not_ready", est.MinWon, est.MinLost)}
	}
	horizon := horizonText(lang, est.Horizon.Hours())
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
			parts = append(parts, contributionText(lang, c)+" ×"+decimal(lang, "%.1f", c.Odds()))
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

func contributionText(lang string, c crm.Contribution) string {
	if c.Name.Form == "" {
		return c.Label // an estimate made without the parts
	}
	return FeatureText(lang, c.Name)
}

// FeatureText is a win-model feature as the team reads it in lang:
// «Бюджет: 1 500 000», «источник google», «пришёл в понедельник».
func FeatureText(lang string, f crm.FeatureName) string {
	if TeamLang(lang) != LangRU {
		return f.English()
	}
	switch f.Form {
	case crm.FeatureFormAnswer:
		return TeamTextf(lang, "feat.answer", f.Subject, f.Value)
	case crm.FeatureFormGiven:
		return TeamTextf(lang, "feat.given", f.Subject)
	case crm.FeatureFormHigher:
		return TeamTextf(lang, "feat.higher", f.Subject)
	case crm.FeatureFormLonger:
		return TeamText(lang, "feat.longer")
	case crm.FeatureFormDialogue:
		return TeamTextf(lang, "feat.dialogue", f.Value)
	case crm.FeatureFormHour:
		if from, to, ok := strings.Cut(f.Value, "-"); ok {
			hour := func(h string) string { // «с 9 до 12», not «с 09»
				if len(h) > 1 {
					return strings.TrimPrefix(h, "0")
				}
				return h
			}
			return TeamTextf(lang, "feat.hours", hour(from), hour(to))
		}
		return TeamTextf(lang, "feat.hour", f.Value)
	case crm.FeatureFormWeekday:
		for d := time.Sunday; d <= time.Saturday; d++ {
			if d.String()[:3] == f.Value {
				return TeamTextf(lang, "feat.weekday", ruOnWeekday(d))
			}
		}
		return TeamTextf(lang, "feat.weekday", f.Value)
	case crm.FeatureFormAttr:
		if t := TeamText(lang, "feat."+f.Subject); t != "feat."+f.Subject {
			return t + " " + f.Value
		}
	}
	return f.English()
}
