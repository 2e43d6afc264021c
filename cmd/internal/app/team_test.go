package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"html"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/bot/slack"
	"github.com/voronka/voronka/bot/slack/slackfake"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
	"github.com/voronka/voronka/storage/postgres/postgrestest"
)

// teamConfig is the fixture's team (postgrestest.StatsFixtureTeam): Anna,
// a head reading in Moscow time, and two reps; the deployment's own zone
// is Moscow too, for the digest.
const teamConfig = `timezone: Europe/Moscow
language: en
team:
  - {name: Anna, role: head, telegram_id: 9001, slack_id: UANNA, time_zone: Europe/Moscow}
  - {name: Boris, role: rep, telegram_id: 9002, slack_id: UBORIS}
  - {name: Vera, role: rep, telegram_id: 9003, slack_id: UVERA}
routing:
  sla_sweep: "0 0 1 1 *"
  warm_digest: "0 0 1 1 *"
stats:
  daily_digest: "0 0 1 1 *"
`

type teamBundle struct {
	*bundle
	sl    *slackfake.Server
	clock *fakeClock
	fx    postgrestest.StatsFixture
}

// setupTeam is an App with Telegram and Slack on the stats fixture, its
// clock at the fixture's now.
func setupTeam(t *testing.T) *teamBundle {
	t.Helper()
	sl := slackfake.NewServer(t)
	clock := &fakeClock{t: postgrestest.StatsFixtureNow}
	b := setupWithDeps(t, teamConfig, map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": slackSecret,
		"SLACK_SALES_CHANNEL": "CSALES", "SLACK_API_URL": sl.URL(),
	}, clock)
	fx := postgrestest.SeedStatsFixture(t, b.db)
	return &teamBundle{bundle: b, sl: sl, clock: clock, fx: fx}
}

// ask sends a command as user in their private chat and returns what the
// bot sent there in answer: the texts and the files.
func (b *teamBundle) ask(user int64, text string) ([]string, []telegramtest.Call) {
	b.t.Helper()
	before, beforeFiles := len(b.tg.Sent(user)), len(b.tg.Files(user))
	b.say(telegramtest.Text(user, user, text))
	var texts []string
	for _, c := range b.tg.Sent(user)[before:] {
		texts = append(texts, c.Text)
	}
	return texts, b.tg.Files(user)[beforeFiles:]
}

// slash posts "/voronka <text>" signed as Slack does and returns the status
// and the ephemeral text, unescaped.
func (b *teamBundle) slash(user, text string, at time.Time, sign bool) (int, string) {
	b.t.Helper()
	return b.postSlash(slashForm(user, text), at, sign)
}

// slashForm is one invocation of "/voronka <text>", with its own
// trigger_id and response_url as Slack makes them.
func slashForm(user, text string) []byte {
	n := strconv.FormatInt(time.Now().UnixNano(), 10)
	return []byte(url.Values{"command": {"/voronka"}, "text": {text}, "user_id": {user}, "channel_id": {"CGENERAL"},
		"team_id": {slackfake.TeamID}, "response_url": {"https://hooks.slack.com/commands/" + n},
		"trigger_id": {n + ".7384749.8088930838d88f008e0"}}.Encode())
}

// postSlash posts a slash command's body, signed at at when sign is set.
func (b *teamBundle) postSlash(body []byte, at time.Time, sign bool) (int, string) {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.srv.URL+"/slack/commands", bytes.NewReader(body))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if sign {
		for k, v := range slack.Sign(slackSecret, body, at) {
			req.Header[k] = v
		}
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	var out struct{ Text string }
	if resp.StatusCode == http.StatusOK {
		require.NoError(b.t, json.NewDecoder(resp.Body).Decode(&out))
	}
	return resp.StatusCode, html.UnescapeString(out.Text)
}

