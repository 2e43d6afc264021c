package slack

import (
	"net/http"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"
	"github.com/stretchr/testify/require"
)

// Sign must agree with slack-go's verifier, which is what checks the
// signature in production.
func TestSignMatchesSlackGo(t *testing.T) {
	t.Parallel()
	body := []byte("payload=%7B%22type%22%3A%22block_actions%22%7D")
	h := Sign("s3cret", body, time.Now())

	sv, err := slackapi.NewSecretsVerifier(h, "s3cret")
	require.NoError(t, err)
	_, err = sv.Write(body)
	require.NoError(t, err)
	require.NoError(t, sv.Ensure())

	sv, err = slackapi.NewSecretsVerifier(h, "other")
	require.NoError(t, err)
	_, _ = sv.Write(body)
	require.Error(t, sv.Ensure())
}

// Slack's documented example request (api.slack.com, "Verifying requests
// from Slack").
func TestSignSlackExample(t *testing.T) {
	t.Parallel()
	body := []byte("token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c")
	h := Sign("8f742231b10e8888abcd99yyyzzz85a5", body, time.Unix(1531420618, 0))
	require.Equal(t, "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", h.Get("X-Slack-Signature"))
	require.Equal(t, "1531420618", h.Get("X-Slack-Request-Timestamp"))
}

func TestVerifySignature(t *testing.T) {
	t.Parallel()
	body := []byte("payload=x")
	wall := time.Now()
	fake := time.Date(2026, 3, 2, 11, 17, 0, 0, time.UTC)

	for _, now := range []time.Time{wall, fake} {
		require.NoError(t, verifySignature(Sign("k", body, now), body, "k", now))
		require.NoError(t, verifySignature(Sign("k", body, now.Add(-4*time.Minute-59*time.Second)), body, "k", now))
		require.ErrorIs(t, verifySignature(Sign("k", body, now.Add(-5*time.Minute-time.Second)), body, "k", now), errStale)
		require.ErrorIs(t, verifySignature(Sign("k", body, now), body, "other", now), errBadSignature)
		require.ErrorIs(t, verifySignature(Sign("k", body, now), []byte("payload=y"), "k", now), errBadSignature)
		require.ErrorIs(t, verifySignature(http.Header{}, body, "k", now), errUnsigned)
		require.ErrorIs(t, verifySignature(Sign("", body, now), body, "", now), errBadSignature, "an empty secret accepts nothing")

		h := Sign("k", body, now)
		h.Set("X-Slack-Signature", "v1="+h.Get("X-Slack-Signature")[3:])
		require.ErrorIs(t, verifySignature(h, body, "k", now), errBadSignature)
	}
}
