// Package campaign loads marketing campaigns and segments from YAML and
// compiles segment conditions (expr-lang) into crm.Segment: the part a
// store selects by and the part evaluated over its rows. Every problem
// is reported as file:line, like flows lint.
package campaign

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/flows"
)

type fileYAML struct {
	Segments  map[string]string `yaml:"segments"`
	ID        string            `yaml:"id"`
	Name      string            `yaml:"name"`
	Languages []string          `yaml:"languages"`
	Segment   yaml.Node         `yaml:"segment"`
	Trigger   struct {
		At     string `yaml:"at"`
		Cron   string `yaml:"cron"`
		Event  string `yaml:"event"`
		Delay  string `yaml:"delay"`
		Within string `yaml:"within"`
	} `yaml:"trigger"`
	BestTime bool     `yaml:"best_time"`
	Exclude  []string `yaml:"exclude"`
	Goal     struct {
		Kind   string `yaml:"kind"`
		Within string `yaml:"within"`
	} `yaml:"goal"`
	Messages []messageYAML `yaml:"messages"`
	Variants []struct {
		ID       string        `yaml:"id"`
		Weight   *int          `yaml:"weight"`
		Messages []messageYAML `yaml:"messages"`
	} `yaml:"variants"`
}

type messageYAML struct {
	Text    map[string]string `yaml:"text"`
	Buttons []struct {
		Text    map[string]string `yaml:"text"`
		Flow    string            `yaml:"flow"`
		Manager bool              `yaml:"manager"`
		Choice  string            `yaml:"choice"`
	} `yaml:"buttons"`
}

// parsed is one file: its campaign or its segments, and where things are.
type parsed struct {
	file     string
	root     *yaml.Node
	y        fileYAML
	problems flows.Problems
}

func (p *parsed) problem(msg string, path ...string) {
	p.problems = append(p.problems, flows.Problem{File: p.file, Line: lineOf(p.root, path...), Msg: msg})
}

// lineOf is the line of the value at path (mapping keys, sequence
// indices), or of the deepest part of it that exists.
func lineOf(n *yaml.Node, path ...string) int {
	if n == nil {
		return 0
	}
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, key := range path {
		found := false
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == key {
					n, line, found = n.Content[i+1], n.Content[i].Line, true
					break
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(key); err == nil && i < len(n.Content) {
				n, line, found = n.Content[i], n.Content[i].Line, true
			}
		}
		if !found {
			break
		}
	}
	return line
}

// Set is every campaign and named segment of a directory.
type Set struct {
	Campaigns []*crm.Campaign
	Segments  map[string]crm.Segment
}

// LoadDir reads every .yaml/.yml file of dir; a missing dir is an empty set.
func LoadDir(dir string, flowIDs []string) (*Set, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return &Set{Segments: map[string]crm.Segment{}}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("campaigns: %w", err)
	}
	var files []string
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); !e.IsDir() && (ext == ".yaml" || ext == ".yml") {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	return LoadFiles(files, flowIDs)
}

// LoadFiles reads campaign and segment files; the error is flows.Problems
// when any file is wrong. flowIDs are the flows a button may start (nil:
// not checked).
func LoadFiles(files []string, flowIDs []string) (*Set, error) {
	sort.Strings(files)
	var all []*parsed
	var problems flows.Problems
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			problems = append(problems, flows.Problem{File: f, Msg: err.Error()})
			continue
		}
		all = append(all, parse(f, data))
	}
	set := &Set{Segments: map[string]crm.Segment{}}
	segFile := map[string]string{}
	for _, p := range all {
		names := make([]string, 0, len(p.y.Segments))
		for n := range p.y.Segments {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			if other, dup := segFile[n]; dup {
				p.problem(fmt.Sprintf("segment %s is also defined in %s", n, other), "segments", n)
				continue
			}
			seg, err := CompileSegment(n, p.y.Segments[n])
			if err != nil {
				p.problem(oneLine(err), "segments", n)
				continue
			}
			segFile[n] = p.file
			set.Segments[n] = seg
		}
	}
	ids := map[string]string{}
	for _, p := range all {
		if p.y.ID == "" {
			if len(p.y.Segments) == 0 && len(p.problems) == 0 {
				p.problem("a campaign needs an id (or the file defines segments:)")
			}
			continue
		}
		c := p.campaign(set.Segments, flowIDs)
		if other, dup := ids[p.y.ID]; dup {
			p.problem(fmt.Sprintf("campaign %s is also defined in %s", p.y.ID, other), "id")
		}
		ids[p.y.ID] = p.file
		if c != nil {
			set.Campaigns = append(set.Campaigns, c)
		}
	}
	for _, p := range all {
		problems = append(problems, p.problems...)
	}
	if len(problems) > 0 {
		slices.SortStableFunc(problems, func(a, b flows.Problem) int {
			if a.File != b.File {
				return strings.Compare(a.File, b.File)
			}
			return a.Line - b.Line
		})
		return set, problems
	}
	return set, nil
}

