package slack_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/bot/slack"
	"github.com/voronka/voronka/bot/slack/slackfake"
	"github.com/voronka/voronka/crm"
)

const secret = "8f742231b10e8888abcd99yyyzzz85a5"

// interactionBundle is an Interactions handler on a fake Slack, with a
// card already posted to press buttons on.
type interactionBundle struct {
	srv   *slackfake.Server
	desk  *fakeDesk
	once  *memOnce
	clock *fakeClock
	h     *slack.Interactions
	card  slackfake.Call // the chat.postMessage of the lead card
}

func setupInteractions(t *testing.T) interactionBundle {
	t.Helper()
	srv := slackfake.NewServer(t)
	clock := newFakeClock()
	desk, once := newFakeDesk(), newMemOnce()
	client := slack.NewClient(slackfake.Token, srv.URL(), nil)

	n := slack.NewNotifier(client, "C0SALES", nil, slack.Options{Sleep: clock.Sleep, Logger: testLogger(t)})
	_, err := n.PostCard(context.Background(), testCard(clock.Now()))
	require.NoError(t, err)

	h := slack.NewInteractions(desk, client, secret, once, slack.InteractionOptions{Now: clock.Now, Logger: testLogger(t)})
	return interactionBundle{srv: srv, desk: desk, once: once, clock: clock, h: h, card: srv.CallsTo("chat.postMessage")[0]}
}

// post sends body to the handler signed with secret at ts.
func (b interactionBundle) post(t *testing.T, body []byte, secret string, ts time.Time) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/slack/interactions", bytes.NewReader(body))
	req.Header = slack.Sign(secret, body, ts)
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, req)
	return rec
}

// press presses actionID on the card as user, signed and on time.
func (b interactionBundle) press(t *testing.T, user, actionID string) (*httptest.ResponseRecorder, slackfake.Press) {
	t.Helper()
	p, ok := b.card.Press(user, actionID)
	require.True(t, ok, "the card has a %s button", actionID)
	return b.post(t, p.Body(), secret, b.clock.Now()), p
}

func TestClaimActsOnceForARepeatedDelivery(t *testing.T) {
	t.Parallel()
	b := setupInteractions(t)

	p, ok := b.card.Press("U0ANNA", "claim")
	require.True(t, ok)
	rec := b.post(t, p.Body(), secret, b.clock.Now())
	require.Equal(t, http.StatusOK, rec.Code)
	require.Empty(t, rec.Body.String())
	require.Equal(t, []crm.Action{{LeadID: 42, Kind: crm.ActClaim, By: anna, At: b.clock.Now()}}, b.desk.Acts())

	// Slack delivers the same press again (a retry, a replay in the window).
	rec = b.post(t, p.Body(), secret, b.clock.Now().Add(time.Second))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Len(t, b.desk.Acts(), 1, "a repeated delivery does not act again")

	// A new press of the same button is a new delivery.
	rec, _ = b.press(t, "U0ANNA", "claim")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Len(t, b.desk.Acts(), 2)
	require.Empty(t, b.srv.CallsTo("chat.postEphemeral"), "a successful action says nothing: the card update shows it")
	for _, ttl := range b.once.seen {
		require.Equal(t, 15*time.Minute, ttl)
	}
}

func TestContacted(t *testing.T) {
	t.Parallel()
	b := setupInteractions(t)
	// A claimed card carries Contacted.
	b.card.Blocks = json.RawMessage(`[{"type":"actions","block_id":"voronka_actions","elements":[{"type":"button","action_id":"contacted","value":"42","text":{"type":"plain_text","text":"Contacted"}}]}]`)
	rec, _ := b.press(t, "U0BORIS", "contacted")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Equal(t, []crm.Action{{LeadID: 42, Kind: crm.ActContacted, By: boris, At: b.clock.Now()}}, b.desk.Acts())
}

