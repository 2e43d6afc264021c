package app

import (
	"context"
	"fmt"
	"time"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/flows"
	"github.com/voronka/voronka/flows/campaign"
	"github.com/voronka/voronka/storage/postgres"
)

// loadCampaigns reads the campaigns directory; the flows a button may
// start are the loaded ones.
func loadCampaigns(cfg *Config, fl map[string]*flows.Flow) (*campaign.Set, error) {
	ids := make([]string, 0, len(fl))
	for id := range fl {
		ids = append(ids, id)
	}
	set, err := campaign.LoadDir(cfg.Campaigns.Dir, ids)
	if err != nil {
		return nil, fmt.Errorf("config: campaigns.dir:\n%w", err)
	}
	return set, nil
}

// wireCampaigns builds the campaigns on the job queue wireSales built:
// their sends go through the customers' sender in the bulk lane, the
// sweep of event and once triggers runs on campaigns.schedule, and each
// cron campaign has a schedule of its own.
func (a *App) wireCampaigns(ctx context.Context, sender bot.Sender) error {
	cfg := a.cfg
	set, err := loadCampaigns(cfg, a.flows)
	if err != nil {
		return err
	}
	tz, _ := time.LoadLocation(cfg.TimeZone)                                          // validated
	quiet, _ := crm.ParseQuietHours(cfg.QuietHours.From, cfg.QuietHours.To)           // validated
	capc, _ := crm.ParseFrequencyCap(cfg.Campaigns.FrequencyCap, flows.ParseDuration) // validated
	explore := 0.1
	if cfg.Campaigns.Explore != nil {
		explore = *cfg.Campaigns.Explore
	}
	lane := bot.NewBulkLane(sender, cfg.Campaigns.BulkSlots)
	a.campaigns = crm.NewCampaigns(postgres.NewCampaignStore(a.db), postgres.NewEngagementStore(a.db),
		bot.CampaignOutreach{Leads: postgres.NewLeadStore(a.db), Sender: lane}, set.Campaigns,
		crm.CampaignPolicy{Cap: capc, Quiet: quiet, TimeZone: tz, Explore: explore}, a.clock)
	if len(set.Campaigns) == 0 {
		return nil
	}
	if err := a.schedule.Add(ctx, "campaigns", cfg.Campaigns.Schedule, a.campaigns.Sweep); err != nil {
		return fmt.Errorf("config: campaigns.schedule: %w", err)
	}
	for _, c := range set.Campaigns {
		if c.Trigger.Kind != crm.TriggerCron {
			continue
		}
		id := c.ID
		err := a.schedule.Add(ctx, "campaign:"+id, c.Trigger.Cron, func(ctx context.Context, now time.Time) error {
			_, err := a.campaigns.Fire(ctx, id, now, crm.CronCause(now), false, 0)
			return err
		})
		if err != nil {
			return fmt.Errorf("%s: trigger cron: %w", c.File, err)
		}
	}
	return nil
}