// TestTeamStatsInTelegramAndSlack: /stats for 16-22 Nov in Moscow time,
// every figure as worked out by hand from the fixture (see
// postgrestest/stats.go and the store's tests), the same text in both
// channels.
func TestTeamStatsInTelegramAndSlack(t *testing.T) {
	t.Parallel()
	b := setupTeam(t)
	texts, files := b.ask(9001, "/stats 2026-11-16..2026-11-22")
	require.Len(t, texts, 1)
	require.Empty(t, files)
	tg := texts[0]
	for _, line := range []string{
		"📊 Stats · 2026-11-16..2026-11-22 · 16–22 Nov 2026",
		"(Europe/Moscow time)",
		"compared with 9–15 Nov 2026",
		"New leads: 7 (prev 3, +133%)",
		"Qualified: 4 (prev 1, +300%)",
		"Hot: 2 (prev 1, +100%)",
		"Contacted: 2 (prev 1, +100%)",
		"Won: 2 (prev 1, +100%)",
		"Lost: 2 (prev 0)",
		"Revenue: 150\u202f000 (prev 20\u202f000, +650%)",
		"Lead → qualified: 43% (3/7)",
		"Qualified → sale: 67% (2/3)",
		"Sale → repeat sale: 50% (1/2) of the period's sales",
		"Median time to first contact: 40m (prev 30m)",
	} {
		require.Contains(t, tg+"\n", line+"\n")
	}
	require.NotContains(t, tg, "Your leads")

	status, sl := b.slash("UANNA", "stats 2026-11-16..2026-11-22", b.clock.Now(), true)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, tg, sl, "Slack shows what Telegram shows")

	// Unsigned or stale: refused, nothing answered or logged.
	status, _ = b.slash("UANNA", "stats", b.clock.Now(), false)
	require.Equal(t, http.StatusUnauthorized, status)
	status, _ = b.slash("UANNA", "stats", b.clock.Now().Add(-10*time.Minute), true)
	require.Equal(t, http.StatusUnauthorized, status)

	// A rep: the team's figures and their own.
	texts, _ = b.ask(9002, "/stats 2026-11-16..2026-11-22")
	require.Contains(t, texts[0], "New leads: 7 (prev 3, +133%)")
	require.Contains(t, texts[0], "Your leads:\nNew leads 2 · contacted 1 · won 2 · lost 0\nRevenue 150\u202f000 · first contact 20m")

	require.Equal(t, 3, b.count(`SELECT count(*) FROM staff_log WHERE command = 'stats' AND outcome = 'ok'`))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM staff_log WHERE manager = 'Anna' AND channel = 'slack' AND args = '2026-11-16..2026-11-22'`))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM staff_log WHERE manager = 'Boris' AND channel = 'telegram'`))
}

// TestTeamCustomerLearnsNothing: a customer's /stats goes to the
// customers' flow, which answers with its help; no figure, no log line.
// An outsider in Slack gets a polite refusal.
func TestTeamCustomerLearnsNothing(t *testing.T) {
	t.Parallel()
	b := setupTeam(t)
	texts, files := b.ask(555, "/stats 30d")
	require.Len(t, texts, 1)
	require.Empty(t, files)
	require.NotContains(t, texts[0], "New leads")
	require.NotContains(t, texts[0], "Stats")
	for _, cmd := range []string{"/funnel", "/export", "/lead 1", "/find anna"} {
		texts, files = b.ask(555, cmd)
		require.NotContains(t, strings.Join(texts, "\n"), "Anna Petrova", cmd)
		require.Empty(t, files, cmd)
	}
	require.Equal(t, 0, b.count(`SELECT count(*) FROM staff_log`))
	_, text := b.slash("USTRANGER", "stats", b.clock.Now(), true)
	require.Contains(t, text, "sales team only")
	require.Equal(t, 0, b.count(`SELECT count(*) FROM staff_log`))
}

// TestTeamFunnelWithChart: the text's figures, and a PNG chart that is the
// same picture in Telegram and Slack (where it lands in the manager's
// direct messages).
func TestTeamFunnelWithChart(t *testing.T) {
	t.Parallel()
	b := setupTeam(t)
	texts, files := b.ask(9001, "/funnel 2026-11-16..2026-11-22")
	require.Len(t, texts, 1)
	f := texts[0]
	for _, line := range []string{
		"Leads: 7",
		"Started dialogue: 5 · 71% of the previous · 71% of all",
		"Reached qualified: 3 · 60% of the previous · 43% of all",
		"Reached contact: 3 · 100% of the previous · 43% of all",
		"Reached a sale: 2 · 67% of the previous · 29% of all",
		"Closed as lost: 2 (the customer cancelled the dialogue: 1; too expensive or no budget: 1)",
		"Need: 2 of 7 stopped (29%)",
		"Budget: 1 of 5 stopped (20%)",
		"Timeline: 1 of 3 stopped (33%)",
		"Company size: 0 of 2 stopped (0%)",
		"Email: 0 of 1 stopped (0%)",
	} {
		require.Contains(t, f+"\n", line+"\n")
	}
	require.Len(t, files, 1)
	require.Equal(t, "sendPhoto", files[0].Method)
	require.Equal(t, "funnel.png", files[0].FileName)
	img, err := png.Decode(bytes.NewReader(files[0].File))
	require.NoError(t, err)
	require.Greater(t, img.Bounds().Dx(), 600)

	_, sl := b.slash("UANNA", "funnel 2026-11-16..2026-11-22", b.clock.Now(), true)
	require.Equal(t, f, sl)
	waitCalls(t, b.sl, "files.completeUploadExternal", 1)
	ups := b.sl.Uploads()
	require.Len(t, ups, 1)
	require.Equal(t, "DUANNA", ups[0].Channel, "the manager's direct messages, not the channel typed in")
	require.Equal(t, files[0].File, ups[0].Data, "the same picture")
}

