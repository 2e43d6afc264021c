// Package console is the terminal channel behind `voronka chat`: one
// customer talking to the bot through standard input and output, so
// operators and flow authors can try a flow without Telegram, and scripts
// and tests can drive it through a pipe.
//
// What the customer types becomes a bot.Update the way Telegram would
// deliver it:
//
//   - a number that matches one of the buttons shown under the bot's last
//     message presses that button (an InputButton carrying the button's
//     data), as tapping it would in Telegram;
//   - "/contact +79161234567" shares the customer's own contact card (an
//     InputContact whose UserID is the console user), as Telegram's
//     "share my number" keyboard button does;
//   - "/name args" is a command ("/start s-google" is a start link);
//   - a line starting with a backslash is sent as text without it, so
//     "\1" answers "1" even when a button is numbered 1;
//   - "/quit" and "/exit", like the end of input, end the session;
//   - anything else is text; empty lines are ignored.
//
// What the bot sends is rendered as plain text with no terminal control
// codes unless Options.Color asks for them: "bot: " and the text, the
// inline buttons numbered as "[1] Buy  [2] Pricing", and a contact request
// as a hint to type /contact. Nothing assumes a terminal.
package console

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/voronka/voronka/bot"
)

// Options configure a Console.
type Options struct {
	// User is the customer at the keyboard; User.ID is also the chat id.
	User bot.User
	// Echo writes every line read back to the output after "you: ", so a
	// transcript of a scripted session reads like the dialogue. Without it
	// a "you: " prompt is written before each line is read, for a person
	// typing at a terminal that echoes by itself.
	Echo bool
	// Color adds ANSI colours; off by default so output can be piped and
	// compared.
	Color bool
	// Width is the widest line of buttons laid out side by side (default
	// 76 characters); wider sets are shown one row per line.
	Width int
}

// Console renders bot messages to a writer and turns typed lines into
// updates. It implements bot.Sender for the console user's chat. It is safe
// for concurrent use.
type Console struct {
	opts Options

	mu     sync.Mutex
	out    io.Writer
	lastID int
	// buttons are the callback buttons a typed number presses: those of
	// the newest message (or the last one edited), in display order.
	buttons    []bot.Button
	buttonsMsg int
	callbacks  int
}

var _ bot.Sender = (*Console)(nil)

// New returns a Console writing to out.
func New(out io.Writer, opts Options) *Console {
	if opts.Width <= 0 {
		opts.Width = 76
	}
	return &Console{out: out, opts: opts}
}

// ANSI styles, used only with Options.Color.
const (
	styleBot    = "\x1b[1;36m"
	styleYou    = "\x1b[1;32m"
	styleButton = "\x1b[1m"
	styleHint   = "\x1b[2m"
	styleReset  = "\x1b[0m"
)

func (c *Console) style(style, s string) string {
	if !c.opts.Color || s == "" {
		return s
	}
	return style + s + styleReset
}

// indent aligns buttons and continuation lines under the text after "bot: ".
const indent = "     "

