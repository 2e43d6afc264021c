package bot

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/voronka/voronka/crm"
)

// campaigns answers /campaigns [name] [promote <variant>]: the report of
// every campaign (or one), or a head's promotion of a variant, in the
// reader's language.
func (s *Team) campaigns(ctx context.Context, m crm.Manager, args string) ([]Message, []int64, error) {
	lang := s.lang(m)
	cs := s.cfg.Campaigns
	if cs == nil {
		return []Message{{Text: TeamText(lang, "camp.not_configured")}}, nil, nil
	}
	f := strings.Fields(args)
	if len(f) == 3 && f[1] == "promote" {
		if m.Role != crm.RoleHead && m.Role != crm.RoleAdmin {
			return nil, nil, crm.Errorf(crm.EFORBIDDEN, "Only a head of sales promotes a variant.")
		}
		if err := cs.Promote(ctx, f[0], f[2]); err != nil {
			return nil, nil, err
		}
		return []Message{{Text: TeamTextf(lang, "camp.promoted", f[0], f[2])}}, nil, nil
	}
	id := ""
	if len(f) > 0 {
		id = f[0]
	}
	reports, err := cs.Report(ctx, id, time.Now())
	if err != nil {
		return nil, nil, err
	}
	return []Message{{Text: RenderCampaignsIn(lang, reports)}}, nil, nil
}

// RenderCampaigns is /campaigns in English.
func RenderCampaigns(reports []crm.CampaignReport) string { return RenderCampaignsIn(LangEN, reports) }

// RenderCampaignsIn is the /campaigns text in lang: per campaign its
// audience, and per variant the sends and, over delivered messages, the
// reply and goal rates with their 95% intervals and the chance to beat
// the first variant; a sample-ratio mismatch is flagged.
func RenderCampaignsIn(lang string, reports []crm.CampaignReport) string {
	if len(reports) == 0 {
		return TeamText(lang, "camp.none")
	}
	var b strings.Builder
	for i, r := range reports {
		if i > 0 {
			b.WriteString("\n")
		}
		c := r.Campaign
		b.WriteString(TeamTextf(lang, "camp.head", c.Name, c.ID, goalText(lang, c.Goal.Kind), shortDuration(lang, c.Goal.Within), r.Audience) + "\n")
		for _, v := range r.Variants {
			mark := ""
			if v.Promoted {
				mark = TeamText(lang, "camp.promoted_mark")
			}
			b.WriteString(TeamTextf(lang, "camp.variant", v.Variant, v.Weight, mark, v.Sent, v.Delivered, v.Blocked) + "\n")
			b.WriteString(TeamTextf(lang, "camp.rates", v.Replied, rateCI(lang, v.ReplyRate, v.ReplyLo, v.ReplyHi),
				v.Goal, rateCI(lang, v.GoalRate, v.GoalLo, v.GoalHi)))
			if !math.IsNaN(v.BeatsFirst) {
				b.WriteString(TeamTextf(lang, "camp.beats", r.Variants[0].Variant, fmt.Sprintf("%.0f%%", 100*v.BeatsFirst)))
			}
			b.WriteString("\n")
		}
		if r.SRMFlag {
			b.WriteString(TeamTextf(lang, "camp.srm", decimal(lang, "%.4f", r.SRM)) + "\n")
		}
		if r.BestSent+r.RandomSent > 0 {
			b.WriteString(TeamTextf(lang, "camp.send_time", r.BestReplied, r.BestSent, r.RandomReplied, r.RandomSent) + "\n")
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// goalText is a campaign's goal as the team calls it.
func goalText(lang, kind string) string {
	if t := TeamText(lang, "camp.goal."+kind); t != "camp.goal."+kind {
		return t
	}
	return kind
}

func rateCI(lang string, rate, lo, hi float64) string {
	return decimal(lang, "%.1f", 100*rate) + "% [" + decimal(lang, "%.1f", 100*lo) + "–" + decimal(lang, "%.1f", 100*hi) + "]"
}

func shortDuration(lang string, d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		if TeamLang(lang) == LangRU {
			return fmt.Sprintf("%d дн.", d/(24*time.Hour))
		}
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	if TeamLang(lang) == LangRU && d%time.Hour == 0 {
		return fmt.Sprintf("%d ч", d/time.Hour)
	}
	return d.String()
}
