package bot

import (
	"strings"
	"testing"
	"time"

	"github.com/voronka/voronka/crm"
)

// TestCellDefusesFormulas: what a customer typed never runs in a
// spreadsheet, while phones keep their "+".
func TestCellDefusesFormulas(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"http://x\")": "'=HYPERLINK(\"http://x\")",
		"+cmd":                     "'+cmd",
		"-2+3":                     "'-2+3",
		"@SUM(A1)":                 "'@SUM(A1)",
		"Anna":                     "Anna",
		"":                         "",
	} {
		if got := cell(in); got != want {
			t.Errorf("cell(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRenderLeadOfForgottenCustomer: /lead says the customer was
// forgotten, as the cards do, and writes the sale as the cards do.
func TestRenderLeadOfForgottenCustomer(t *testing.T) {
	now := time.Date(2026, 3, 2, 11, 17, 0, 0, time.UTC)
	card := &crm.LeadCard{
		Lead:    crm.Lead{ID: 42, Stage: crm.StageWon, Temperature: crm.Hot, Score: 70, CreatedAt: now.Add(-time.Hour)},
		Contact: crm.Contact{ID: 7},
		Amount:  1500.5, Erased: true, ErasedNote: "Данные клиента удалены по его просьбе", Now: now,
	}
	got := renderLead("en", &crm.LeadView{Card: card}, time.UTC, func(s string) string { return s })
	for _, want := range []string{
		"Lead #42 · won · hot · score 70\n🔒 Данные клиента удалены по его просьбе\n",
		"Sale: 1\u202f500.50",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("renderLead = %q, want it to contain %q", got, want)
		}
	}
}