// Send renders m and returns its message id: 1, 2, 3... for new messages,
// m.EditMessageID for an edit, which is shown again in full.
func (c *Console) Send(ctx context.Context, m bot.Message) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	id := m.EditMessageID
	if id == 0 {
		c.lastID++
		id = c.lastID
	}

	var b strings.Builder
	prefix := "bot"
	if m.ChatID != 0 && m.ChatID != c.opts.User.ID {
		// Not the customer's chat (a notice for a sales group, say): show
		// where it would have gone rather than pretend it was for them.
		prefix += " → chat " + strconv.FormatInt(m.ChatID, 10)
	}
	if m.EditMessageID != 0 {
		prefix += " (edited)"
	}
	b.WriteString(c.style(styleBot, prefix+":"))
	for i, line := range strings.Split(m.Text, "\n") {
		if i > 0 {
			b.WriteString("\n" + indent)
		} else {
			b.WriteString(" ")
		}
		b.WriteString(line)
	}
	b.WriteString("\n")
	// A terminal shows no pictures: the attachment is named, not drawn.
	if m.Photo != nil {
		b.WriteString(indent + c.style(styleHint, fmt.Sprintf("[photo %s, %d bytes]", m.PhotoName, len(m.Photo))) + "\n")
	}
	if m.Document != nil {
		b.WriteString(indent + c.style(styleHint, fmt.Sprintf("[document %s, %d bytes]", m.DocumentName, len(m.Document))) + "\n")
	}

	var pressable []bot.Button
	var links []bot.Button
	var rows [][]string
	for _, row := range m.Buttons {
		var labels []string
		for _, btn := range row {
			switch {
			case btn.Data != "":
				pressable = append(pressable, btn)
				labels = append(labels, c.style(styleButton, "["+strconv.Itoa(len(pressable))+"]")+" "+btn.Text)
			case btn.URL != "":
				links = append(links, btn)
			}
		}
		if len(labels) > 0 {
			rows = append(rows, labels)
		}
	}
	c.writeButtons(&b, rows)
	for _, l := range links {
		b.WriteString(indent + c.style(styleHint, "[link]") + " " + l.Text + ": " + l.URL + "\n")
	}
	if m.RequestContact != "" {
		b.WriteString(indent + c.style(styleHint, "["+m.RequestContact+"] type /contact and your number, e.g. /contact +79161234567") + "\n")
	}

	// A typed number presses the buttons on screen: a new message replaces
	// them (with its own, or with none), an edit updates them.
	if len(pressable) > 0 || m.EditMessageID == 0 || m.EditMessageID == c.buttonsMsg {
		c.buttons, c.buttonsMsg = pressable, id
	}
	if _, err := io.WriteString(c.out, b.String()); err != nil {
		return 0, fmt.Errorf("console: write: %w", err)
	}
	return id, nil
}

// writeButtons lays the rows out side by side when they fit in the width,
// and one row per line otherwise.
func (c *Console) writeButtons(b *strings.Builder, rows [][]string) {
	if len(rows) == 0 {
		return
	}
	var all []string
	for _, r := range rows {
		all = append(all, r...)
	}
	line := strings.Join(all, "  ")
	if visibleLen(line) <= c.opts.Width {
		b.WriteString(indent + line + "\n")
		return
	}
	for _, r := range rows {
		b.WriteString(indent + strings.Join(r, "  ") + "\n")
	}
}

