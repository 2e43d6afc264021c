package telegramtest_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot/telegram/telegramtest"
)

func newAPI(t *testing.T, s *telegramtest.Server) *tgbotapi.BotAPI {
	t.Helper()
	api, err := tgbotapi.NewBotAPIWithAPIEndpoint(s.Token(), s.Endpoint())
	require.NoError(t, err)
	return api
}

func TestServerRecordsWhatTheBotSent(t *testing.T) {
	t.Parallel()
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)

	msg := tgbotapi.NewMessage(7, "hello")
	msg.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("A", "a")))
	first, err := api.Send(msg)
	require.NoError(t, err)
	second, err := api.Send(tgbotapi.NewMessage(7, "again"))
	require.NoError(t, err)
	require.Greater(t, second.MessageID, first.MessageID)
	require.Equal(t, int64(7), first.Chat.ID)
	require.Equal(t, "hello", first.Text)

	_, err = api.Send(tgbotapi.NewEditMessageText(7, first.MessageID, "edited"))
	require.NoError(t, err)
	_, err = api.Send(tgbotapi.NewMessage(8, "other chat"))
	require.NoError(t, err)
	_, err = api.Request(tgbotapi.NewCallback("cb", "ok"))
	require.NoError(t, err)

	sent := s.Sent(7)
	require.Len(t, sent, 3)
	require.Equal(t, []string{"sendMessage", "sendMessage", "editMessageText"}, []string{sent[0].Method, sent[1].Method, sent[2].Method})
	require.JSONEq(t, `{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}`, sent[0].ReplyMarkup)
	require.False(t, sent[0].At.IsZero())
	calls := s.Calls()
	require.Equal(t, "getMe", calls[0].Method)
	require.Equal(t, "answerCallbackQuery", calls[len(calls)-1].Method)

	// Editing to the same content is refused, as Telegram does.
	_, err = api.Send(tgbotapi.NewEditMessageText(7, first.MessageID, "edited"))
	var te *tgbotapi.Error
	require.ErrorAs(t, err, &te)
	require.Equal(t, 400, te.Code)
	require.Contains(t, te.Message, "message is not modified")
}

func TestServerFailsOnDemand(t *testing.T) {
	t.Parallel()
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)

	s.Fail("sendMessage", 1, 429, 5)
	s.Fail("sendMessage", 1, 502, 0)
	_, err := api.Send(tgbotapi.NewMessage(7, "x"))
	var te *tgbotapi.Error
	require.ErrorAs(t, err, &te)
	require.Equal(t, 429, te.Code)
	require.Equal(t, 5, te.RetryAfter)
	require.Equal(t, "Too Many Requests: retry after 5", te.Message)

	_, err = api.Send(tgbotapi.NewMessage(7, "x"))
	require.ErrorAs(t, err, &te)
	require.Equal(t, 502, te.Code)

	_, err = api.Send(tgbotapi.NewMessage(7, "x"))
	require.NoError(t, err)
	require.Equal(t, 2, s.Failed("sendMessage"))
	require.Len(t, s.Sent(7), 1, "failed calls are not recorded")

	s.Block(9)
	_, err = api.Send(tgbotapi.NewMessage(9, "survey"))
	require.ErrorAs(t, err, &te)
	require.Equal(t, 403, te.Code)

	_, err = api.MakeRequest("sendTelepathy", nil)
	require.Error(t, err)
}

func TestServerRefusesOtherTokens(t *testing.T) {
	t.Parallel()
	s := telegramtest.NewServer(t)
	_, err := tgbotapi.NewBotAPIWithAPIEndpoint("1:OTHER", s.Endpoint())
	var te *tgbotapi.Error
	require.ErrorAs(t, err, &te)
	require.Equal(t, 401, te.Code)
}