func oneLine(err error) string { return strings.ReplaceAll(err.Error(), "\n", " ") }

func parse(file string, data []byte) *parsed {
	p := &parsed{file: file, root: &yaml.Node{}}
	if err := yaml.Unmarshal(data, p.root); err != nil {
		p.problems = append(p.problems, flows.Problem{File: file, Line: yamlLine(err), Msg: oneLine(err)})
		return p
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&p.y); err != nil {
		p.problems = append(p.problems, flows.Problem{File: file, Line: yamlLine(err), Msg: oneLine(err)})
	}
	return p
}

// yamlLine finds "line N" in a YAML error.
func yamlLine(err error) int {
	s := err.Error()
	if i := strings.Index(s, "line "); i >= 0 {
		j := i + 5
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		n, _ := strconv.Atoi(s[i+5 : j])
		return n
	}
	return 0
}

func (p *parsed) duration(s, what string, path ...string) time.Duration {
	if s == "" {
		return 0
	}
	d, err := flows.ParseDuration(s)
	if err != nil || d <= 0 {
		p.problem(fmt.Sprintf("%s: %q is not a duration (like 30d, 12h)", what, s), path...)
		return 0
	}
	return d
}

// campaign builds the campaign of p, reporting its problems.
func (p *parsed) campaign(segments map[string]crm.Segment, flowIDs []string) *crm.Campaign {
	y := p.y
	c := &crm.Campaign{ID: y.ID, Name: y.Name, File: p.file, BestTime: y.BestTime, Languages: y.Languages}
	if c.Name == "" {
		c.Name = c.ID
	}
	if len(c.Languages) == 0 {
		c.Languages = []string{"ru", "en"}
	}
	// The segment: a name, or {name, if}, or a condition written inline.
	switch y.Segment.Kind {
	case 0:
		p.problem("a campaign needs a segment (a name from a segments file, or a condition)", "id")
	case yaml.ScalarNode:
		if seg, ok := segments[y.Segment.Value]; ok {
			c.Segment = seg
		} else if seg, err := CompileSegment(c.ID, y.Segment.Value); err == nil && !isIdent(y.Segment.Value) {
			c.Segment = seg
		} else {
			p.problem(fmt.Sprintf("unknown segment %q", y.Segment.Value), "segment")
		}
	case yaml.MappingNode:
		var s struct {
			Name string `yaml:"name"`
			If   string `yaml:"if"`
		}
		if err := y.Segment.Decode(&s); err != nil {
			p.problem(oneLine(err), "segment")
			break
		}
		if s.Name == "" {
			s.Name = c.ID
		}
		seg, err := CompileSegment(s.Name, s.If)
		if err != nil {
			p.problem(oneLine(err), "segment", "if")
		}
		c.Segment = seg
	}
	t := y.Trigger
	kinds := 0
	for _, set := range []bool{t.At != "", t.Cron != "", t.Event != ""} {
		if set {
			kinds++
		}
	}
	switch {
	case kinds != 1:
		p.problem("a trigger is exactly one of at, cron and event", "trigger")
	case t.At != "":
		c.Trigger.Kind = crm.TriggerOnce
		at, err := time.Parse(time.RFC3339, t.At)
		if err != nil {
			p.problem(fmt.Sprintf("trigger at: %q is not a time like 2026-03-01T10:00:00+03:00", t.At), "trigger", "at")
		}
		c.Trigger.At = at
		c.Trigger.Within = 24 * time.Hour
	case t.Cron != "":
		c.Trigger.Kind = crm.TriggerCron
		c.Trigger.Cron = t.Cron
		if len(strings.Fields(t.Cron)) != 5 {
			p.problem(fmt.Sprintf("trigger cron: %q needs five fields (minute hour day month weekday)", t.Cron), "trigger", "cron")
		}
	default:
		c.Trigger.Kind = crm.TriggerEvent
		c.Trigger.Event = t.Event
		if !slices.Contains(crm.TriggerEvents(), t.Event) {
			p.problem(fmt.Sprintf("trigger event: unknown %q (one of %s)", t.Event, strings.Join(crm.TriggerEvents(), ", ")), "trigger", "event")
		}
		c.Trigger.Delay = p.duration(t.Delay, "trigger delay", "trigger", "delay")
		c.Trigger.Within = 7 * 24 * time.Hour
	}
	if t.Within != "" {
		c.Trigger.Within = p.duration(t.Within, "trigger within", "trigger", "within")
	}
	if t.Delay != "" && t.Event == "" {
		p.problem("trigger delay is for event triggers", "trigger", "delay")
	}
	for i, e := range y.Exclude {
		switch e {
		case "purchased":
			c.ExcludePurchased = true
		case "unreachable", "stopped":
			// always excluded
		default:
			p.problem(fmt.Sprintf("exclude: unknown %q (purchased; unreachable and stopped are always excluded)", e), "exclude", strconv.Itoa(i))
		}
	}
	c.Goal = crm.Goal{Kind: y.Goal.Kind, Within: p.duration(y.Goal.Within, "goal within", "goal", "within")}
	if c.Goal.Kind == "" {
		c.Goal.Kind = crm.GoalReply
	}
	if !slices.Contains([]string{crm.GoalReply, crm.GoalFlow, crm.GoalWon}, c.Goal.Kind) {
		p.problem(fmt.Sprintf("goal kind: unknown %q (reply, flow or won)", c.Goal.Kind), "goal", "kind")
	}
	if c.Goal.Within == 0 {
		c.Goal.Within = 7 * 24 * time.Hour
	}
	switch {
	case len(y.Variants) > 0 && len(y.Messages) > 0:
		p.problem("a campaign has messages or variants, not both", "messages")
	case len(y.Variants) == 0 && len(y.Messages) == 0:
		p.problem("a campaign needs messages (or variants with messages)", "id")
	case len(y.Messages) > 0:
		c.Variants = []crm.Variant{{ID: "a", Weight: 1, Messages: p.messages(c, y.Messages, flowIDs, "messages")}}
	}
	seen := map[string]bool{}
	for i, v := range y.Variants {
		at := []string{"variants", strconv.Itoa(i)}
		w := 1
		if v.Weight != nil {
			w = *v.Weight
		}
		if v.ID == "" || seen[v.ID] {
			p.problem(fmt.Sprintf("variant %d needs an id of its own", i+1), at...)
		}
		if w < 0 {
			p.problem("a variant's weight is 0 or more", append(at, "weight")...)
		}
		seen[v.ID] = true
		if len(v.Messages) == 0 {
			p.problem(fmt.Sprintf("variant %s has no messages", v.ID), at...)
		}
		c.Variants = append(c.Variants, crm.Variant{ID: v.ID, Weight: w, Messages: p.messages(c, v.Messages, flowIDs, append(at, "messages")...)})
	}
	if len(p.problems) > 0 {
		return nil
	}
	return c
}

