package crmtest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/voronka/voronka/crm"
)

// LeadStore is an in-memory crm.LeadStore that keeps the contract a
// dialogue relies on: contacts by Telegram user id, a contact's latest
// lead, one current answer per step (a second is ECONFLICT and changes
// nothing), superseded answers on restart, only open leads closed.
//
// SaveProgressErr, when set, is asked before each SaveProgress; an error
// it returns fails the call and stores nothing.
type LeadStore struct {
	SaveProgressErr func(p crm.Progress) error

	mu         sync.Mutex
	nextID     int64
	contacts   map[int64]*crm.Contact
	leads      map[int64]*crm.Lead
	answers    map[int64][]crm.Answer // current answers per lead, in order
	superseded map[int64][]crm.Answer
	events     map[int64][]crm.Event
	progress   []crm.Progress
}

var _ crm.LeadStore = (*LeadStore)(nil)

// NewLeadStore returns an empty store.
func NewLeadStore() *LeadStore {
	return &LeadStore{
		contacts:   map[int64]*crm.Contact{},
		leads:      map[int64]*crm.Lead{},
		answers:    map[int64][]crm.Answer{},
		superseded: map[int64][]crm.Answer{},
		events:     map[int64][]crm.Event{},
	}
}

func (s *LeadStore) id() int64 { s.nextID++; return s.nextID }

func notFound(what string) error { return crm.Errorf(crm.ENOTFOUND, "%s not found", what) }

// UpsertContact implements crm.LeadStore.
func (s *LeadStore) UpsertContact(_ context.Context, c *crm.Contact) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, old := range s.contacts {
		if old.TelegramUserID != c.TelegramUserID {
			continue
		}
		c.ID, c.CreatedAt = old.ID, old.CreatedAt
		if c.ErasedAt == nil {
			c.ErasedAt = old.ErasedAt
		}
		if c.Phone == "" {
			c.Phone = old.Phone
		}
		if c.Email == "" {
			c.Email = old.Email
		}
		if c.TimeZone == "" {
			c.TimeZone = old.TimeZone
		}
		cp := *c
		s.contacts[c.ID] = &cp
		return nil
	}
	c.ID = s.id()
	cp := *c
	s.contacts[c.ID] = &cp
	return nil
}

// Contact implements crm.LeadStore.
func (s *LeadStore) Contact(_ context.Context, id int64) (*crm.Contact, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.contacts[id]
	if !ok {
		return nil, notFound("contact")
	}
	cp := *c
	return &cp, nil
}

// CreateLead implements crm.LeadStore.
func (s *LeadStore) CreateLead(_ context.Context, l *crm.Lead) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.contacts[l.ContactID]; !ok {
		return notFound("contact")
	}
	l.ID = s.id()
	cp := *l
	s.leads[l.ID] = &cp
	s.events[l.ID] = append(s.events[l.ID], crm.Event{LeadID: l.ID, Kind: crm.EventCreated, Actor: "customer", At: l.CreatedAt})
	return nil
}

// Lead implements crm.LeadStore.
func (s *LeadStore) Lead(_ context.Context, id int64) (*crm.Lead, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.leads[id]
	if !ok {
		return nil, notFound("lead")
	}
	cp := *l
	return &cp, nil
}

// Resume implements crm.LeadStore with UpsertContact, LatestLead and
// Answers.
func (s *LeadStore) Resume(ctx context.Context, c *crm.Contact) (*crm.Lead, []crm.Answer, error) {
	if err := s.UpsertContact(ctx, c); err != nil {
		return nil, nil, err
	}
	l, err := s.LatestLead(ctx, c.ID)
	if crm.ErrorCode(err) == crm.ENOTFOUND {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	answers, err := s.Answers(ctx, l.ID)
	if err != nil {
		return nil, nil, err
	}
	return l, answers, nil
}

// LatestLead implements crm.LeadStore.
func (s *LeadStore) LatestLead(_ context.Context, contactID int64) (*crm.Lead, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var latest *crm.Lead
	for _, l := range s.leads {
		if l.ContactID == contactID && (latest == nil || l.ID > latest.ID) {
			latest = l
		}
	}
	if latest == nil {
		return nil, notFound("lead")
	}
	cp := *latest
	return &cp, nil
}

// Answers implements crm.LeadStore.
func (s *LeadStore) Answers(_ context.Context, leadID int64) ([]crm.Answer, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.answers[leadID]), nil
}