func TestServerGetUpdates(t *testing.T) {
	t.Parallel()
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)

	s.PushUpdate(telegramtest.Text(7, 7, "/start x"))
	s.PushUpdate(telegramtest.WithLang(telegramtest.Callback(7, 7, 1, "a"), "en"))
	s.PushUpdate(telegramtest.Contact(7, 7, 7, "+1555"))

	got, err := api.GetUpdates(tgbotapi.UpdateConfig{Limit: 2})
	require.NoError(t, err)
	require.Len(t, got, 2)
	require.Equal(t, 1, got[0].UpdateID)
	require.Equal(t, "start", got[0].Message.Command())
	require.Positive(t, got[0].Message.MessageID)
	require.Equal(t, "en", got[1].CallbackQuery.From.LanguageCode)

	// Nothing is confirmed until an offset passes it.
	got, err = api.GetUpdates(tgbotapi.UpdateConfig{})
	require.NoError(t, err)
	require.Len(t, got, 3)
	got, err = api.GetUpdates(tgbotapi.UpdateConfig{Offset: 3})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, "+1555", got[0].Message.Contact.PhoneNumber)
	require.Equal(t, 1, s.Pending())

	// A long poll returns when an update arrives, and is capped at a second.
	go func() {
		time.Sleep(50 * time.Millisecond)
		s.PushUpdate(telegramtest.Text(7, 7, "late"))
	}()
	got, err = api.GetUpdates(tgbotapi.UpdateConfig{Offset: 4, Timeout: 30})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, 4, got[0].UpdateID)

	began := time.Now()
	got, err = api.GetUpdates(tgbotapi.UpdateConfig{Offset: 5, Timeout: 30})
	require.NoError(t, err)
	require.Empty(t, got)
	require.Less(t, time.Since(began), 3*time.Second)

	// Telegram refuses getUpdates while a webhook is set.
	_, err = api.MakeRequest("setWebhook", tgbotapi.Params{"url": "https://example.com/hook", "secret_token": "x"})
	require.NoError(t, err)
	_, err = api.GetUpdates(tgbotapi.UpdateConfig{Offset: 5})
	var te *tgbotapi.Error
	require.ErrorAs(t, err, &te)
	require.Equal(t, 409, te.Code)
	info, err := api.GetWebhookInfo()
	require.NoError(t, err)
	require.Equal(t, "https://example.com/hook", info.URL)
}

func TestServerWaitCalls(t *testing.T) {
	t.Parallel()
	s := telegramtest.NewServer(t)
	api := newAPI(t, s)

	go func() {
		for range 3 {
			_, _ = api.Send(tgbotapi.NewMessage(7, "x"))
		}
	}()
	calls, err := s.WaitCalls(context.Background(), "sendMessage", 3)
	require.NoError(t, err)
	require.Len(t, calls, 3)

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	calls, err = s.WaitCalls(ctx, "sendMessage", 4)
	require.True(t, errors.Is(err, context.DeadlineExceeded))
	require.Len(t, calls, 3)
}

func TestNewAndClose(t *testing.T) {
	t.Parallel()
	s := telegramtest.New()
	newAPI(t, s)
	s.Close()
	s.Close() // idempotent
	_, err := tgbotapi.NewBotAPIWithAPIEndpoint(s.Token(), s.Endpoint())
	require.Error(t, err)
}

// Clients other than tgbotapi (grammY, the side-by-side bench's peer)
// send JSON bodies; the calls read the same, and each chat's calls can be
// read and waited for on their own.
func TestServerJSONBodiesAndChatCalls(t *testing.T) {
	t.Parallel()
	s := telegramtest.NewServer(t)
	url := fmt.Sprintf(s.Endpoint(), s.Token(), "sendMessage")
	post := func(body string) int {
		resp, err := http.Post(url, "application/json", strings.NewReader(body))
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	woke := make(chan error, 1)
	go func() { woke <- s.WaitChat(ctx, 42, 0) }()

	require.Equal(t, 200, post(`{"chat_id":42,"text":"Your email?","reply_markup":{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}}`))
	require.NoError(t, <-woke)
	require.Equal(t, 200, post(`{"chat_id":43,"text":"other"}`))
	require.Equal(t, 400, post(`{"chat_id":`))

	calls := s.ChatCalls(42, 0)
	require.Len(t, calls, 1)
	require.Equal(t, "Your email?", calls[0].Text)
	require.Positive(t, calls[0].MessageID)
	require.JSONEq(t, `{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}`, calls[0].ReplyMarkup)
	require.Empty(t, s.ChatCalls(42, 1))

	short, stop := context.WithTimeout(ctx, 20*time.Millisecond)
	defer stop()
	require.Error(t, s.WaitChat(short, 42, 1), "no second call to chat 42")
}
