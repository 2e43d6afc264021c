package crm

import (
	"context"
	"fmt"
)

// LeadTimelineShown is how many of a lead's latest events /lead lists.
const LeadTimelineShown = 25

// LeadMessagesShown is how many of a lead's latest messages /lead lists.
const LeadMessagesShown = 10

// LeadView is /lead <id>.
type LeadView struct {
	Card     *LeadCard
	Timeline []Event
	// Referred are the leads that came by this lead's customer's personal
	// link (ReferralCode), newest first, at most LeadReferredShown.
	Referred []int64
	// Messages are the conversation's latest, oldest first (none without
	// ShowConversations).
	Messages []Message
}

// LeadReferredShown is how many referred leads /lead lists.
const LeadReferredShown = 20

// ShowConversations makes /lead list the latest messages of the lead's
// conversation (ConversationStore.LastMessages).
func (s *Stats) ShowConversations(r interface {
	LastMessages(ctx context.Context, leadID int64, n int) ([]Message, error)
}) {
	s.messages = r
}

// Lead answers /lead: a rep may look at their own leads only, and is told
// the same "not among your leads" for a lead that is someone else's as for
// one that does not exist, so ids cannot be probed. Heads and admins, who
// see every lead, are told when one does not exist.
func (s *Stats) Lead(ctx context.Context, m Manager, id int64) (*LeadView, error) {
	card, assignee, err := s.cards.Card(ctx, id)
	missing := ErrorCode(err) == ENOTFOUND
	switch {
	case missing && SeesAll(m):
		return nil, Errorf(ENOTFOUND, "Lead #%d not found.", id)
	case missing, err == nil && !SeesAll(m) && assignee != m.ID:
		return nil, Errorf(ENOTFOUND, "Lead #%d is not among your leads.", id)
	case err != nil:
		return nil, err
	}
	if assignee != 0 {
		for _, tm := range s.team {
			if tm.ID == assignee {
				card.Assignee = &tm
			}
		}
	}
	if s.win != nil {
		card.Win, _ = s.win.Estimate(ctx, card) // without it the card still stands
	}
	if s.labels != nil {
		card.Answers = s.labels.Label(&card.Lead, card.Answers)
	}
	card.Now = s.clock.Now()
	events, err := s.store.Timeline(ctx, id, LeadTimelineShown)
	if err != nil {
		return nil, fmt.Errorf("lead timeline: %w", err)
	}
	lv := &LeadView{Card: card, Timeline: events}
	if card.Contact.ID != 0 {
		if lv.Referred, err = s.store.Referred(ctx, ReferralCode(card.Contact.ID), LeadReferredShown); err != nil {
			return nil, fmt.Errorf("lead referrals: %w", err)
		}
	}
	if s.messages != nil {
		if lv.Messages, err = s.messages.LastMessages(ctx, id, LeadMessagesShown); err != nil {
			return nil, fmt.Errorf("lead messages: %w", err)
		}
	}
	return lv, nil
}
