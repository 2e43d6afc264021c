package app

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot/telegram/telegramtest"
)

// buttonsCampaign has one button of each kind: start the qualify flow,
// call a manager, record a choice.
const buttonsCampaign = `id: spring
name: Spring offer
segment: 'stage in ["lost", "qualified"]'
trigger: {cron: "0 11 1 * *"}
goal: {kind: reply, within: 3d}
messages:
  - text: {ru: "{name}, весеннее предложение!", en: "{name}, our spring offer!"}
    buttons:
      - {text: {ru: "Подобрать", en: "Find me one"}, flow: qualify}
      - {text: {ru: "Позовите менеджера", en: "Call a manager"}, manager: true}
      - {text: {ru: "Интересно", en: "Interesting"}, choice: interested}
`

// setupCampaignsWithGroup is setupCampaigns with the Telegram sales
// group, where hand-offs reach the team.
func setupCampaignsWithGroup(t *testing.T, at time.Time, files map[string]string) (*bundle, *fakeClock) {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	clock := &fakeClock{t: at}
	b := setupWithDeps(t, engagementConfig+fmt.Sprintf("campaigns: {dir: %q, frequency_cap: 1/3d, schedule: \"0 0 1 1 *\"}\n", dir),
		map[string]string{"TELEGRAM_SALES_CHAT_ID": fmt.Sprint(salesChat)}, clock)
	b.serving(clock)
	return b, clock
}

// sendID is the id of chat's send of campaign.
func (b *bundle) sendID(campaign string, chat int64) int64 {
	b.t.Helper()
	var id int64
	require.NoError(b.t, b.db.Pool.QueryRow(context.Background(), `SELECT s.id FROM campaign_sends s JOIN contacts c ON c.id = s.contact_id
		WHERE s.campaign = $1 AND c.chat_id = $2`, campaign, chat).Scan(&id))
	return id
}

// callbackAnswers are the texts of the answers to button presses.
func (b *bundle) callbackAnswers() []string {
	var out []string
	for _, c := range b.tg.Calls() {
		if c.Method == "answerCallbackQuery" {
			out = append(out, c.Params["text"])
		}
	}
	return out
}

