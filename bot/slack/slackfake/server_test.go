package slackfake_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot/slack/slackfake"
)

func TestPostUpdateAndEphemeral(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := slackfake.NewServer(t)
	c := srv.Client()

	ch, ts, err := c.PostMessageContext(ctx, "#sales", slackapi.MsgOptionText("hello", false),
		slackapi.MsgOptionBlocks(slackapi.NewActionBlock("acts",
			slackapi.NewButtonBlockElement("claim", "42", slackapi.NewTextBlockObject("plain_text", "Claim", false, false)))))
	require.NoError(t, err)
	require.Equal(t, "CSALES", ch)
	require.NotEmpty(t, ts)

	_, _, _, err = c.UpdateMessageContext(ctx, ch, ts, slackapi.MsgOptionText("updated", false))
	require.NoError(t, err)
	m, ok := srv.Message(ch, ts)
	require.True(t, ok)
	require.Equal(t, "updated", m.Text)
	require.Equal(t, 1, m.Updates)

	_, _, _, err = c.UpdateMessageContext(ctx, ch, "1.000001", slackapi.MsgOptionText("x", false))
	require.EqualError(t, err, "message_not_found")

	_, err = c.PostEphemeralContext(ctx, ch, "U1", slackapi.MsgOptionText("psst", false))
	require.NoError(t, err)

	calls := srv.Calls()
	require.Len(t, calls, 3)
	require.Equal(t, []string{"chat.postMessage", "chat.update", "chat.postEphemeral"},
		[]string{calls[0].Method, calls[1].Method, calls[2].Method})
	require.Equal(t, "U1", calls[2].User)
	require.Equal(t, 2, srv.Attempts("chat.update"))

	p, ok := calls[0].Press("U1", "claim")
	require.True(t, ok)
	require.Equal(t, "42", p.Value)
	require.Equal(t, "acts", p.BlockID)
	_, ok = calls[0].Press("U1", "nope")
	require.False(t, ok)

	// The press parses as slack-go parses Slack's own payloads.
	form, err := url.ParseQuery(string(p.Body()))
	require.NoError(t, err)
	var cb slackapi.InteractionCallback
	require.NoError(t, json.Unmarshal([]byte(form.Get("payload")), &cb))
	require.Equal(t, slackapi.InteractionTypeBlockActions, cb.Type)
	require.Equal(t, "U1", cb.User.ID)
	require.Equal(t, "CSALES", cb.Channel.ID)
	require.Len(t, cb.ActionCallback.BlockActions, 1)
	require.Equal(t, "claim", cb.ActionCallback.BlockActions[0].ActionID)
	require.Equal(t, p.TriggerID, cb.TriggerID)
}

func TestFailuresOnDemand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := slackfake.NewServer(t)
	c := srv.Client()

	srv.Fail("chat.postMessage", 1, http.StatusTooManyRequests, 2*time.Second)
	srv.Fail("chat.postMessage", 1, http.StatusInternalServerError, 0)
	srv.Refuse("chat.postMessage", 1, "channel_not_found")

	_, _, err := c.PostMessageContext(ctx, "C1", slackapi.MsgOptionText("x", false))
	var rl *slackapi.RateLimitedError
	require.ErrorAs(t, err, &rl)
	require.Equal(t, 2*time.Second, rl.RetryAfter)

	_, _, err = c.PostMessageContext(ctx, "C1", slackapi.MsgOptionText("x", false))
	var sc slackapi.StatusCodeError
	require.ErrorAs(t, err, &sc)
	require.Equal(t, 500, sc.Code)

	_, _, err = c.PostMessageContext(ctx, "C1", slackapi.MsgOptionText("x", false))
	require.EqualError(t, err, "channel_not_found")

	_, _, err = c.PostMessageContext(ctx, "C1", slackapi.MsgOptionText("x", false))
	require.NoError(t, err)
	require.Len(t, srv.CallsTo("chat.postMessage"), 1)
	require.Equal(t, 4, srv.Attempts("chat.postMessage"))
}

func TestNotAuthed(t *testing.T) {
	t.Parallel()
	srv := slackfake.NewServer(t)
	_, _, err := slackapi.New("", slackapi.OptionAPIURL(srv.URL())).PostMessage("C1", slackapi.MsgOptionText("x", false))
	require.EqualError(t, err, "not_authed")
}

