package telegram_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/bot/telegram"
	"github.com/voronka/voronka/bot/telegram/telegramtest"
	"github.com/voronka/voronka/crm"
)

const (
	routerSalesChat = int64(-100500)
	routerMember    = int64(1001) // on the team
	routerCustomer  = int64(42)
)

// routerTeam knows routerMember only.
type routerTeam struct{}

func (routerTeam) ManagerByTelegram(id int64) (crm.Manager, bool) {
	if id == routerMember {
		return crm.Manager{ID: 1, Name: "Anna", TelegramID: id}, true
	}
	return crm.Manager{}, false
}

// groupRecorder is a telegram.GroupHandler that remembers the raw updates
// it was given.
type groupRecorder struct {
	updates []tgbotapi.Update
	err     error
}

func (g *groupRecorder) HandleTelegram(_ context.Context, u tgbotapi.Update) (bool, error) {
	g.updates = append(g.updates, u)
	return true, g.err
}

// routes is a Router over recorders, one per destination.
type routes struct {
	router    *telegram.Router
	customers *recorder
	staff     *recorder
	group     *groupRecorder
}

func newRoutes(t *testing.T) routes {
	t.Helper()
	r := routes{customers: &recorder{}, staff: &recorder{}, group: &groupRecorder{}}
	var err error
	r.router, err = telegram.NewRouter(telegram.RouterConfig{
		Customers:   r.customers,
		SalesChatID: routerSalesChat,
		SalesGroup:  r.group,
		Members:     routerTeam{},
		Team:        r.staff,
	})
	require.NoError(t, err)
	return r
}

// TestRouterSendsEachUpdateToExactlyItsDestination: by chat and sender,
// every kind of update reaches one destination and no other.
func TestRouterSendsEachUpdateToExactlyItsDestination(t *testing.T) {
	t.Parallel()
	edited := telegramtest.Text(routerCustomer, routerCustomer, "edit")
	edited.EditedMessage, edited.Message = edited.Message, nil
	tests := []struct {
		name string
		u    tgbotapi.Update
		to   telegram.Destination
		kind bot.InputKind // of the bot.Update the customers or the staff got
	}{
		{"customer text", telegramtest.Text(routerCustomer, routerCustomer, "hello"), telegram.ToCustomers, bot.InputText},
		{"customer button", telegramtest.Callback(routerCustomer, routerCustomer, 5, "need:buy"), telegram.ToCustomers, bot.InputButton},
		{"survey button", telegramtest.Callback(routerCustomer, routerCustomer, 6, "nps:7:9"), telegram.ToCustomers, bot.InputButton},
		{"customer command", telegramtest.Text(routerCustomer, routerCustomer, "/start s-google"), telegram.ToCustomers, bot.InputCommand},
		{"stranger's staff command", telegramtest.Text(routerCustomer, routerCustomer, "/stats 7d"), telegram.ToCustomers, bot.InputCommand},
		{"customer blocks the bot", telegramtest.Membership(routerCustomer, routerCustomer, "kicked"), telegram.ToCustomers, bot.InputBlocked},
		{"customer unblocks the bot", telegramtest.Membership(routerCustomer, routerCustomer, "member"), telegram.ToCustomers, bot.InputUnblocked},
		{"member's staff command in private", telegramtest.Text(routerMember, routerMember, "/stats 7d"), telegram.ToTeam, bot.InputCommand},
		{"member's staff command, upper case", telegramtest.Text(routerMember, routerMember, "/Funnel"), telegram.ToTeam, bot.InputCommand},
		// A team member is never a customer: /start, /help, text and
		// buttons in their private chat are the team's to answer.
		{"member's /start", telegramtest.Text(routerMember, routerMember, "/start"), telegram.ToTeam, bot.InputCommand},
		{"member's /help", telegramtest.Text(routerMember, routerMember, "/help"), telegram.ToTeam, bot.InputCommand},
		{"member's text in private", telegramtest.Text(routerMember, routerMember, "hi"), telegram.ToTeam, bot.InputText},
		{"member's button in private", telegramtest.Callback(routerMember, routerMember, 8, "need:buy"), telegram.ToTeam, bot.InputButton},
		{"member's staff command in another group", telegramtest.Text(-100777, routerMember, "/stats"), telegram.ToCustomers, bot.InputCommand},
		{"message in the sales group", telegramtest.Text(routerSalesChat, routerMember, "150000"), telegram.ToSalesGroup, ""},
		{"staff command in the sales group", telegramtest.Text(routerSalesChat, routerMember, "/stats"), telegram.ToSalesGroup, ""},
		{"button in the sales group", telegramtest.Callback(routerSalesChat, routerMember, 7, "vk:claim:42"), telegram.ToSalesGroup, ""},
		{"my_chat_member in the sales group", telegramtest.Membership(routerSalesChat, routerMember, "kicked"), telegram.ToSalesGroup, ""},
		{"edited message", edited, telegram.Ignored, ""},
		{"a bot's message", func() tgbotapi.Update {
			u := telegramtest.Text(routerCustomer, routerCustomer, "beep")
			u.Message.From.IsBot = true
			return u
		}(), telegram.Ignored, ""},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := newRoutes(t)
			tt.u.UpdateID = 100 + i
			require.Equal(t, tt.to, r.router.Route(tt.u).To, "Route decides")

			routed, err := r.router.Handle(context.Background(), tt.u, nil)
			require.NoError(t, err)
			require.Equal(t, tt.to, routed.To)
			got := map[telegram.Destination]int{
				telegram.ToCustomers:  len(r.customers.IDs()),
				telegram.ToTeam:       len(r.staff.IDs()),
				telegram.ToSalesGroup: len(r.group.updates),
			}
			want := map[telegram.Destination]int{telegram.ToCustomers: 0, telegram.ToTeam: 0, telegram.ToSalesGroup: 0}
			if tt.to != telegram.Ignored {
				want[tt.to] = 1
			}
			require.Equal(t, want, got, "exactly its destination")
			switch tt.to {
			case telegram.ToCustomers, telegram.ToTeam:
				h := r.customers
				if tt.to == telegram.ToTeam {
					h = r.staff
				}
				require.Equal(t, int64(100+i), h.updates[0].ID)
				require.Equal(t, tt.kind, h.updates[0].Kind)
				require.Equal(t, routed.Update.ID, h.updates[0].ID)
				require.Nil(t, h.updates[0].Slot, "long polling has no reply slot")
			case telegram.ToSalesGroup:
				require.Equal(t, 100+i, r.group.updates[0].UpdateID, "the raw update, as Telegram sent it")
				require.Equal(t, tt.u, r.group.updates[0])
			}
		})
	}
}