func TestUnsignedWrongOrStaleIsRefused(t *testing.T) {
	t.Parallel()
	b := setupInteractions(t)
	p, _ := b.card.Press("U0ANNA", "claim")
	body := p.Body()
	now := b.clock.Now()

	tests := []struct {
		name   string
		header http.Header
		body   []byte
	}{
		{"unsigned", http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, body},
		{"wrong secret", slack.Sign("not-the-secret", body, now), body},
		{"stale, 6 minutes old", slack.Sign(secret, body, now.Add(-6*time.Minute)), body},
		{"from the future, 6 minutes ahead", slack.Sign(secret, body, now.Add(6*time.Minute)), body},
		{"body changed after signing", slack.Sign(secret, body, now), append(append([]byte{}, body...), '&', 'x', '=', '1')},
		{"garbage signature", http.Header{"X-Slack-Signature": {"v0=zz"}, "X-Slack-Request-Timestamp": {"1"}}, body},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(http.MethodPost, "/slack/interactions", bytes.NewReader(tt.body))
		req.Header = tt.header
		rec := httptest.NewRecorder()
		b.h.ServeHTTP(rec, req)
		require.Equal(t, http.StatusUnauthorized, rec.Code, tt.name)
	}
	require.Empty(t, b.desk.Acts(), "nothing acted")
	require.Empty(t, b.once.seen, "nothing remembered")
	require.Len(t, b.srv.Calls(), 1, "nothing sent to Slack but the card itself")

	// 4m59s old is still inside the window.
	rec := b.post(t, body, secret, now.Add(-4*time.Minute-59*time.Second))
	require.Equal(t, http.StatusOK, rec.Code)
	require.Len(t, b.desk.Acts(), 1)
}

// In production the clock is the wall clock and slack-go's verifier does
// the whole check.
func TestSignatureWithWallClock(t *testing.T) {
	t.Parallel()
	b := setupInteractions(t)
	b.h = slack.NewInteractions(b.desk, slack.NewClient(slackfake.Token, b.srv.URL(), nil), secret, b.once, slack.InteractionOptions{Logger: testLogger(t)})
	p, _ := b.card.Press("U0ANNA", "claim")

	require.Equal(t, http.StatusUnauthorized, b.post(t, p.Body(), secret, time.Now().Add(-6*time.Minute)).Code)
	require.Equal(t, http.StatusUnauthorized, b.post(t, p.Body(), "wrong", time.Now()).Code)
	require.Equal(t, http.StatusOK, b.post(t, p.Body(), secret, time.Now()).Code)
	require.Len(t, b.desk.Acts(), 1)
}

func TestUnknownUserGetsEphemeral(t *testing.T) {
	t.Parallel()
	b := setupInteractions(t)
	rec, _ := b.press(t, "U0STRANGER", "claim")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Empty(t, b.desk.Acts())

	eph := b.srv.CallsTo("chat.postEphemeral")
	require.Len(t, eph, 1)
	require.Equal(t, "U0STRANGER", eph[0].User)
	require.Equal(t, "C0SALES", eph[0].Channel)
	require.Contains(t, eph[0].Text, "Only the sales team can do this")
}

func TestConflictGetsEphemeral(t *testing.T) {
	t.Parallel()
	b := setupInteractions(t)
	b.desk.SetErr(crm.Errorf(crm.ECONFLICT, "Boris claimed this lead first."))

	rec, _ := b.press(t, "U0ANNA", "claim")
	require.Equal(t, http.StatusOK, rec.Code)
	eph := b.srv.CallsTo("chat.postEphemeral")
	require.Len(t, eph, 1)
	require.Equal(t, "U0ANNA", eph[0].User)
	require.Equal(t, "Boris claimed this lead first.", eph[0].Text)

	// Anything else is not the rep's business: a generic apology.
	b.desk.SetErr(context.DeadlineExceeded)
	b.press(t, "U0ANNA", "claim")
	eph = b.srv.CallsTo("chat.postEphemeral")
	require.Len(t, eph, 2)
	require.Equal(t, "Something went wrong on our side. Please try again in a moment.", eph[1].Text)
}