func TestTeamNPSTeamSourcesCohorts(t *testing.T) {
	t.Parallel()
	b := setupTeam(t)
	texts, files := b.ask(9001, "/nps 2026-11-16..2026-11-22")
	n := texts[0]
	for _, line := range []string{
		"NPS: +33 (3 responses)",
		"Promoters (9-10): 2 · 67%",
		"Passives (7-8): 0 · 0%",
		"Detractors (0-6): 1 · 33%",
		"9 Nov: −100 (1)",
		"16 Nov: +33 (3)",
		"#" + itoa(b.fx.Leads["L1"]) + " · 10 · 19 Nov: «Great»",
		"#" + itoa(b.fx.Leads["L10"]) + " · 6 · 16 Nov: «slow delivery»",
	} {
		require.Contains(t, n, line)
	}
	require.Len(t, files, 1)
	_, err := png.Decode(bytes.NewReader(files[0].File))
	require.NoError(t, err)

	texts, _ = b.ask(9001, "/team 2026-11-16..2026-11-22")
	tm := texts[0]
	require.Contains(t, tm, "Boris\nopen 0 · claimed 2 · contacted 1 · won 2 · revenue 150\u202f000\nto claim 3m 30s · claim to contact 16m · SLA breaches 0\n")
	require.Contains(t, tm, "Vera\nopen 1 · claimed 2 · contacted 1 · won 0 · revenue 0\nto claim 6h 3m · claim to contact 50m · SLA breaches 1\n")
	require.Contains(t, tm, "Team\nopen 1 · claimed 4 · contacted 2 · won 2 · revenue 150\u202f000\nto claim 7m · claim to contact 33m · SLA breaches 1\n")
	texts, _ = b.ask(9003, "/team 2026-11-16..2026-11-22")
	require.NotContains(t, texts[0], "Boris", "a rep sees their own row and the total")

	texts, _ = b.ask(9001, "/sources 2026-11-16..2026-11-22")
	require.Contains(t, texts[0], "google / bf: 3 leads · reached qualified 100% · reached a sale 2 (67%) · their revenue 150\u202f000\n"+
		"direct: 2 leads · reached qualified 0% · reached a sale 0 (0%) · their revenue 0\n"+
		"telegram: 1 lead · reached qualified 0% · reached a sale 0 (0%) · their revenue 0\n"+
		"vk / spring: 1 lead · reached qualified 0% · reached a sale 0 (0%) · their revenue 0\n"+
		"Total: 7 leads · reached qualified 43% · reached a sale 2 (29%) · their revenue 150\u202f000")

	texts, files = b.ask(9001, "/cohorts 2026-11-10..2026-11-20")
	require.Contains(t, texts[0], "9 Nov (3 leads): 33% · 33% · 33%\n16 Nov (7 leads): 29% · 29%")
	require.Len(t, files, 1)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestTeamLeadFindExport: the card and timeline, a rep refused another's
// lead, /find, and the CSV as a document.
func TestTeamLeadFindExport(t *testing.T) {
	t.Parallel()
	b := setupTeam(t)
	L := b.fx.Leads
	texts, _ := b.ask(9003, "/lead "+itoa(L["L3"]))
	require.Contains(t, texts[0], "Lead #"+itoa(L["L3"])+" · lost · hot · score 50\nAnnabel Lee · @annabel · annabel@example.org\n")
	require.Contains(t, texts[0], "Manager: Vera · claimed 17 Nov 12:16 · contacted 17 Nov 13:06", "Moscow time")
	require.Contains(t, texts[0], "Lost: too expensive or no budget")
	require.Contains(t, texts[0], "Timeline:\n17 Nov 12:00 created (google)\n17 Nov 12:01 answered Need (+10)\n",
		"an answer's line comes from its answers row, with its score")
	texts, _ = b.ask(9002, "/lead "+itoa(L["L3"]))
	require.Equal(t, []string{"Lead #" + itoa(L["L3"]) + " is not among your leads."}, texts)
	texts, _ = b.ask(9002, "/lead 999999")
	require.Equal(t, []string{"Lead #999999 is not among your leads."}, texts, "a lead that does not exist reads the same")
	texts, _ = b.ask(9001, "/lead x")
	require.Equal(t, []string{"Usage: /lead <id>"}, texts)
	require.Equal(t, 1, b.count(`SELECT count(*) FROM staff_log WHERE command = 'lead' AND lead_id = $1 AND outcome = 'not_found'`, L["L3"]))

	texts, _ = b.ask(9001, "/find +7 916 123-45-67")
	require.Contains(t, texts[0], "🔎 2 leads for «+7 916 123-45-67» (newest first):\n#"+itoa(L["L7"])+" · Anna Petrova · @anna_p · +79161234567 · anna@example.com · won · Boris · 21 Nov 2026\n")

	texts, files := b.ask(9001, "/export 2026-11-16..2026-11-22")
	require.Empty(t, texts)
	require.Len(t, files, 1)
	doc := files[0]
	require.Equal(t, "sendDocument", doc.Method)
	require.Equal(t, "leads-2026-11-16--2026-11-22.xlsx", doc.FileName)
	require.Equal(t, "📎 Export · 2026-11-16..2026-11-22 · 16–22 Nov 2026: 7 leads", doc.Text)
	require.Equal(t, "PK", string(doc.File[:2]), "an .xlsx is a zip")

	texts, files = b.ask(9001, "/export 2026-11-16..2026-11-22 csv")
	require.Empty(t, texts)
	require.Len(t, files, 1)
	doc = files[0]
	require.Equal(t, "leads-2026-11-16--2026-11-22.csv", doc.FileName)
	rows, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(doc.File, []byte("\uFEFF")))).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 8)
	require.Equal(t, "Lead #", rows[0][0])
	require.Equal(t, []string{itoa(L["L1"]), "2026-11-16 00:00", "won", "hot"}, rows[1][:4], "the first minute of the period, in Moscow time")
	require.Contains(t, rows[1], "Boris")
	require.Contains(t, rows[1], "100000.00")
	require.Equal(t, itoa(L["L8"]), rows[7][0])

	texts, _ = b.ask(9001, "/export lastweek")
	require.Contains(t, texts[0], "Usage: /export [period] [csv]\nperiod: today, yesterday, 7d")
}