// SaveProgress implements crm.LeadStore.
func (s *LeadStore) SaveProgress(_ context.Context, p crm.Progress) error {
	if s.SaveProgressErr != nil {
		if err := s.SaveProgressErr(p); err != nil {
			return err
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.leads[p.LeadID]
	if !ok {
		return notFound("lead")
	}
	if a := p.Answer; a != nil {
		if slices.ContainsFunc(s.answers[p.LeadID], func(b crm.Answer) bool { return b.StepID == a.StepID }) {
			return crm.Errorf(crm.ECONFLICT, "step %q is answered already", a.StepID)
		}
		cp := *a
		cp.ID = s.id()
		s.answers[p.LeadID] = append(s.answers[p.LeadID], cp)
	}
	l.Score, l.Stage, l.Temperature, l.Step, l.UpdatedAt = p.Score, p.Stage, p.Temperature, p.Step, p.At
	if p.Stage == crm.StageQualified && l.QualifiedAt == nil {
		at := p.At
		l.QualifiedAt = &at
	}
	if c := s.contacts[p.ContactID]; c != nil {
		if p.Phone != "" {
			c.Phone = p.Phone
		}
		if p.Email != "" {
			c.Email = p.Email
		}
	}
	s.events[p.LeadID] = append(s.events[p.LeadID], p.Events...)
	s.progress = append(s.progress, p)
	return nil
}

// RestartLead implements crm.LeadStore.
func (s *LeadStore) RestartLead(_ context.Context, leadID int64, step string, at time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.leads[leadID]
	if !ok {
		return notFound("lead")
	}
	if step == "" {
		return crm.Errorf(crm.EINVALID, "a restart needs the step to wait on")
	}
	s.superseded[leadID] = append(s.superseded[leadID], s.answers[leadID]...)
	delete(s.answers, leadID)
	l.Stage, l.Score, l.Temperature, l.Step, l.QualifiedAt, l.LostReason, l.UpdatedAt = crm.StageNew, 0, crm.Cold, step, nil, "", at
	s.events[leadID] = append(s.events[leadID], crm.Event{LeadID: leadID, Kind: crm.EventRestarted, Actor: "customer", At: at})
	return nil
}

// CloseLead implements crm.LeadStore.
func (s *LeadStore) CloseLead(_ context.Context, leadID int64, reason string, ev crm.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	l, ok := s.leads[leadID]
	if !ok {
		return notFound("lead")
	}
	if !l.Stage.Open() {
		return crm.Errorf(crm.ECONFLICT, "lead %d is %s", leadID, l.Stage)
	}
	l.Stage, l.LostReason, l.UpdatedAt = crm.StageLost, reason, ev.At
	ev.LeadID = leadID
	s.events[leadID] = append(s.events[leadID], ev)
	return nil
}

// AddEvent implements crm.LeadStore.
func (s *LeadStore) AddEvent(_ context.Context, e crm.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.leads[e.LeadID]; !ok {
		return notFound("lead")
	}
	s.events[e.LeadID] = append(s.events[e.LeadID], e)
	return nil
}

// Events implements crm.LeadStore.
func (s *LeadStore) Events(_ context.Context, leadID int64) ([]crm.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.events[leadID]), nil
}

// Saved is every Progress stored, in order.
func (s *LeadStore) Saved() []crm.Progress {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.progress)
}

// Superseded is the lead's answers that a restart superseded.
func (s *LeadStore) Superseded(leadID int64) []crm.Answer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.superseded[leadID])
}

// Leads is every lead of the contact, oldest first.
func (s *LeadStore) Leads(contactID int64) []crm.Lead {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []crm.Lead
	for _, l := range s.leads {
		if l.ContactID == contactID {
			out = append(out, *l)
		}
	}
	slices.SortFunc(out, func(a, b crm.Lead) int { return int(a.ID - b.ID) })
	return out
}