// TestCampaignButtons: a campaign message's buttons, pressed in Telegram
// through the webhook, start the flow (a new lead attributed to the
// campaign), hand the customer to the team (a hot lead's card in the
// sales group; a note under the card of a request already with the
// team; a dialogue in progress ends qualified hot) and record a choice;
// a press counts as the send's reply; a press of another customer's
// message or of a button that does not exist changes nothing.
func TestCampaignButtons(t *testing.T) {
	t.Parallel()
	noon := time.Date(2025, 3, 10, 12, 0, 0, 0, moscow)
	b, clock := setupCampaignsWithGroup(t, noon, map[string]string{"spring.yaml": buttonsCampaign})
	ctx := context.Background()
	const starter, caller, chooser, withTeam = 83001, 83002, 83003, 83004
	for _, chat := range []int64{starter, caller, chooser} {
		b.lostCustomer(chat, "ru", noon.Add(-40*24*time.Hour))
	}
	c, _ := b.lostCustomer(withTeam, "en", noon.Add(-40*24*time.Hour))
	var teamLead int64
	require.NoError(t, b.db.Pool.QueryRow(ctx, `INSERT INTO leads (contact_id, stage, temperature, score, flow_id, created_at, updated_at, qualified_at)
		VALUES ($1, 'qualified', 'warm', 35, 'qualify', $2, $2, $2) RETURNING id`, c, noon.Add(-time.Hour)).Scan(&teamLead))

	planned, err := b.app.campaigns.Fire(ctx, "spring", clock.Now(), "manual", false, 0)
	require.NoError(t, err)
	require.Len(t, planned, 4)
	for _, chat := range []int64{starter, caller, chooser, withTeam} {
		b.waitFor(func() bool {
			return b.sentTo(chat, "spring offer") == 1 || b.sentTo(chat, "весеннее предложение") == 1
		})
	}
	b.waitFor(func() bool { return b.count(`SELECT count(*) FROM campaign_sends WHERE status = 'sent'`) == 4 })
	msg := b.tg.Sent(starter)[0]
	sid := b.sendID("spring", starter)
	for n := range 3 {
		require.Contains(t, msg.ReplyMarkup, fmt.Sprintf(`"callback_data":"cmp:%d:%d"`, sid, n))
	}
	clock.Add(time.Hour)
	press := func(chat int64, n int) {
		t.Helper()
		u := telegramtest.Callback(chat, chat, 1, fmt.Sprintf("cmp:%d:%d", b.sendID("spring", chat), n))
		if chat == withTeam {
			u = en(u)
		}
		b.say(u)
	}

	// "Find me one": a new lead on the qualify flow, attributed to the
	// campaign, asks its first question.
	press(starter, 0)
	require.Contains(t, b.lastText(starter), "Что вас интересует?")
	l := b.lead(starter)
	require.Equal(t, "new", l.Stage)
	require.Equal(t, "campaign", l.Source)
	require.Equal(t, "spring", l.Campaign)
	require.Equal(t, "qualify", l.FlowID)
	// A manager, pressed in the middle of that dialogue: it ends there,
	// qualified hot, and the team gets the card.
	press(starter, 1)
	require.Contains(t, b.lastText(starter), "Передали ваш запрос менеджеру")
	l = b.lead(starter)
	require.Equal(t, "qualified", l.Stage)
	require.Equal(t, "hot", l.Temperature)
	starterLead := b.leadID(starter)

	// A manager from a lost customer: a new hot lead and its card.
	press(caller, 1)
	require.Contains(t, b.lastText(caller), "Передали ваш запрос менеджеру")
	l = b.lead(caller)
	require.Equal(t, "qualified", l.Stage)
	require.Equal(t, "hot", l.Temperature)
	require.Equal(t, "spring", l.Campaign)
	callerLead := b.leadID(caller)
	b.waitFor(func() bool {
		return b.count(`SELECT count(*) FROM lead_cards WHERE lead_id = ANY($1)`, []int64{starterLead, callerLead}) == 2
	})
	// The alert records the card, then marks the lead alerted.
	b.waitFor(func() bool {
		return b.count(`SELECT count(*) FROM leads WHERE id = ANY($1) AND alerted_at IS NOT NULL`, []int64{starterLead, callerLead}) == 2
	})

	// A manager from a customer whose request is with the team: a note
	// under its card, and the lead stays as it was.
	press(withTeam, 1)
	require.Contains(t, b.lastText(withTeam), "A manager has your request")
	b.waitFor(func() bool {
		for _, c := range b.tg.Sent(salesChat) {
			if strings.Contains(c.Text, "asked for a manager (campaign spring)") && strings.Contains(c.Text, fmt.Sprintf("#%d", teamLead)) {
				return true
			}
		}
		return false
	})
	require.Equal(t, 1, b.count(`SELECT count(*) FROM leads WHERE id = $1 AND stage = 'qualified' AND temperature = 'warm' AND score = 35`, teamLead))

	// A choice is stored on the send, and thanked for.
	press(chooser, 2)
	require.Contains(t, b.lastText(chooser), "Спасибо, ваш ответ записан")
	require.Equal(t, 1, b.count(`SELECT count(*) FROM campaign_sends WHERE id = $1 AND choice = 'interested' AND clicked_at IS NOT NULL`,
		b.sendID("spring", chooser)))

	// Another customer's message, a button that is not there, garbage:
	// the stale answer, nothing recorded.
	before := b.count(`SELECT count(*) FROM events WHERE kind = 'campaign_click'`)
	b.say(telegramtest.Callback(chooser, chooser, 1, fmt.Sprintf("cmp:%d:0", b.sendID("spring", caller))))
	b.say(telegramtest.Callback(chooser, chooser, 1, fmt.Sprintf("cmp:%d:7", b.sendID("spring", chooser))))
	b.say(telegramtest.Callback(chooser, chooser, 1, "cmp:x:y"))
	answers := b.callbackAnswers()
	for _, a := range answers[len(answers)-3:] {
		require.Equal(t, "На этот вопрос уже есть ответ.", a)
	}
	require.Equal(t, before, b.count(`SELECT count(*) FROM events WHERE kind = 'campaign_click'`))

	// Every press is its send's reply: /campaigns counts 4 of 4.
	boris, ok := b.app.sales.ManagerByTelegram(9002)
	require.True(t, ok)
	msgs := b.app.teamDesk.Answer(ctx, boris, "telegram", "campaigns", "")
	require.Len(t, msgs, 1)
	require.Contains(t, msgs[0].Text, "sent 4, delivered 4")
	require.Contains(t, msgs[0].Text, "replied 4 = 100.0%")
}