// TestTeamSlashCommandReplayedRunsOnce: a signed /slack/commands request
// replayed within the signature's window is answered without running
// again: one staff_log row, one CSV uploaded.
func TestTeamSlashCommandReplayedRunsOnce(t *testing.T) {
	t.Parallel()
	b := setupTeam(t)
	body := slashForm("UANNA", "export 2026-11-16..2026-11-22")
	status, text := b.postSlash(body, b.clock.Now(), true)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, text, "Export")
	status, text = b.postSlash(body, b.clock.Now().Add(time.Minute), true)
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "This command was already received and answered. Type it again to run it anew.", text)
	require.Equal(t, 1, b.count(`SELECT count(*) FROM staff_log WHERE command = 'export' AND channel = 'slack'`))
	waitCalls(t, b.sl, "files.completeUploadExternal", 1)
	time.Sleep(200 * time.Millisecond) // a second upload, were there one, would follow at once
	require.Len(t, b.sl.Uploads(), 1)
}

// TestTeamDigest: the daily digest reaches the head in Telegram and the
// sales channel in Slack with today's figures (23 Nov in Moscow: L9, which
// arrived at its first minute).
func TestTeamDigest(t *testing.T) {
	t.Parallel()
	b := setupTeam(t)
	require.NoError(t, b.app.Stats().Digest(context.Background(), b.clock.Now(), b.app.teamDesk))
	sent := b.tg.Sent(9001)
	require.Len(t, sent, 1)
	require.Contains(t, sent[0].Text, "🗓 Daily digest · today · 23 Nov 2026")
	require.Contains(t, sent[0].Text, "New leads: 1 (prev 1, +0%)")
	require.Empty(t, b.tg.Sent(9002), "reps get no digest")
	post := waitCalls(t, b.sl, "chat.postMessage", 1)[0]
	require.Equal(t, "CSALES", post.ChannelID)
	require.Equal(t, sent[0].Text, html.UnescapeString(post.Text))
	require.Equal(t, 1, b.count(`SELECT count(*) FROM staff_log WHERE channel = 'digest' AND outcome = 'ok'`))
}

