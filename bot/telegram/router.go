package telegram

import (
	"context"
	"errors"
	"runtime/debug"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/crm"
)

// Destination is where the Router sends an update.
type Destination string

const (
	// ToCustomers is the customers' dispatcher: every update that goes
	// nowhere else, the buttons under the sweeps' messages included.
	ToCustomers Destination = "customers"
	// ToSalesGroup is the sales group's handler: every update from its
	// chat, in Telegram's own form.
	ToSalesGroup Destination = "sales_group"
	// ToTeam is the team commands: a team member's command in their
	// private chat with the bot.
	ToTeam Destination = "team"
	// Ignored is an update nobody acts on (ToUpdate's rules); it is
	// acknowledged at once.
	Ignored Destination = "ignored"
)

// GroupHandler takes the sales group's updates in Telegram's own form
// (SalesGroupHandler.HandleTelegram: the message under a pressed button
// and the message a reply answers are not in bot.Update). handled is false
// for an update it does not act on, which is then acknowledged as ignored.
type GroupHandler interface {
	HandleTelegram(ctx context.Context, u tgbotapi.Update) (handled bool, err error)
}

// Members finds a configured member of the sales team by Telegram user id
// (crm.Sales).
type Members interface {
	ManagerByTelegram(id int64) (crm.Manager, bool)
}

// RouterConfig names the Router's destinations. Customers is required;
// the sales group and the team are optional, each all or nothing.
type RouterConfig struct {
	// Customers is the customers' dispatcher (bot.Dispatcher).
	Customers bot.Handler
	// SalesChatID is the sales group's chat; SalesGroup gets its updates.
	SalesChatID int64
	SalesGroup  GroupHandler
	// Team says who is a team member; Team gets their team commands.
	// Team shares the chat and the update ids with the customer the
	// member may also be, so it is the dispatcher's gated handler
	// (bot.Dispatcher.Gated around bot.Team).
	Members Members
	Team    bot.Handler
}

// Router is the one way in for Telegram updates: the webhook and the
// poller hand it every update, and it decides, by chat and sender, in one
// place, who handles it:
//
//   - an update from the sales group's chat goes to the sales group's
//     handler, raw (its buttons, replies and /won; nothing else of that
//     chat is acted on);
//   - an update ToUpdate ignores (edits, bots, a group's my_chat_member)
//     goes nowhere;
//   - everything a team member sends in their private chat with the bot
//     goes to the team: their commands, and /start, /help, text and
//     buttons, which the team answer with the member's help; a team
//     member is never taken for a customer, so none of it opens a lead;
//   - everything else goes to the customers' dispatcher: texts, contacts,
//     commands (a stranger's /stats too, which gets the flow's help),
//     buttons, block and unblock. The buttons under a sweep's message (a
//     survey's score, a follow-up's reason) stay with the dispatcher: they
//     are the customer's, pressed in their chat, and need the customer's
//     gate, session and reply like any other of their updates.
//
// The webhook request's reply slot (*WebhookReply) is passed to Handle
// explicitly and travels on the update the dispatcher gets
// (bot.Update.Slot), which hands it to the Sender with its reply.
type Router struct {
	cfg RouterConfig
}

// NewRouter checks cfg and returns its Router.
func NewRouter(cfg RouterConfig) (*Router, error) {
	switch {
	case cfg.Customers == nil:
		return nil, errors.New("telegram: new router: the customers' handler is required")
	case (cfg.SalesChatID == 0) != (cfg.SalesGroup == nil):
		return nil, errors.New("telegram: new router: the sales group needs both its chat id and its handler")
	case (cfg.Members == nil) != (cfg.Team == nil):
		return nil, errors.New("telegram: new router: the staff commands need both the team and their handler")
	}
	return &Router{cfg: cfg}, nil
}

// Routed is where one update went and, for the customers and the team,
// the bot.Update they were given.
type Routed struct {
	To Destination
	// ChatID is the update's chat, 0 when it has none.
	ChatID int64
	// Update is what the customers' dispatcher or the team got; zero
	// for the sales group and for an ignored update.
	Update bot.Update
}

// kind names the update for logs and metrics: the bot.InputKind of a
// customer's or a team update, else the destination.
func (rt Routed) kind() string {
	if rt.To == ToCustomers || rt.To == ToTeam {
		return string(rt.Update.Kind)
	}
	return string(rt.To)
}

// Route decides where tu goes, without handing it over.
func (r *Router) Route(tu tgbotapi.Update) Routed {
	chat := chatOf(tu)
	if r.cfg.SalesGroup != nil && chat == r.cfg.SalesChatID {
		return Routed{To: ToSalesGroup, ChatID: chat}
	}
	u, ok := ToUpdate(tu)
	if !ok {
		return Routed{To: Ignored, ChatID: chat}
	}
	if r.staff(u) {
		return Routed{To: ToTeam, ChatID: u.ChatID, Update: u}
	}
	return Routed{To: ToCustomers, ChatID: u.ChatID, Update: u}
}

// team reports whether u comes from a team member in their private chat
// with the bot.
func (r *Router) staff(u bot.Update) bool {
	if r.cfg.Team == nil || !u.Private || u.User.ID == 0 {
		return false
	}
	_, ok := r.cfg.Members.ManagerByTelegram(u.User.ID)
	return ok
}

// Handle routes tu and hands it to its destination, returning where it
// went and the destination's error: nil means the update may be
// acknowledged (an ignored one at once), bot.ErrInProgress that another
// replica has it in hand. reply is the webhook request's WebhookReply,
// nil in long polling; the customers' dispatcher gets it on the update
// (bot.Update.Slot), and so does the team, which sends its own calls. A
// panic in a destination is returned as an error, so one bad update
// cannot take the process (or the poll loop) down with it.
func (r *Router) Handle(ctx context.Context, tu tgbotapi.Update, reply *WebhookReply) (rt Routed, err error) {
	rt = r.Route(tu)
	defer func() {
		if v := recover(); v != nil {
			err = &panicError{value: v, stack: debug.Stack()}
		}
	}()
	switch rt.To {
	case ToSalesGroup:
		_, err = r.cfg.SalesGroup.HandleTelegram(ctx, tu)
		return rt, err
	case ToTeam, ToCustomers:
		u := rt.Update
		if reply != nil {
			u.Slot = reply
		}
		if rt.To == ToTeam {
			return rt, r.cfg.Team.Handle(ctx, u)
		}
		return rt, r.cfg.Customers.Handle(ctx, u)
	}
	return rt, nil
}

// chatOf is the chat tu comes from, 0 when it names none.
func chatOf(tu tgbotapi.Update) int64 {
	switch {
	case tu.Message != nil:
		if tu.Message.Chat != nil {
			return tu.Message.Chat.ID
		}
	case tu.EditedMessage != nil:
		if tu.EditedMessage.Chat != nil {
			return tu.EditedMessage.Chat.ID
		}
	case tu.CallbackQuery != nil:
		if m := tu.CallbackQuery.Message; m != nil && m.Chat != nil {
			return m.Chat.ID
		}
	case tu.MyChatMember != nil:
		return tu.MyChatMember.Chat.ID
	}
	return 0
}