// TestRouterPassesTheWebhookReply: the webhook's reply slot reaches the
// customers' update explicitly, and a reply given it rides on the 200.
func TestRouterPassesTheWebhookReply(t *testing.T) {
	t.Parallel()
	r := newRoutes(t)
	wr := &telegram.WebhookReply{}
	_, err := r.router.Handle(context.Background(), withID(telegramtest.Text(routerCustomer, routerCustomer, "hi"), 1), wr)
	require.NoError(t, err)
	require.Same(t, wr, r.customers.updates[0].Slot)
	require.False(t, wr.Taken())

	b := setup(t)
	s, _ := newSender(t, b, telegram.SenderOptions{})
	router, err := telegram.NewRouter(telegram.RouterConfig{Customers: replyHandler{s: s}})
	require.NoError(t, err)
	w := post(t, telegram.NewWebhook(router, secret, telegram.WebhookOptions{}), "POST", secret,
		updateJSON(t, withID(telegramtest.Callback(routerCustomer, routerCustomer, 3, "need:buy"), 2)))
	require.Equal(t, http.StatusOK, w.Code)
	require.Contains(t, w.Body.String(), "answerCallbackQuery")
}

// TestRouterErrors: a destination's error and panic come back as errors
// (the webhook answers 500, the poller retries); a config missing half of
// a destination is refused.
func TestRouterErrors(t *testing.T) {
	t.Parallel()
	r := newRoutes(t)
	r.group.err = errors.New("telegram is down")
	_, err := r.router.Handle(context.Background(), withID(telegramtest.Callback(routerSalesChat, routerMember, 7, "vk:won:42"), 1), nil)
	require.ErrorContains(t, err, "telegram is down")

	r.staff.err = func(bot.Update, int) error { panic("nil map") }
	routed, err := r.router.Handle(context.Background(), withID(telegramtest.Text(routerMember, routerMember, "/stats"), 2), nil)
	require.Equal(t, telegram.ToTeam, routed.To)
	require.ErrorContains(t, err, "panicked")

	for _, cfg := range []telegram.RouterConfig{
		{},
		{Customers: &recorder{}, SalesChatID: routerSalesChat},
		{Customers: &recorder{}, SalesGroup: &groupRecorder{}},
		{Customers: &recorder{}, Members: routerTeam{}},
		{Customers: &recorder{}, Team: &recorder{}},
	} {
		_, err := telegram.NewRouter(cfg)
		require.Error(t, err)
	}
}
