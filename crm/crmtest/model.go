package crmtest

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/voronka/voronka/crm"
)

// ModelStore is an in-memory crm.ModelStore: Outcomes returns the
// outcomes it was given (as they are: the test decides what is known),
// and it records the ids of every lead Outcomes handed out.
type ModelStore struct {
	mu       sync.Mutex
	outcomes []crm.LeadOutcome
	models   []crm.WinModel
}

var _ crm.ModelStore = (*ModelStore)(nil)

// NewModelStore returns a store holding outcomes.
func NewModelStore(outcomes []crm.LeadOutcome) *ModelStore {
	return &ModelStore{outcomes: outcomes}
}

// Outcomes implements crm.ModelStore.
func (s *ModelStore) Outcomes(ctx context.Context, horizon time.Duration, now time.Time) ([]crm.LeadOutcome, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.outcomes), nil
}

// OutcomeCounts implements crm.ModelStore.
func (s *ModelStore) OutcomeCounts(ctx context.Context, horizon time.Duration, now time.Time) (int, int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var won, lost int
	for _, o := range s.outcomes {
		if o.Won {
			won++
		} else {
			lost++
		}
	}
	return won, lost, nil
}

// SaveModel implements crm.ModelStore.
func (s *ModelStore) SaveModel(ctx context.Context, m *crm.WinModel) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m.ID = int64(len(s.models) + 1)
	if m.Current {
		for i := range s.models {
			s.models[i].Current = false
		}
	}
	s.models = append(s.models, *m)
	return nil
}

// CurrentModel implements crm.ModelStore.
func (s *ModelStore) CurrentModel(ctx context.Context) (*crm.WinModel, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.models {
		if s.models[i].Current {
			m := s.models[i]
			return &m, nil
		}
	}
	return nil, crm.Errorf(crm.ENOTFOUND, "no model")
}

// Models implements crm.ModelStore.
func (s *ModelStore) Models(ctx context.Context, limit int) ([]crm.WinModel, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []crm.WinModel
	for i := len(s.models) - 1; i >= 0 && len(out) < limit; i-- {
		out = append(out, s.models[i])
	}
	return out, nil
}