func TestWonAsksTheAmount(t *testing.T) {
	t.Parallel()
	b := setupInteractions(t)
	b.card.Blocks = json.RawMessage(`[{"type":"actions","block_id":"voronka_actions","elements":[{"type":"button","action_id":"won","value":"42","text":{"type":"plain_text","text":"Won"}}]}]`)

	rec, p := b.press(t, "U0ANNA", "won")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Empty(t, b.desk.Acts(), "nothing is won before the amount")
	opens := b.srv.CallsTo("views.open")
	require.Len(t, opens, 1)
	require.Equal(t, p.TriggerID, opens[0].TriggerID)
	var view struct {
		CallbackID      string `json:"callback_id"`
		PrivateMetadata string `json:"private_metadata"`
	}
	require.NoError(t, json.Unmarshal(opens[0].View, &view))
	require.Equal(t, "voronka_won", view.CallbackID)
	require.Equal(t, "42", view.PrivateMetadata)
	require.Contains(t, slackfake.Texts(opens[0].View), "How much was the sale?")

	for _, bad := range []string{"abc", "0", "-5", "", "NaN", "Inf"} {
		sub, err := opens[0].Submit("U0ANNA", bad)
		require.NoError(t, err)
		rec = b.post(t, sub.Body(), secret, b.clock.Now())
		require.Equal(t, http.StatusOK, rec.Code, bad)
		require.Equal(t, "application/json", rec.Header().Get("Content-Type"))
		require.JSONEq(t, `{"response_action":"errors","errors":{"amount":"Enter the amount of the sale, a number above zero."}}`, rec.Body.String(), bad)
	}
	require.Empty(t, b.desk.Acts())

	sub, err := opens[0].Submit("U0ANNA", "150000")
	require.NoError(t, err)
	rec = b.post(t, sub.Body(), secret, b.clock.Now())
	require.Equal(t, http.StatusOK, rec.Code)
	require.Empty(t, rec.Body.String(), "an empty 200 closes the modal")
	require.Equal(t, []crm.Action{{LeadID: 42, Kind: crm.ActWon, By: anna, Amount: 150000, At: b.clock.Now()}}, b.desk.Acts())

	// The same submission delivered again.
	rec = b.post(t, sub.Body(), secret, b.clock.Now())
	require.Equal(t, http.StatusOK, rec.Code)
	require.Len(t, b.desk.Acts(), 1)
}

// TestWonAmountOutOfRangeShowsInTheModal: an amount the store cannot keep
// (numeric(14, 2)) is refused under the field in the domain's words, and a
// corrected one is saved; it never reaches the desk as an amount that
// could only fail there.
func TestWonAmountOutOfRangeShowsInTheModal(t *testing.T) {
	t.Parallel()
	b := setupInteractions(t)
	b.card.Blocks = json.RawMessage(`[{"type":"actions","block_id":"voronka_actions","elements":[{"type":"button","action_id":"won","value":"42","text":{"type":"plain_text","text":"Won"}}]}]`)
	b.press(t, "U0ANNA", "won")
	open := b.srv.CallsTo("views.open")[0]
	require.Contains(t, string(open.View), `"min_value":"0.01","max_value":"999999999999.99"`, "Slack refuses what is out of range as the rep types")

	const tooLarge = `{"response_action":"errors","errors":{"amount":"The amount of a sale must be less than 1 000 000 000 000."}}`
	for _, bad := range []string{"1000000000000", "1 000 000 000 000", "999999999999.999", "1e15", strings.Repeat("9", 400)} {
		sub, err := open.Submit("U0ANNA", bad)
		require.NoError(t, err)
		rec := b.post(t, sub.Body(), secret, b.clock.Now())
		require.JSONEq(t, tooLarge, rec.Body.String(), bad)
	}
	sub, err := open.Submit("U0ANNA", "0.001")
	require.NoError(t, err)
	rec := b.post(t, sub.Body(), secret, b.clock.Now())
	require.JSONEq(t, `{"response_action":"errors","errors":{"amount":"The amount of a sale must be at least 0.01."}}`, rec.Body.String())
	require.Empty(t, b.desk.Acts())

	sub, err = open.Submit("U0ANNA", "999 999 999 999.99")
	require.NoError(t, err)
	rec = b.post(t, sub.Body(), secret, b.clock.Now())
	require.Empty(t, rec.Body.String(), "the largest amount is saved")
	require.Equal(t, []crm.Action{{LeadID: 42, Kind: crm.ActWon, By: anna, Amount: crm.MaxAmount, At: b.clock.Now()}}, b.desk.Acts())
}