// TestFiguresOneNameOneNumber: /stats, /funnel and /team for the same
// period, on the stats fixture, in both team languages: a figure's name
// that appears in more than one of them names the same number in each
// (the period's events in /stats and /team, the period's leads by the
// furthest stage in /funnel under names of their own). /team is read on
// its total, the team's own figures.
func TestFiguresOneNameOneNumber(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{bot.LangEN, bot.LangRU} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			b := setupTeamIn(t, lang)
			const period = "2026-11-16..2026-11-22"
			ask := func(cmd string) string {
				texts, _ := b.ask(9001, "/"+cmd+" "+period)
				require.NotEmpty(t, texts)
				return texts[0]
			}
			team := ask("team")
			total := "\n" + bot.TeamText(lang, "rep.team") + "\n"
			require.Contains(t, team, total)
			reports := map[string]map[string]string{
				"stats":  reportFigures(ask("stats")),
				"funnel": reportFigures(ask("funnel")),
				"team":   reportFigures(team[strings.LastIndex(team, total):]),
			}
			seen := map[string]string{} // name → "report: value"
			shared := 0
			for _, name := range []string{"stats", "funnel", "team"} {
				for label, v := range reports[name] {
					if was, ok := seen[label]; ok {
						shared++
						_, wasValue, _ := strings.Cut(was, ": ")
						require.Equal(t, wasValue, v, "%q is %s in %s", label, was, name)
						continue
					}
					seen[label] = name + ": " + v
				}
			}
			// The figures both count: the period's contacts, sales, revenue.
			for _, key := range []string{"rep.contacted", "rep.won", "rep.revenue"} {
				label := strings.ToLower(bot.TeamText(lang, key))
				require.Contains(t, reports["stats"], label)
				require.Contains(t, reports["team"], label, "/team names %s as /stats does", key)
			}
			require.GreaterOrEqual(t, shared, 3)
			// /funnel's leads that reached contact are more than the
			// period's contacts here, under a name of their own.
			reached := strings.ToLower(bot.TeamText(lang, "rep.f.contacted"))
			require.Equal(t, "3", reports["funnel"][reached])
			require.Equal(t, "2", reports["stats"][strings.ToLower(bot.TeamText(lang, "rep.contacted"))])
			require.NotContains(t, reports["stats"], reached)
		})
	}
}

// figureRE is a figure of a report: a name, then a whole number (not a
// share, a duration or a date), at the start of a line or of a " · "
// segment.
var figureRE = regexp.MustCompile(`^\s*(\p{L}[^:\d]*?):?\s+(\d[\d\x{202f}]*)(?:$|[\s(])`)

// reportFigures are the named whole numbers of a report, by lower-cased
// name; the title lines are left out.
func reportFigures(text string) map[string]string {
	out := map[string]string{}
	lines := strings.Split(text, "\n")
	for _, line := range lines[min(2, len(lines)):] {
		for _, seg := range strings.Split(line, " · ") {
			if m := figureRE.FindStringSubmatch(seg); m != nil {
				out[strings.ToLower(strings.TrimSpace(m[1]))] = m[2]
			}
		}
	}
	return out
}

// setupTeamIn is setupTeam with the team's language lang.
func setupTeamIn(t *testing.T, lang string) *teamBundle {
	t.Helper()
	sl := slackfake.NewServer(t)
	clock := &fakeClock{t: postgrestest.StatsFixtureNow}
	b := setupWithDeps(t, strings.Replace(teamConfig, "language: en", "language: "+lang, 1), map[string]string{
		"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": slackSecret,
		"SLACK_SALES_CHANNEL": "CSALES", "SLACK_API_URL": sl.URL(),
	}, clock)
	fx := postgrestest.SeedStatsFixture(t, b.db)
	return &teamBundle{bundle: b, sl: sl, clock: clock, fx: fx}
}
