package slackfake

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// Press is a button press as Slack posts it to the app's interactivity
// URL (a block_actions payload). Build one from a message with Call.Press
// or Message.Press; Body is what to POST, signed.
type Press struct {
	UserID    string
	TeamID    string
	ChannelID string
	MessageTS string
	ThreadTS  string
	BlockID   string
	ActionID  string
	Value     string
	// Selected, when set, makes the press a pick in a static select (a
	// card's menu) of the option with this value.
	Selected string
	// TriggerID and ActionTS identify this press; Slack sends the same ones
	// again in a repeated delivery. Call.Press and Message.Press make them
	// up; a Press written by hand sends what it holds.
	TriggerID string
	ActionTS  string
}

// Press builds a press of the button with actionID on the message this
// call posted, by userID. ok is false when the message has no such button.
func (c Call) Press(userID, actionID string) (Press, bool) {
	return press(c.ChannelID, c.TS, c.ThreadTS, c.Blocks, userID, actionID)
}

// Press builds a press of the button with actionID on the message as it
// stands now, by userID.
func (m Message) Press(userID, actionID string) (Press, bool) {
	return press(m.ChannelID, m.TS, m.ThreadTS, m.Blocks, userID, actionID)
}

func press(channelID, ts, threadTS string, blocks json.RawMessage, userID, actionID string) (Press, bool) {
	b, ok := findButton(Buttons(blocks), actionID)
	if !ok {
		return Press{}, false
	}
	return Press{
		UserID: userID, TeamID: TeamID, ChannelID: channelID, MessageTS: ts, ThreadTS: threadTS,
		BlockID: b.BlockID, ActionID: b.ActionID, Value: b.Value,
		TriggerID: randomID("trigger."), ActionTS: randomTS(),
	}, true
}

// Payload is the press as Slack's JSON.
func (p Press) Payload() []byte {
	container := map[string]any{"type": "message", "message_ts": p.MessageTS, "channel_id": p.ChannelID, "is_ephemeral": false}
	if p.ThreadTS != "" {
		container["thread_ts"] = p.ThreadTS
	}
	body := map[string]any{
		"type":       "block_actions",
		"user":       map[string]any{"id": p.UserID, "team_id": p.TeamID},
		"api_app_id": "A0VORONKA",
		"team":       map[string]any{"id": p.TeamID},
		"container":  container,
		"trigger_id": p.TriggerID,
		"channel":    map[string]any{"id": p.ChannelID},
		"message":    map[string]any{"type": "message", "ts": p.MessageTS},
		"actions": []any{map[string]any{
			"type":      "button",
			"block_id":  p.BlockID,
			"action_id": p.ActionID,
			"value":     p.Value,
			"action_ts": p.ActionTS,
		}},
	}
	if p.Selected != "" {
		body["actions"] = []any{map[string]any{
			"type":            "static_select",
			"block_id":        p.BlockID,
			"action_id":       p.ActionID,
			"selected_option": map[string]any{"value": p.Selected, "text": map[string]any{"type": "plain_text", "text": p.Selected}},
			"action_ts":       p.ActionTS,
		}}
	}
	out, _ := json.Marshal(body)
	return out
}

// Body is the form body Slack posts: payload=<the JSON>.
func (p Press) Body() []byte { return formBody(p.Payload()) }

// Submission is a modal submitted (a view_submission payload). Build one
// from the views.open call that opened the modal with Call.Submit.
type Submission struct {
	UserID          string
	TeamID          string
	TriggerID       string
	ViewID          string
	ViewHash        string
	CallbackID      string
	PrivateMetadata string
	// Values is state.values: block id → action id → the element's state.
	Values map[string]map[string]any
}

// Submit fills the input blocks of the modal this views.open call opened,
// in order, with answers, as userID would: a number or text input takes
// the answer as typed; a static select takes the option whose value or
// text is the answer (or the answer itself as the value, to send one the
// modal never offered).
func (c Call) Submit(userID string, answers ...string) (Submission, error) {
	if c.Method != "views.open" {
		return Submission{}, fmt.Errorf("slackfake: submit a %s call: only views.open opens a modal", c.Method)
	}
	var view struct {
		CallbackID      string `json:"callback_id"`
		PrivateMetadata string `json:"private_metadata"`
		Blocks          []struct {
			Type    string `json:"type"`
			BlockID string `json:"block_id"`
			Element struct {
				Type     string `json:"type"`
				ActionID string `json:"action_id"`
				Options  []struct {
					Text  map[string]any `json:"text"`
					Value string         `json:"value"`
				} `json:"options"`
			} `json:"element"`
		} `json:"blocks"`
	}
	if err := json.Unmarshal(c.View, &view); err != nil {
		return Submission{}, fmt.Errorf("slackfake: read view: %w", err)
	}
	s := Submission{
		UserID: userID, TeamID: TeamID, TriggerID: randomID("trigger."),
		ViewID: c.ViewID, ViewHash: c.ViewHash, CallbackID: view.CallbackID, PrivateMetadata: view.PrivateMetadata,
		Values: map[string]map[string]any{},
	}
	i := 0
	for _, b := range view.Blocks {
		if b.Type != "input" {
			continue
		}
		if i >= len(answers) {
			break
		}
		answer := answers[i]
		i++
		el := b.Element
		state := map[string]any{"type": el.Type}
		switch el.Type {
		case "static_select":
			option := map[string]any{"text": map[string]any{"type": "plain_text", "text": answer}, "value": answer}
			for _, o := range el.Options {
				if o.Value == answer || o.Text["text"] == answer {
					option = map[string]any{"text": o.Text, "value": o.Value}
					break
				}
			}
			state["selected_option"] = option
		default:
			state["value"] = answer
		}
		s.Values[b.BlockID] = map[string]any{el.ActionID: state}
	}
	if i < len(answers) {
		return Submission{}, fmt.Errorf("slackfake: the modal has %d inputs, got %d answers", i, len(answers))
	}
	return s, nil
}

// Payload is the submission as Slack's JSON.
func (s Submission) Payload() []byte {
	body := map[string]any{
		"type":       "view_submission",
		"user":       map[string]any{"id": s.UserID, "team_id": s.TeamID},
		"team":       map[string]any{"id": s.TeamID},
		"api_app_id": "A0VORONKA",
		"trigger_id": s.TriggerID,
		"view": map[string]any{
			"id":               s.ViewID,
			"team_id":          s.TeamID,
			"type":             "modal",
			"hash":             s.ViewHash,
			"callback_id":      s.CallbackID,
			"private_metadata": s.PrivateMetadata,
			"state":            map[string]any{"values": s.Values},
		},
	}
	out, _ := json.Marshal(body)
	return out
}

// Body is the form body Slack posts: payload=<the JSON>.
func (s Submission) Body() []byte { return formBody(s.Payload()) }

func formBody(payload []byte) []byte {
	return []byte(url.Values{"payload": {string(payload)}}.Encode())
}

func randomID(prefix string) string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return prefix + hex.EncodeToString(b[:])
}

func randomTS() string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	digits := strings.Map(func(r rune) rune {
		if r >= 'a' {
			return '0' + (r-'a')%10
		}
		return r
	}, h)
	return "17" + digits[:8] + "." + digits[8:12] + "00"
}