func TestWonConflictShowsInTheModal(t *testing.T) {
	t.Parallel()
	b := setupInteractions(t)
	b.card.Blocks = json.RawMessage(`[{"type":"actions","block_id":"voronka_actions","elements":[{"type":"button","action_id":"won","value":"42","text":{"type":"plain_text","text":"Won"}}]}]`)
	b.press(t, "U0ANNA", "won")
	b.desk.SetErr(crm.Errorf(crm.ECONFLICT, "The lead is already lost."))

	sub, err := b.srv.CallsTo("views.open")[0].Submit("U0ANNA", "1 500 000")
	require.NoError(t, err)
	rec := b.post(t, sub.Body(), secret, b.clock.Now())
	require.JSONEq(t, `{"response_action":"errors","errors":{"amount":"The lead is already lost."}}`, rec.Body.String())
}

func TestLostAsksAReason(t *testing.T) {
	t.Parallel()
	b := setupInteractions(t)
	b.card.Blocks = json.RawMessage(`[{"type":"actions","block_id":"voronka_actions","elements":[{"type":"button","action_id":"lost","value":"42","text":{"type":"plain_text","text":"Lost"}}]}]`)

	rec, _ := b.press(t, "U0BORIS", "lost")
	require.Equal(t, http.StatusOK, rec.Code)
	opens := b.srv.CallsTo("views.open")
	require.Len(t, opens, 1)
	texts := slackfake.Texts(opens[0].View)
	for _, r := range b.desk.reasons {
		require.Contains(t, texts, bot.LostReasonText("en", r), "the modal offers the configured reasons, as the list words them")
		require.Contains(t, string(opens[0].View), `"value":"`+r+`"`, "and stores the configured reason")
	}
	require.Contains(t, string(opens[0].View), `"callback_id":"voronka_lost"`)
	require.Contains(t, string(opens[0].View), `"static_select"`)

	sub, err := opens[0].Submit("U0BORIS", "A reason nobody configured")
	require.NoError(t, err)
	rec = b.post(t, sub.Body(), secret, b.clock.Now())
	require.JSONEq(t, `{"response_action":"errors","errors":{"reason":"Pick one of the reasons."}}`, rec.Body.String())

	sub, err = opens[0].Submit("U0BORIS", "Chose a competitor")
	require.NoError(t, err)
	rec = b.post(t, sub.Body(), secret, b.clock.Now())
	require.Equal(t, http.StatusOK, rec.Code)
	require.Empty(t, rec.Body.String())
	require.Equal(t, []crm.Action{{LeadID: 42, Kind: crm.ActLost, By: boris, Reason: "Chose a competitor", At: b.clock.Now()}}, b.desk.Acts())
}

func TestLostWithoutConfiguredReasonsTakesText(t *testing.T) {
	t.Parallel()
	b := setupInteractions(t)
	b.desk.reasons = nil
	b.card.Blocks = json.RawMessage(`[{"type":"actions","block_id":"voronka_actions","elements":[{"type":"button","action_id":"lost","value":"42","text":{"type":"plain_text","text":"Lost"}}]}]`)
	b.press(t, "U0BORIS", "lost")
	open := b.srv.CallsTo("views.open")[0]
	require.Contains(t, string(open.View), `"plain_text_input"`)
	sub, err := open.Submit("U0BORIS", "Moved abroad")
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, b.post(t, sub.Body(), secret, b.clock.Now()).Code)
	require.Equal(t, "Moved abroad", b.desk.Acts()[0].Reason)
}

