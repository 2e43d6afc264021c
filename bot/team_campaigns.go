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
// every campaign (or one), or a head's promotion of a variant.
func (s *Team) campaigns(ctx context.Context, m crm.Manager, args string) ([]Message, []int64, error) {
	cs := s.cfg.Campaigns
	if cs == nil {
		return []Message{{Text: "No campaigns are configured."}}, nil, nil
	}
	f := strings.Fields(args)
	if len(f) == 3 && f[1] == "promote" {
		if m.Role != crm.RoleHead && m.Role != crm.RoleAdmin {
			return nil, nil, crm.Errorf(crm.EFORBIDDEN, "Only a head of sales promotes a variant.")
		}
		if err := cs.Promote(ctx, f[0], f[2]); err != nil {
			return nil, nil, err
		}
		return []Message{{Text: fmt.Sprintf("Campaign %s: variant %s now takes every further send.", f[0], f[2])}}, nil, nil
	}
	id := ""
	if len(f) > 0 {
		id = f[0]
	}
	reports, err := cs.Report(ctx, id, time.Now())
	if err != nil {
		return nil, nil, err
	}
	return []Message{{Text: RenderCampaigns(reports)}}, nil, nil
}

// RenderCampaigns is the /campaigns text: per campaign its audience, and
// per variant the sends and, over delivered messages, the reply and goal
// rates with their 95% intervals and the chance to beat the first
// variant; a sample-ratio mismatch is flagged.
func RenderCampaigns(reports []crm.CampaignReport) string {
	if len(reports) == 0 {
		return "No campaigns."
	}
	var b strings.Builder
	for i, r := range reports {
		if i > 0 {
			b.WriteString("\n")
		}
		c := r.Campaign
		fmt.Fprintf(&b, "%s (%s, goal: %s within %s) — audience %d\n", c.Name, c.ID, c.Goal.Kind, shortDuration(c.Goal.Within), r.Audience)
		for _, v := range r.Variants {
			mark := ""
			if v.Promoted {
				mark = " ★ promoted"
			}
			fmt.Fprintf(&b, "  %s (w %d)%s: sent %d, delivered %d, blocked %d\n", v.Variant, v.Weight, mark, v.Sent, v.Delivered, v.Blocked)
			fmt.Fprintf(&b, "    replied %d = %s, goal %d = %s", v.Replied, rateCI(v.ReplyRate, v.ReplyLo, v.ReplyHi),
				v.Goal, rateCI(v.GoalRate, v.GoalLo, v.GoalHi))
			if !math.IsNaN(v.BeatsFirst) {
				fmt.Fprintf(&b, ", P(beats %s) %.0f%%", r.Variants[0].Variant, 100*v.BeatsFirst)
			}
			b.WriteString("\n")
		}
		if r.SRMFlag {
			fmt.Fprintf(&b, "  ⚠️ sample ratio mismatch (p = %.4f): the split does not match the weights; do not trust the comparison\n", r.SRM)
		}
		if r.BestSent+r.RandomSent > 0 {
			fmt.Fprintf(&b, "  send time: best hour %d/%d replied in 24h, random hour %d/%d\n", r.BestReplied, r.BestSent, r.RandomReplied, r.RandomSent)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func rateCI(rate, lo, hi float64) string {
	return fmt.Sprintf("%.1f%% [%.1f–%.1f]", 100*rate, 100*lo, 100*hi)
}

func shortDuration(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
