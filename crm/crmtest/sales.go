package crmtest

import (
	"context"
	"time"

	"github.com/voronka/voronka/crm"
)

// SalesStore is a function-field crm.SalesStore.
type SalesStore struct {
	SyncTeamFn func(ctx context.Context, team []crm.Manager) ([]crm.Manager, error)
	CardFn     func(ctx context.Context, leadID int64) (*crm.LeadCard, int64, error)
	// CardWithRefsFn answers CardWithRefs; unset, CardWithRefs is CardFn
	// and CardRefsFn, so a fake can give the card and the references
	// apart.
	CardWithRefsFn       func(ctx context.Context, leadID int64) (*crm.LeadCard, int64, map[string]string, error)
	CardRefsFn           func(ctx context.Context, leadID int64) (map[string]string, error)
	SaveCardRefFn        func(ctx context.Context, p crm.CardPost) (string, error)
	MarkAlertedFn        func(ctx context.Context, leadID int64, at time.Time) error
	OpenLoadFn           func(ctx context.Context) (map[int64]int, error)
	LastAssigneeFn       func(ctx context.Context) (int64, error)
	PreviousManagerFn    func(ctx context.Context, contactID, exceptLead int64) (int64, error)
	AssignFn             func(ctx context.Context, leadID, managerID int64, at time.Time, jobs []crm.Job) (*crm.Lead, error)
	SetWaitingFn         func(ctx context.Context, leadID int64, at time.Time) error
	WaitingFn            func(ctx context.Context) ([]int64, error)
	ActFn                func(ctx context.Context, a crm.Action, anyOwner bool, jobs []crm.Job) (*crm.Lead, error)
	DueClaimBreachesFn   func(ctx context.Context, t time.Time) ([]int64, error)
	DueContactBreachesFn func(ctx context.Context, t time.Time) ([]int64, error)
	RecordBreachFn       func(ctx context.Context, leadID int64, kind string, at time.Time, job crm.Job) (bool, error)
	WarmQualifiedFn      func(ctx context.Context, from, to time.Time) ([]int64, error)
	EnqueueFn            func(ctx context.Context, jobs ...crm.Job) error
}

var _ crm.SalesStore = (*SalesStore)(nil)

func unset(what string) { panic("crmtest: " + what + " called but not set") }

func (s *SalesStore) SyncTeam(ctx context.Context, team []crm.Manager) ([]crm.Manager, error) {
	if s.SyncTeamFn == nil {
		unset("SalesStore.SyncTeam")
	}
	return s.SyncTeamFn(ctx, team)
}

func (s *SalesStore) Card(ctx context.Context, leadID int64) (*crm.LeadCard, int64, error) {
	if s.CardFn == nil {
		unset("SalesStore.Card")
	}
	return s.CardFn(ctx, leadID)
}

// CardWithRefs calls CardWithRefsFn, or else CardFn and CardRefsFn.
func (s *SalesStore) CardWithRefs(ctx context.Context, leadID int64) (*crm.LeadCard, int64, map[string]string, error) {
	if s.CardWithRefsFn != nil {
		return s.CardWithRefsFn(ctx, leadID)
	}
	if s.CardRefsFn == nil {
		unset("SalesStore.CardWithRefs (or CardRefsFn)")
	}
	card, assignee, err := s.Card(ctx, leadID)
	if err != nil {
		return nil, 0, nil, err
	}
	refs, err := s.CardRefsFn(ctx, leadID)
	if err != nil {
		return nil, 0, nil, err
	}
	return card, assignee, refs, nil
}

func (s *SalesStore) SaveCardRef(ctx context.Context, p crm.CardPost) (string, error) {
	if s.SaveCardRefFn == nil {
		unset("SalesStore.SaveCardRef")
	}
	return s.SaveCardRefFn(ctx, p)
}

func (s *SalesStore) MarkAlerted(ctx context.Context, leadID int64, at time.Time) error {
	if s.MarkAlertedFn == nil {
		unset("SalesStore.MarkAlerted")
	}
	return s.MarkAlertedFn(ctx, leadID, at)
}

func (s *SalesStore) OpenLoad(ctx context.Context) (map[int64]int, error) {
	if s.OpenLoadFn == nil {
		unset("SalesStore.OpenLoad")
	}
	return s.OpenLoadFn(ctx)
}

func (s *SalesStore) LastAssignee(ctx context.Context) (int64, error) {
	if s.LastAssigneeFn == nil {
		unset("SalesStore.LastAssignee")
	}
	return s.LastAssigneeFn(ctx)
}

func (s *SalesStore) PreviousManager(ctx context.Context, contactID, exceptLead int64) (int64, error) {
	if s.PreviousManagerFn == nil {
		unset("SalesStore.PreviousManager")
	}
	return s.PreviousManagerFn(ctx, contactID, exceptLead)
}

func (s *SalesStore) Assign(ctx context.Context, leadID, managerID int64, at time.Time, jobs []crm.Job) (*crm.Lead, error) {
	if s.AssignFn == nil {
		unset("SalesStore.Assign")
	}
	return s.AssignFn(ctx, leadID, managerID, at, jobs)
}

func (s *SalesStore) SetWaiting(ctx context.Context, leadID int64, at time.Time) error {
	if s.SetWaitingFn == nil {
		unset("SalesStore.SetWaiting")
	}
	return s.SetWaitingFn(ctx, leadID, at)
}