func TestViewsOpenAndSubmit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := slackfake.NewServer(t)
	c := srv.Client()

	text := func(s string) *slackapi.TextBlockObject {
		return slackapi.NewTextBlockObject("plain_text", s, false, false)
	}
	view := slackapi.ModalViewRequest{
		Type: slackapi.VTModal, Title: text("T"), CallbackID: "cb", PrivateMetadata: "42",
		Blocks: slackapi.Blocks{BlockSet: []slackapi.Block{
			slackapi.NewInputBlock("amount", text("Amount"), nil, slackapi.NewNumberInputBlockElement(nil, "amount", true)),
			slackapi.NewInputBlock("reason", text("Reason"), nil, slackapi.NewOptionsSelectBlockElement("static_select", nil, "reason",
				slackapi.NewOptionBlockObject("r1", text("Too expensive"), nil))),
		}},
	}
	resp, err := c.OpenViewContext(ctx, "trigger.1", view)
	require.NoError(t, err)
	require.NotEmpty(t, resp.View.ID)

	open := srv.CallsTo("views.open")[0]
	require.Equal(t, resp.View.ID, open.ViewID)
	require.Contains(t, slackfake.Texts(open.View), "Too expensive")

	sub, err := open.Submit("U1", "150000", "Too expensive")
	require.NoError(t, err)
	form, err := url.ParseQuery(string(sub.Body()))
	require.NoError(t, err)
	var cb slackapi.InteractionCallback
	require.NoError(t, json.Unmarshal([]byte(form.Get("payload")), &cb))
	require.Equal(t, slackapi.InteractionTypeViewSubmission, cb.Type)
	require.Equal(t, "cb", cb.View.CallbackID)
	require.Equal(t, "42", cb.View.PrivateMetadata)
	require.Equal(t, open.ViewID, cb.View.ID)
	require.Equal(t, "150000", cb.View.State.Values["amount"]["amount"].Value)
	require.Equal(t, "r1", cb.View.State.Values["reason"]["reason"].SelectedOption.Value)

	_, err = open.Submit("U1", "1", "2", "3")
	require.Error(t, err)
	_, err = srv.CallsTo("views.open")[0].Submit("U1")
	require.NoError(t, err, "fewer answers leave inputs empty")

	_, err = c.OpenViewContext(ctx, "", view)
	require.Error(t, err)
}

func TestWaitCalls(t *testing.T) {
	t.Parallel()
	srv := slackfake.NewServer(t)
	go func() {
		_, _, _ = srv.Client().PostMessage("C1", slackapi.MsgOptionText("later", false))
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	calls, err := srv.WaitCalls(ctx, "chat.postMessage", 1)
	require.NoError(t, err)
	require.Equal(t, "later", calls[0].Text)

	short, cancel2 := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel2()
	_, err = srv.WaitCalls(short, "chat.postMessage", 2)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestChannelID(t *testing.T) {
	t.Parallel()
	require.Equal(t, "C0123ABC", slackfake.ChannelID("C0123ABC"))
	require.Equal(t, "CSALES", slackfake.ChannelID("#sales"))
	require.Equal(t, "CHOTLEADS", slackfake.ChannelID("hot-leads"))
	require.True(t, strings.HasPrefix(slackfake.ChannelID("general"), "C"))
}

func TestButtonsInAccessories(t *testing.T) {
	t.Parallel()
	raw := json.RawMessage(`[{"type":"section","text":{"type":"mrkdwn","text":"a"},"accessory":{"type":"button","action_id":"claim","value":"7","text":{"type":"plain_text","text":"Claim"}}},
		{"type":"section","block_id":"x","accessory":{"type":"button","action_id":"claim","value":"8","text":{"type":"plain_text","text":"Claim"}}}]`)
	b := slackfake.Buttons(raw)
	require.Equal(t, []slackfake.Button{
		{BlockID: "b0", ActionID: "claim", Text: "Claim", Value: "7"},
		{BlockID: "x", ActionID: "claim", Text: "Claim", Value: "8"},
	}, b)
}
