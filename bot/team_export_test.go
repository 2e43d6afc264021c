package bot_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/flows"
)

// exportStore serves Export from rows; any other store method panics
// (the nil embedded interface), so the test shows what /export reads.
type exportStore struct {
	crm.StatsStore
	rows []crm.ExportRow
}

func (s exportStore) Export(_ context.Context, _ crm.Scope, _, _ time.Time, _ int, fn func(crm.ExportRow) error) error {
	for _, r := range s.rows {
		if err := fn(r); err != nil {
			return err
		}
	}
	return nil
}

func (exportStore) LogTeamCommand(context.Context, crm.TeamCommand) error { return nil }

type exportTeam []crm.Manager

func (t exportTeam) ManagerByTelegram(id int64) (crm.Manager, bool) {
	for _, m := range t {
		if m.TelegramID == id {
			return m, true
		}
	}
	return crm.Manager{}, false
}
func (exportTeam) ManagerBySlack(string) (crm.Manager, bool) { return crm.Manager{}, false }

type discard struct{}

func (discard) Send(context.Context, bot.Message) (int, error)           { return 1, nil }
func (discard) AnswerCallback(context.Context, bot.CallbackAnswer) error { return nil }

// exportSetup is a Team over two leads of the default flow: one won with
// an NPS answer, one lost mid-dialogue. Anna reads Russian (the team's
// default), Boris English.
func exportSetup(t *testing.T) (*bot.Team, crm.Manager, crm.Manager) {
	t.Helper()
	f, err := flows.Load("../configs/flows/qualify.yaml")
	require.NoError(t, err)
	msk, err := time.LoadLocation("Europe/Moscow")
	require.NoError(t, err)
	anna := crm.Manager{ID: 1, Name: "Anna Head", Role: crm.RoleHead, TelegramID: 1001, TimeZone: "Europe/Moscow"}
	boris := crm.Manager{ID: 2, Name: "Boris Rep", Role: crm.RoleHead, TelegramID: 1002, Language: "en"}
	created := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
	won := created.Add(26 * time.Hour)
	nine := 9
	rows := []crm.ExportRow{
		{
			Lead: crm.Lead{ID: 41, FlowID: "qualify", Stage: crm.StageWon, Temperature: crm.Hot, Score: 110, CreatedAt: created,
				Attribution: crm.Attribution{Source: "yandex", Campaign: "bf"}},
			Contact:   crm.Contact{FirstName: "Анна", LastName: "Петрова", Phone: "+79161234567", Language: "ru"},
			ManagerID: 2, WonAt: &won, Amount: 1500000,
			Answers: []crm.Answer{{StepID: "need", Value: "buy"}, {StepID: "budget", Value: "1500000"},
				{StepID: "timeline", Value: "week"}, {StepID: "company_size", Value: ""}},
			NPS: &nine, NPSComment: "Быстро ответили",
		},
		{
			Lead:    crm.Lead{ID: 42, FlowID: "qualify", Stage: crm.StageLost, Temperature: crm.Cold, CreatedAt: created.Add(time.Hour), LostReason: "=cmd"},
			Contact: crm.Contact{FirstName: "Bob", Language: "en"},
			Answers: []crm.Answer{{StepID: "need", Value: "pricing"}},
		},
	}
	team := []crm.Manager{anna, boris}
	clock := crm.ClockFunc(func() time.Time { return time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC) })
	stats := crm.NewStats(exportStore{rows: rows}, nil, nil, team, clock, msk)
	s, err := bot.NewTeam(bot.TeamConfig{Stats: stats, Team: exportTeam(team), Sender: discard{},
		Flows: map[string]*flows.Flow{"qualify": f}, Language: "ru"})
	require.NoError(t, err)
	return s, anna, boris
}

func exportDoc(t *testing.T, s *bot.Team, m crm.Manager, args string) bot.Message {
	t.Helper()
	msgs := s.Answer(context.Background(), m, "telegram", "export", args)
	require.Len(t, msgs, 1, "%+v", msgs)
	require.NotEmpty(t, msgs[0].Document, msgs[0].Text)
	return msgs[0]
}