func (s *SalesStore) Waiting(ctx context.Context) ([]int64, error) {
	if s.WaitingFn == nil {
		unset("SalesStore.Waiting")
	}
	return s.WaitingFn(ctx)
}

func (s *SalesStore) Act(ctx context.Context, a crm.Action, anyOwner bool, jobs []crm.Job) (*crm.Lead, error) {
	if s.ActFn == nil {
		unset("SalesStore.Act")
	}
	return s.ActFn(ctx, a, anyOwner, jobs)
}

func (s *SalesStore) DueClaimBreaches(ctx context.Context, t time.Time) ([]int64, error) {
	if s.DueClaimBreachesFn == nil {
		unset("SalesStore.DueClaimBreaches")
	}
	return s.DueClaimBreachesFn(ctx, t)
}

func (s *SalesStore) DueContactBreaches(ctx context.Context, t time.Time) ([]int64, error) {
	if s.DueContactBreachesFn == nil {
		unset("SalesStore.DueContactBreaches")
	}
	return s.DueContactBreachesFn(ctx, t)
}

func (s *SalesStore) RecordBreach(ctx context.Context, leadID int64, kind string, at time.Time, job crm.Job) (bool, error) {
	if s.RecordBreachFn == nil {
		unset("SalesStore.RecordBreach")
	}
	return s.RecordBreachFn(ctx, leadID, kind, at, job)
}

func (s *SalesStore) WarmQualified(ctx context.Context, from, to time.Time) ([]int64, error) {
	if s.WarmQualifiedFn == nil {
		unset("SalesStore.WarmQualified")
	}
	return s.WarmQualifiedFn(ctx, from, to)
}

func (s *SalesStore) Enqueue(ctx context.Context, jobs ...crm.Job) error {
	if s.EnqueueFn == nil {
		unset("SalesStore.Enqueue")
	}
	return s.EnqueueFn(ctx, jobs...)
}

// SalesNotifier is a function-field crm.SalesNotifier named Name.
type SalesNotifier struct {
	Name         string
	PostCardFn   func(ctx context.Context, card *crm.LeadCard) (string, error)
	UpdateCardFn func(ctx context.Context, ref string, card *crm.LeadCard) error
	EscalateFn   func(ctx context.Context, ref string, card *crm.LeadCard, heads []crm.Manager) error
	RemindFn     func(ctx context.Context, ref string, card *crm.LeadCard, rep crm.Manager) error
	DigestFn     func(ctx context.Context, title string, cards []*crm.LeadCard) error
	NotifyFn     func(ctx context.Context, ref string, card *crm.LeadCard, text string, mention []crm.Manager) error
}

var _ crm.SalesNotifier = (*SalesNotifier)(nil)

// Channel returns Name.
func (n *SalesNotifier) Channel() string { return n.Name }

func (n *SalesNotifier) PostCard(ctx context.Context, card *crm.LeadCard) (string, error) {
	if n.PostCardFn == nil {
		unset("SalesNotifier.PostCard")
	}
	return n.PostCardFn(ctx, card)
}

func (n *SalesNotifier) UpdateCard(ctx context.Context, ref string, card *crm.LeadCard) error {
	if n.UpdateCardFn == nil {
		unset("SalesNotifier.UpdateCard")
	}
	return n.UpdateCardFn(ctx, ref, card)
}

func (n *SalesNotifier) Escalate(ctx context.Context, ref string, card *crm.LeadCard, heads []crm.Manager) error {
	if n.EscalateFn == nil {
		unset("SalesNotifier.Escalate")
	}
	return n.EscalateFn(ctx, ref, card, heads)
}

func (n *SalesNotifier) Remind(ctx context.Context, ref string, card *crm.LeadCard, rep crm.Manager) error {
	if n.RemindFn == nil {
		unset("SalesNotifier.Remind")
	}
	return n.RemindFn(ctx, ref, card, rep)
}

func (n *SalesNotifier) Digest(ctx context.Context, title string, cards []*crm.LeadCard) error {
	if n.DigestFn == nil {
		unset("SalesNotifier.Digest")
	}
	return n.DigestFn(ctx, title, cards)
}

func (n *SalesNotifier) Notify(ctx context.Context, ref string, card *crm.LeadCard, text string, mention []crm.Manager) error {
	if n.NotifyFn == nil {
		unset("SalesNotifier.Notify")
	}
	return n.NotifyFn(ctx, ref, card, text, mention)
}

// CustomerNotifier is a function-field crm.CustomerNotifier.
type CustomerNotifier struct {
	LeadClaimedFn func(ctx context.Context, card *crm.LeadCard, by crm.Manager) error
}

var _ crm.CustomerNotifier = (*CustomerNotifier)(nil)

func (n *CustomerNotifier) LeadClaimed(ctx context.Context, card *crm.LeadCard, by crm.Manager) error {
	if n.LeadClaimedFn == nil {
		unset("CustomerNotifier.LeadClaimed")
	}
	return n.LeadClaimedFn(ctx, card, by)
}

// Labeler is a function-field crm.Labeler.
type Labeler struct {
	LabelFn func(lead *crm.Lead, answers []crm.CardAnswer) []crm.CardAnswer
}

var _ crm.Labeler = (*Labeler)(nil)

func (l *Labeler) Label(lead *crm.Lead, answers []crm.CardAnswer) []crm.CardAnswer {
	if l.LabelFn == nil {
		unset("Labeler.Label")
	}
	return l.LabelFn(lead, answers)
}