func (p *parsed) messages(c *crm.Campaign, ms []messageYAML, flowIDs []string, path ...string) []crm.CampaignMessage {
	var out []crm.CampaignMessage
	for i, m := range ms {
		at := append(slices.Clone(path), strconv.Itoa(i))
		for _, lang := range c.Languages {
			if strings.TrimSpace(m.Text[lang]) == "" {
				p.problem(fmt.Sprintf("message %d has no %s text", i+1, lang), append(at, "text")...)
			}
		}
		for _, ph := range placeholders(m.Text) {
			if !slices.Contains(Placeholders(), ph) {
				p.problem(fmt.Sprintf("unknown placeholder {%s} (one of {%s})", ph, strings.Join(Placeholders(), "}, {")), append(at, "text")...)
			}
		}
		msg := crm.CampaignMessage{Text: m.Text}
		for j, b := range m.Buttons {
			bat := append(slices.Clone(at), "buttons", strconv.Itoa(j))
			btn := crm.CampaignButton{Text: b.Text}
			n := 0
			if b.Flow != "" {
				btn.Action, btn.Value, n = crm.ActionFlow, b.Flow, n+1
				if flowIDs != nil && !slices.Contains(flowIDs, b.Flow) {
					p.problem(fmt.Sprintf("button starts an unknown flow %q", b.Flow), append(bat, "flow")...)
				}
			}
			if b.Manager {
				btn.Action, n = crm.ActionManager, n+1
			}
			if b.Choice != "" {
				btn.Action, btn.Value, n = crm.ActionChoice, b.Choice, n+1
			}
			if n != 1 {
				p.problem("a button does exactly one of flow, manager and choice", bat...)
			}
			for _, lang := range c.Languages {
				if strings.TrimSpace(b.Text[lang]) == "" {
					p.problem(fmt.Sprintf("button %d has no %s text", j+1, lang), append(bat, "text")...)
				}
			}
			msg.Buttons = append(msg.Buttons, btn)
		}
		out = append(out, msg)
	}
	return out
}

// Placeholders are the fields a campaign text may name in braces.
func Placeholders() []string { return []string{"name", "first_name", "manager", "campaign"} }

func placeholders(texts map[string]string) []string {
	var out []string
	for _, t := range texts {
		for {
			i := strings.IndexByte(t, '{')
			if i < 0 {
				break
			}
			j := strings.IndexByte(t[i:], '}')
			if j < 0 {
				break
			}
			out = append(out, t[i+1:i+j])
			t = t[i+j+1:]
		}
	}
	return out
}

func isIdent(s string) bool {
	for _, r := range s {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}
