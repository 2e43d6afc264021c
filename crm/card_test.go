package crm

import (
	"context"
	"strings"
	"testing"
	"time"
)

// eraseStore is the part of a SalesStore a card update reads.
type eraseStore struct {
	SalesStore
	card *LeadCard
	refs map[string]string
}

func (s *eraseStore) Card(context.Context, int64) (*LeadCard, int64, error) {
	c := *s.card
	c.Answers = append([]CardAnswer(nil), s.card.Answers...)
	return &c, 0, nil
}

func (s *eraseStore) CardWithRefs(ctx context.Context, id int64) (*LeadCard, int64, map[string]string, error) {
	c, assignee, _ := s.Card(ctx, id)
	return c, assignee, s.refs, nil
}

// updates records the cards a notifier was asked to redraw.
type updates struct {
	SalesNotifier
	cards []*LeadCard
}

func (u *updates) Channel() string { return "slack" }

func (u *updates) UpdateCard(_ context.Context, _ string, c *LeadCard) error {
	u.cards = append(u.cards, c)
	return nil
}

type noteLabels struct{}

func (noteLabels) Label(_ *Lead, a []CardAnswer) []CardAnswer { return a }
func (noteLabels) ErasedNote(*Lead) string {
	return "Данные клиента удалены по его просьбе"
}

// TestCardOfForgottenCustomer: a card built for a lead whose customer
// said /forget afterwards carries no personal field and says why, in the
// labeller's language; the same customer's lead begun after the erasure
// (they wrote again) is theirs anew.
func TestCardOfForgottenCustomer(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 5, 4, 12, 0, 0, 0, time.UTC)
	erased := now.Add(-time.Hour)
	store := &eraseStore{refs: map[string]string{"slack": "C1:1.0"}, card: &LeadCard{
		Lead: Lead{ID: 42, Stage: StageWon, Score: 80, Temperature: Hot, CreatedAt: now.Add(-48 * time.Hour)},
		Contact: Contact{ID: 7, TelegramUserID: 555, ChatID: 555, FirstName: "Ivan", LastName: "Petrov",
			Username: "ivanp", Phone: "+79991234567", Email: "ivan@example.com", Language: "ru", ErasedAt: &erased},
		Answers: []CardAnswer{{Question: "need", Value: "buy", Score: 30}},
		Amount:  150000,
	}}
	for _, tt := range []struct {
		name   string
		labels Labeler
		note   string
	}{
		{"localized", noteLabels{}, "Данные клиента удалены по его просьбе"},
		{"default", nil, ErasedCustomerNote},
	} {
		n := &updates{}
		s := NewSales(store, SalesPolicy{}, nil, []SalesNotifier{n}, nil, tt.labels, ClockFunc(func() time.Time { return now }))
		if err := s.Run(context.Background(), Job{Kind: JobCardUpdate, LeadID: 42, Key: "erased@1"}); err != nil {
			t.Fatal(err)
		}
		if len(n.cards) != 1 {
			t.Fatalf("%s: %d updates, want 1", tt.name, len(n.cards))
		}
		c := n.cards[0]
		if !c.Erased || c.ErasedNote != tt.note {
			t.Errorf("%s: erased %v, note %q; want true, %q", tt.name, c.Erased, c.ErasedNote, tt.note)
		}
		k := c.Contact
		if k.Name() != "" || k.Username != "" || k.Phone != "" || k.Email != "" || k.TelegramUserID != 0 || k.ChatID != 0 {
			t.Errorf("%s: the erased card still has %+v", tt.name, k)
		}
		if c.Lead.ID != 42 || c.Lead.Stage != StageWon || c.Amount != 150000 || len(c.Answers) != 1 {
			t.Errorf("%s: the card lost what is not personal: %+v", tt.name, c)
		}
		if strings.Contains(strings.ToLower(c.ErasedNote), "ivan") {
			t.Errorf("%s: %q", tt.name, c.ErasedNote)
		}
	}

	// A lead begun after the erasure shows the customer as they are now.
	store.card.Lead.CreatedAt = now.Add(-time.Minute)
	n := &updates{}
	s := NewSales(store, SalesPolicy{}, nil, []SalesNotifier{n}, nil, noteLabels{}, ClockFunc(func() time.Time { return now }))
	if err := s.Run(context.Background(), Job{Kind: JobCardUpdate, LeadID: 42}); err != nil {
		t.Fatal(err)
	}
	if c := n.cards[0]; c.Erased || c.ErasedNote != "" || c.Contact.Phone != "+79991234567" {
		t.Errorf("a new lead's card is erased: %+v", c)
	}
}
