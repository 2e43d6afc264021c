package slackfake

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
)

// Button is a button found in a message's or a view's blocks.
type Button struct {
	BlockID  string
	ActionID string
	Text     string
	Value    string
	URL      string
	Style    string
}

// Buttons lists the buttons in blocks, in order: in actions blocks and as
// section accessories. A block without a block_id gets the one Slack would
// make up for it ("b<index>"), so that a Press built from it parses.
func Buttons(blocks json.RawMessage) []Button {
	var list []map[string]any
	if json.Unmarshal(blocks, &list) != nil {
		return nil
	}
	var out []Button
	for i, b := range list {
		blockID, _ := b["block_id"].(string)
		if blockID == "" {
			blockID = "b" + strconv.Itoa(i)
		}
		var elements []any
		if els, ok := b["elements"].([]any); ok && b["type"] == "actions" {
			elements = els
		}
		if acc, ok := b["accessory"]; ok {
			elements = append(elements, acc)
		}
		for _, e := range elements {
			el, ok := e.(map[string]any)
			if !ok || el["type"] != "button" {
				continue
			}
			btn := Button{BlockID: blockID}
			btn.ActionID, _ = el["action_id"].(string)
			btn.Value, _ = el["value"].(string)
			btn.URL, _ = el["url"].(string)
			btn.Style, _ = el["style"].(string)
			if t, ok := el["text"].(map[string]any); ok {
				btn.Text, _ = t["text"].(string)
			}
			out = append(out, btn)
		}
	}
	return out
}

// Texts is every text object's text in blocks, or in any Block Kit JSON
// such as a view (headers, sections, fields, context, button labels,
// options), one a line, for substring checks.
func Texts(blocks json.RawMessage) string {
	var v any
	if json.Unmarshal(blocks, &v) != nil {
		return ""
	}
	var lines []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if t, ok := x["text"].(string); ok && (x["type"] == "plain_text" || x["type"] == "mrkdwn") {
				lines = append(lines, t)
			}
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				walk(x[k])
			}
		case []any:
			for _, c := range x {
				walk(c)
			}
		}
	}
	walk(v)
	return strings.Join(lines, "\n")
}

// Buttons lists the buttons of the message the call sent.
func (c Call) Buttons() []Button { return Buttons(c.Blocks) }

// Texts is every text in the blocks the call sent.
func (c Call) Texts() string { return Texts(c.Blocks) }

// Buttons lists the message's buttons as they stand now.
func (m Message) Buttons() []Button { return Buttons(m.Blocks) }

// Texts is every text in the message's blocks as they stand now.
func (m Message) Texts() string { return Texts(m.Blocks) }

// findButton finds a button by action id.
func findButton(buttons []Button, actionID string) (Button, bool) {
	for _, b := range buttons {
		if b.ActionID == actionID {
			return b, true
		}
	}
	return Button{}, false
}