// TestExportXLSX: /export sends a workbook that excelize reads back with a
// column per flow step, the answers as the team reads them, the NPS, the
// stage dates as dates, and headers in the reader's language.
func TestExportXLSX(t *testing.T) {
	t.Parallel()
	s, anna, boris := exportSetup(t)

	doc := exportDoc(t, s, anna, "7d")
	assert.Equal(t, "leads-2026-11-17--2026-11-23.xlsx", doc.DocumentName)
	assert.Equal(t, "📎 Выгрузка · 7d · 17–23 ноября 2026: 2 лида", doc.Text)
	x, err := excelize.OpenReader(bytes.NewReader(doc.Document))
	require.NoError(t, err)
	defer x.Close()
	assert.Equal(t, []string{"Лиды"}, x.GetSheetList())
	rows, err := x.GetRows("Лиды")
	require.NoError(t, err)
	require.Len(t, rows, 3)
	head := rows[0]
	for _, col := range []string{"Лид №", "Создан", "Этап", "Менеджер", "Источник", "Кампания", "Продажа", "Сумма",
		"Запрос", "Бюджет", "Сроки", "Роль в решении", "Размер компании", "Телефон", "Комментарий", "Вопрос в поддержку",
		"Оценка NPS (0–10)", "Комментарий к оценке"} {
		assert.Contains(t, head, col)
	}
	for _, h := range head {
		// Email, Telegram and NPS are what Russian teams call them too.
		plain := strings.NewReplacer("Email", "", "Telegram", "", "NPS", "").Replace(h)
		assert.NotRegexp(t, "[A-Za-z]{2,}", plain, "an English header for a Russian team: %q", h)
	}
	get := func(row []string, col string) string {
		for i, h := range head {
			if h == col && i < len(row) {
				return row[i]
			}
		}
		return ""
	}
	won := rows[1]
	assert.Equal(t, "41", get(won, "Лид №"))
	assert.Equal(t, "продажа", get(won, "Этап"))
	assert.Equal(t, "Хочу купить", get(won, "Запрос"))
	assert.Equal(t, "1500000", get(won, "Бюджет"))
	assert.Equal(t, "На этой неделе", get(won, "Сроки"))
	assert.Equal(t, "9", get(won, "Оценка NPS (0–10)"))
	assert.Equal(t, "Быстро ответили", get(won, "Комментарий к оценке"))
	assert.Equal(t, "Boris Rep", get(won, "Менеджер"))
	assert.Equal(t, "21.11.2026 14:30", get(won, "Продажа"), "Moscow wall clock, a date cell")
	assert.Equal(t, "20.11.2026 12:30", get(won, "Создан"))
	assert.Equal(t, "+79161234567", get(won, "Телефон"))
	assert.Equal(t, "Узнать цены", get(rows[2], "Запрос"))
	assert.Equal(t, "=cmd", get(rows[2], "Причина отказа"), "a string cell in a workbook is never a formula")
	cellRef, err := excelize.CoordinatesToCellName(2, 2)
	require.NoError(t, err)
	typ, err := x.GetCellType("Лиды", cellRef)
	require.NoError(t, err)
	assert.NotEqual(t, excelize.CellTypeSharedString, typ, "Создан is a date, not text")

	doc = exportDoc(t, s, boris, "7d")
	x2, err := excelize.OpenReader(bytes.NewReader(doc.Document))
	require.NoError(t, err)
	defer x2.Close()
	rows, err = x2.GetRows("Leads")
	require.NoError(t, err)
	assert.Contains(t, rows[0], "Budget")
	assert.Contains(t, rows[0], "NPS score (0–10)")
	for _, h := range rows[0] {
		assert.NotRegexp(t, "[А-Яа-яЁё]", h, "a Russian header for an English reader")
	}
	assert.Contains(t, rows[1], "I want to buy")
	assert.Equal(t, "📎 Export · 7d · 17–23 Nov 2026: 2 leads", doc.Text)
}

// TestExportCSVSeparator: the CSV of a Russian-speaking reader is split
// by ";", which Excel in a Russian locale reads into columns; an English
// one by ",".
func TestExportCSVSeparator(t *testing.T) {
	t.Parallel()
	s, anna, boris := exportSetup(t)
	for _, c := range []struct {
		m     crm.Manager
		sep   rune
		first string
	}{{anna, ';', "Лид №"}, {boris, ',', "Lead #"}} {
		doc := exportDoc(t, s, c.m, "7d csv")
		assert.True(t, strings.HasSuffix(doc.DocumentName, ".csv"))
		body := bytes.TrimPrefix(doc.Document, []byte("\uFEFF"))
		r := csv.NewReader(bytes.NewReader(body))
		r.Comma = c.sep
		rows, err := r.ReadAll()
		require.NoError(t, err)
		require.Len(t, rows, 3)
		assert.Greater(t, len(rows[0]), 30, "split into columns")
		assert.Equal(t, c.first, rows[0][0])
		assert.Equal(t, "41", rows[1][0])
		assert.Contains(t, rows[1], "1500000.00")
		assert.Contains(t, rows[2], "'=cmd", "a formula stays text")
	}
}
