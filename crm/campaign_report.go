package crm

import (
	"context"
	"math"
	"time"
)

// VariantReport is one variant's results, read from the facts of its sends.
type VariantReport struct {
	VariantStats
	Weight   int
	Promoted bool
	// The rates are over delivered messages, with 95% Wilson intervals.
	ReplyRate, ReplyLo, ReplyHi float64
	GoalRate, GoalLo, GoalHi    float64
	// BeatsFirst is the probability that this variant's goal rate beats
	// the first variant's (NaN for the first).
	BeatsFirst float64
}

// CampaignReport is what /campaigns shows of one campaign.
type CampaignReport struct {
	Campaign *Campaign
	Audience int
	Variants []VariantReport
	// SRM is the p-value of the sends' split against the weights; below
	// 0.01 SRMFlag is set and the comparison is not to be trusted.
	SRM     float64
	SRMFlag bool
	// Best-time sends against random-time sends: replies within 24h.
	BestSent, BestReplied, RandomSent, RandomReplied int
}

// Report reads every campaign's results (one when id is set).
func (cs *Campaigns) Report(ctx context.Context, id string, now time.Time) ([]CampaignReport, error) {
	var out []CampaignReport
	for _, c := range cs.list {
		if id != "" && c.ID != id {
			continue
		}
		r, err := cs.report(ctx, c, now)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if id != "" && len(out) == 0 {
		return nil, Errorf(ENOTFOUND, "no campaign %q", id)
	}
	return out, nil
}

func (cs *Campaigns) report(ctx context.Context, c *Campaign, now time.Time) (CampaignReport, error) {
	r := CampaignReport{Campaign: c}
	var err error
	if r.Audience, err = cs.store.AudienceSize(ctx, c, now); err != nil {
		return r, err
	}
	stats, err := cs.store.Results(ctx, c.ID, c.Goal)
	if err != nil {
		return r, err
	}
	promoted, err := cs.store.Promoted(ctx, c.ID)
	if err != nil {
		return r, err
	}
	byID := map[string]VariantStats{}
	for _, s := range stats {
		byID[s.Variant] = s
	}
	var sends, weights []int
	for _, v := range c.Variants {
		s := byID[v.ID]
		s.Campaign, s.Variant = c.ID, v.ID
		vr := VariantReport{VariantStats: s, Weight: v.Weight, Promoted: v.ID == promoted, BeatsFirst: math.NaN()}
		if s.Delivered > 0 {
			vr.ReplyRate = float64(s.Replied) / float64(s.Delivered)
			vr.GoalRate = float64(s.Goal) / float64(s.Delivered)
		}
		vr.ReplyLo, vr.ReplyHi = Wilson(s.Replied, s.Delivered)
		vr.GoalLo, vr.GoalHi = Wilson(s.Goal, s.Delivered)
		if len(r.Variants) > 0 {
			f := r.Variants[0]
			vr.BeatsFirst = ProbBeats(f.Goal, f.Delivered, s.Goal, s.Delivered)
		}
		r.Variants = append(r.Variants, vr)
		r.BestSent += s.BestSent
		r.BestReplied += s.BestReplied24h
		r.RandomSent += s.RandomSent
		r.RandomReplied += s.RandomReplied24h
		// Sends made after a promotion all go to one arm: the split is
		// tested on what was assigned by weight, so a promoted campaign
		// is not tested.
		sends = append(sends, s.Sends)
		weights = append(weights, v.Weight)
	}
	r.SRM = 1
	if promoted == "" {
		r.SRM = SampleRatioMismatch(sends, weights)
	}
	r.SRMFlag = r.SRM < 0.01
	return r, nil
}