func TestSubmissionByStrangerIsRefused(t *testing.T) {
	t.Parallel()
	b := setupInteractions(t)
	b.card.Blocks = json.RawMessage(`[{"type":"actions","block_id":"voronka_actions","elements":[{"type":"button","action_id":"won","value":"42","text":{"type":"plain_text","text":"Won"}}]}]`)
	b.press(t, "U0ANNA", "won")
	sub, err := b.srv.CallsTo("views.open")[0].Submit("U0STRANGER", "100")
	require.NoError(t, err)
	rec := b.post(t, sub.Body(), secret, b.clock.Now())
	require.Contains(t, rec.Body.String(), "Only the sales team can do this")
	require.Empty(t, b.desk.Acts())
}

func TestLinkButtonAndOtherPayloadsAreAcknowledged(t *testing.T) {
	t.Parallel()
	b := setupInteractions(t)
	rec, _ := b.press(t, "U0ANNA", "open_telegram")
	require.Equal(t, http.StatusOK, rec.Code)

	closed := []byte("payload=" + `{"type":"view_closed","user":{"id":"U0ANNA"},"view":{"id":"V1"}}`)
	require.Equal(t, http.StatusOK, b.post(t, closed, secret, b.clock.Now()).Code)

	require.Empty(t, b.desk.Acts())
	require.Len(t, b.srv.Calls(), 1, "no Slack calls")
}

func TestBadRequests(t *testing.T) {
	t.Parallel()
	b := setupInteractions(t)

	req := httptest.NewRequest(http.MethodGet, "/slack/interactions", nil)
	rec := httptest.NewRecorder()
	b.h.ServeHTTP(rec, req)
	require.Equal(t, http.StatusMethodNotAllowed, rec.Code)

	big := bytes.Repeat([]byte("a"), 1<<20+1)
	require.Equal(t, http.StatusRequestEntityTooLarge, b.post(t, big, secret, b.clock.Now()).Code)

	require.Equal(t, http.StatusBadRequest, b.post(t, []byte("payload=%7Bnot-json"), secret, b.clock.Now()).Code)
	require.Equal(t, http.StatusBadRequest, b.post(t, []byte("nothing=here"), secret, b.clock.Now()).Code)

	// A button whose value is not a lead id.
	p, _ := b.card.Press("U0ANNA", "claim")
	p.Value = "forty-two"
	require.Equal(t, http.StatusOK, b.post(t, p.Body(), secret, b.clock.Now()).Code)
	eph := b.srv.CallsTo("chat.postEphemeral")
	require.Len(t, eph, 1)
	require.Contains(t, eph[0].Text, "does not point to a lead")
	require.Empty(t, b.desk.Acts())
}

// With Redis down, buttons keep working: the desk's own checks stand
// between a repeated delivery and a double effect.
func TestOnceDownStillActs(t *testing.T) {
	t.Parallel()
	b := setupInteractions(t)
	b.once.err = errRedisDown
	rec, _ := b.press(t, "U0ANNA", "claim")
	require.Equal(t, http.StatusOK, rec.Code)
	require.Len(t, b.desk.Acts(), 1)
}

func TestModalFailureTellsThePresser(t *testing.T) {
	t.Parallel()
	b := setupInteractions(t)
	b.card.Blocks = json.RawMessage(`[{"type":"actions","block_id":"voronka_actions","elements":[{"type":"button","action_id":"won","value":"42","text":{"type":"plain_text","text":"Won"}}]}]`)
	b.srv.Refuse("views.open", 1, "expired_trigger_id")
	b.press(t, "U0ANNA", "won")
	eph := b.srv.CallsTo("chat.postEphemeral")
	require.Len(t, eph, 1)
	require.True(t, strings.HasPrefix(eph[0].Text, "Could not open the form"))
}