// visibleLen counts the characters of s a terminal shows, skipping ANSI
// styles.
func visibleLen(s string) int {
	n := 0
	for i := 0; i < len(s); {
		if s[i] == '\x1b' {
			if j := strings.IndexByte(s[i:], 'm'); j >= 0 {
				i += j + 1
				continue
			}
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		i += size
		n++
	}
	return n
}

// AnswerCallback shows the short notice Telegram would pop up over a
// pressed button, if there is one.
func (c *Console) AnswerCallback(ctx context.Context, a bot.CallbackAnswer) error {
	if a.Text == "" {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, err := io.WriteString(c.out, c.style(styleBot, "bot (notice):")+" "+a.Text+"\n"); err != nil {
		return fmt.Errorf("console: write: %w", err)
	}
	return nil
}

// Note writes a line of the console's own (a usage hint, an error), set
// apart from what the bot says.
func (c *Console) Note(text string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, _ = io.WriteString(c.out, c.style(styleHint, "("+text+")")+"\n")
}

// Action is what a typed line asks for.
type Action int

const (
	// Skip: nothing to send (an empty line, or a console hint was shown).
	Skip Action = iota
	// Deliver: hand the update to the bot.
	Deliver
	// Quit: end the session.
	Quit
)

// Parse turns one typed line into an update for the bot. It presses a
// button when the line is the number of one on screen, so it depends on
// what was sent before.
func (c *Console) Parse(line string) (bot.Update, Action) {
	line = strings.TrimRight(line, "\r\n")
	trimmed := strings.TrimSpace(line)
	u := bot.Update{ChatID: c.opts.User.ID, Private: true, User: c.opts.User}
	switch {
	case trimmed == "":
		return u, Skip
	case strings.HasPrefix(trimmed, `\`):
		u.Kind, u.Text = bot.InputText, strings.TrimPrefix(trimmed, `\`)
		if strings.TrimSpace(u.Text) == "" {
			return u, Skip
		}
		return u, Deliver
	}
	if name, args, ok := parseCommand(trimmed); ok {
		switch name {
		case "quit", "exit":
			return u, Quit
		case "contact":
			if args == "" {
				c.Note("type /contact and your phone number, e.g. /contact +79161234567")
				return u, Skip
			}
			u.Kind = bot.InputContact
			u.Contact = &bot.SharedContact{Phone: args, UserID: c.opts.User.ID,
				FirstName: c.opts.User.FirstName, LastName: c.opts.User.LastName}
			return u, Deliver
		}
		u.Kind, u.Command, u.Text = bot.InputCommand, name, args
		return u, Deliver
	}
	if n, err := strconv.Atoi(trimmed); err == nil {
		c.mu.Lock()
		if n >= 1 && n <= len(c.buttons) {
			c.callbacks++
			u.Kind, u.Button, u.ButtonMessageID = bot.InputButton, c.buttons[n-1].Data, c.buttonsMsg
			u.CallbackID = "console-" + strconv.Itoa(c.callbacks)
			c.mu.Unlock()
			return u, Deliver
		}
		c.mu.Unlock()
	}
	u.Kind, u.Text = bot.InputText, line
	return u, Deliver
}

// parseCommand reads "/name[@bot] [args]" the way the Telegram adapter
// does: a name of letters, digits and _, lower-cased, at most 32 long.
func parseCommand(s string) (name, args string, ok bool) {
	text, found := strings.CutPrefix(s, "/")
	if !found {
		return "", "", false
	}
	n := nameLen(text)
	if n == 0 || n > 32 {
		return "", "", false
	}
	rest := text[n:]
	if rest != "" && rest[0] != ' ' && rest[0] != '\t' && rest[0] != '@' {
		return "", "", false // "/1.5" or "/ok?" is text, not a command
	}
	name = strings.ToLower(text[:n])
	if at, ok := strings.CutPrefix(rest, "@"); ok {
		rest = at[nameLen(at):]
	}
	return name, strings.TrimSpace(rest), true
}

func nameLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			return i
		}
	}
	return len(s)
}

// Say handles one typed line: it parses it and, unless there is nothing
// to send, hands the update to h. It reports whether the session goes on.
// An error from h is shown to the customer and logged by the caller's
// handler; the session goes on, as a Telegram chat would.
func (c *Console) Say(ctx context.Context, h bot.Handler, line string) (more bool) {
	u, action := c.Parse(line)
	switch action {
	case Quit:
		return false
	case Skip:
		return true
	}
	if err := h.Handle(ctx, u); err != nil {
		if ctx.Err() != nil {
			return false
		}
		c.Note("the bot could not handle that: " + err.Error())
	}
	return true
}

// Run reads lines from in and says each of them, until the input ends,
// a line asks to quit, ctx is done, or after returns true. after is called
// once each line has been handled (nil means never stop early); an error
// from it ends the session with that error. A read error ends it too; the
// end of input does not count as one.
func (c *Console) Run(ctx context.Context, in io.Reader, h bot.Handler, after func(context.Context) (bool, error)) error {
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		// A goroutine, so a cancelled ctx ends the session even while a
		// person has not finished typing (the read itself cannot be
		// interrupted and ends with the process).
		defer close(lines)
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64*1024), 1<<20)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			case <-ctx.Done():
				return
			}
		}
		readErr <- sc.Err()
	}()
	for {
		if !c.opts.Echo {
			c.prompt()
		}
		var line string
		var ok bool
		select {
		case <-ctx.Done():
			return nil
		case line, ok = <-lines:
		}
		if !ok {
			if err := <-readErr; err != nil {
				return fmt.Errorf("console: read input: %w", err)
			}
			return nil
		}
		if c.opts.Echo {
			c.echo(line)
		}
		if !c.Say(ctx, h, line) {
			return nil
		}
		if after != nil {
			stop, err := after(ctx)
			if err != nil {
				return err
			}
			if stop {
				return nil
			}
		}
	}
}

func (c *Console) prompt() {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, _ = io.WriteString(c.out, c.style(styleYou, "you:")+" ")
}

// Echo writes a line as typed by the customer ("you: ..."), for
// transcripts of scripted sessions.
func (c *Console) echo(line string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, _ = io.WriteString(c.out, c.style(styleYou, "you:")+" "+strings.TrimRight(line, "\r\n")+"\n")
}

// Echo writes line as typed by the customer, for a line the caller says on
// their behalf (the automatic /start of `voronka chat`).
func (c *Console) Echo(line string) { c.echo(line) }
