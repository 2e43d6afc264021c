package flows

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/conf"
	"gopkg.in/yaml.v3"

	"github.com/voronka/voronka/crm"
)

// Parse reads one flow from YAML and validates it. file names the source in
// problems. The error, when not nil, is Problems listing everything wrong.
func Parse(file string, data []byte) (*Flow, error) {
	p := &parser{file: file}
	f := p.decode(data)
	if f != nil {
		p.validate(f)
	}
	if err := p.probs.err(); err != nil {
		return nil, err
	}
	return f, nil
}

// parser walks the YAML node tree by hand instead of unmarshalling into
// structs: that keeps the line of every key for problems, lets one pass
// report every unknown key and every wrongly typed value, not just the first
// (yaml.v3's KnownFields stops at the first), and never lets a typo vanish.
type parser struct {
	file  string
	probs Problems
	// failed are top-level keys whose value could not be read, and broken
	// is set when steps reference missing steps or lead nowhere: checks
	// that would only repeat such a problem in other words are skipped.
	failed map[string]bool
	broken bool
	// vars are the typed stand-ins of the steps for conditions (condVars).
	vars     map[string]any
	exprConf *conf.Config // one for every condition of the flow: see condConfig
}

func (p *parser) add(line int, step, format string, args ...any) {
	p.probs = append(p.probs, Problem{File: p.file, Line: line, Step: step, Msg: fmt.Sprintf(format, args...)})
}

// yamlLine finds "line N" in a yaml.v3 error, which has no structured form.
var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// decode turns data into a Flow with every field the file sets; problems of
// form (syntax, unknown keys, wrong types) are recorded on the way. It
// returns nil when the file is not a mapping at all.
func (p *parser) decode(data []byte) *Flow {
	root, err := p.document(data)
	if err != nil {
		msg := err.Error()
		line := 0
		if m := yamlLine.FindStringSubmatch(msg); m != nil {
			line, _ = strconv.Atoi(m[1])
			msg = strings.TrimPrefix(msg, m[0])
		}
		msg = strings.TrimPrefix(msg, "yaml: ")
		if strings.HasPrefix(msg, "did not find expected") && line > 0 {
			// yaml.v3 numbers lines from 1 for scanner errors but from 0 for
			// parser errors, which all read "did not find expected …" and
			// point at where the unclosed construct began.
			line++
		}
		p.add(line, "", "YAML syntax: %s", msg)
		return nil
	}
	if root == nil {
		p.add(0, "", "empty file: a flow needs id, version, languages, thresholds and steps")
		return nil
	}
	if p.aliases(root) {
		return nil
	}
	pairs, ok := p.mapping(root, "", "the flow")
	if !ok {
		return nil
	}
	f := &Flow{File: p.file, PhoneRegion: "RU", pos: map[string]int{}}
	p.known(pairs, "", "flow", "id", "version", "languages", "thresholds", "expect", "start", "phone_region", "steps", "texts", "followups", "experiments")
	p.failed = map[string]bool{}
	for _, kv := range pairs {
		f.pos[kv.key] = kv.k.Line
		v := kv.v
		before := len(p.probs)
		p.topLevel(f, kv.key, v)
		p.failed[kv.key] = len(p.probs) > before
	}
	return f
}

// topLevel reads one top-level key of the flow.
func (p *parser) topLevel(f *Flow, key string, v *yaml.Node) {
	switch key {
	case "id":
		f.ID, _ = p.str(v, "", "id")
	case "version":
		f.Version, _ = p.integer(v, "", "version")
	case "languages":
		for _, n := range p.seq(v, "", "languages") {
			if l, ok := p.str(n, "", "a language"); ok {
				f.Languages = append(f.Languages, l)
			}
		}
	case "thresholds":
		f.Thresholds = p.thresholds(v)
	case "expect":
		f.Expect = p.expect(v)
	case "start":
		f.Start, _ = p.str(v, "", "start")
	case "phone_region":
		f.PhoneRegion, _ = p.str(v, "", "phone_region")
	case "steps":
		for _, n := range p.seq(v, "", "steps") {
			if s := p.step(n); s != nil {
				f.Steps = append(f.Steps, s)
			}
		}
	case "texts":
		f.Texts = p.texts(v)
	case "followups":
		f.Followups = p.followups(v)
	case "experiments":
		f.Experiments = p.experiments(v)
	}
}

// followups reads the flow's own follow-up policy of stalled dialogues.
func (p *parser) followups(n *yaml.Node) *Followups {
	pairs, ok := p.mapping(n, "", "followups")
	if !ok {
		return nil
	}
	p.known(pairs, "", "followups", "nudge_after", "ask_after", "max_nudges")
	out := &Followups{}
	for _, kv := range pairs {
		switch kv.key {
		case "max_nudges":
			out.MaxNudges, _ = p.integer(kv.v, "", "followups.max_nudges")
			if out.MaxNudges < 0 || out.MaxNudges > 2 {
				p.add(kv.v.Line, "", "followups.max_nudges: must be 0, 1 or 2 (the nudge, then \"what happened?\")")
			}
		default:
			s, ok := p.str(kv.v, "", "followups."+kv.key)
			if !ok {
				continue
			}
			d, err := ParseDuration(s)
			if err != nil {
				p.add(kv.v.Line, "", "followups.%s: %v", kv.key, err)
				continue
			}
			if kv.key == "nudge_after" {
				out.NudgeAfter = d
			} else {
				out.AskAfter = d
			}
		}
	}
	if out.NudgeAfter > 0 && out.AskAfter > 0 && out.AskAfter <= out.NudgeAfter {
		p.add(n.Line, "", "followups: ask_after must be later than nudge_after")
	}
	return out
}

// document parses the YAML. yaml.v3 has panicked on hostile input before
// (CVE-2022-28948); a flow file is operator input, so a panic there is turned
// into a problem instead of taking down `voronka serve` or `flows lint`.
func (p *parser) document(data []byte) (root *yaml.Node, err error) {
	defer func() {
		if r := recover(); r != nil {
			root, err = nil, fmt.Errorf("yaml: unreadable document (%v)", r)
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	var more yaml.Node
	if err := dec.Decode(&more); err == nil {
		p.add(more.Line, "", "a file holds one flow; found a second YAML document")
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// aliases reports anchors' aliases. They are refused rather than expanded:
// expanding nested aliases is the "billion laughs" blow-up, and a flow is
// short enough to write out.
func (p *parser) aliases(n *yaml.Node) bool {
	found := false
	var walk func(n *yaml.Node)
	walk = func(n *yaml.Node) {
		if n.Kind == yaml.AliasNode {
			p.add(n.Line, "", "YAML aliases (*%s) are not supported: write the value out", n.Value)
			found = true
			return
		}
		for _, c := range n.Content {
			walk(c)
		}
	}
	walk(n)
	return found
}

// pair is one key of a mapping with its nodes.
type pair struct {
	key  string
	k, v *yaml.Node
}

// mapping returns the pairs of a mapping node, reporting a non-mapping and
// repeated keys (yaml.v3 keeps both when decoding into a Node).
func (p *parser) mapping(n *yaml.Node, step, what string) ([]pair, bool) {
	if n.Kind != yaml.MappingNode {
		p.add(n.Line, step, "%s must be a mapping (key: value)", what)
		return nil, false
	}
	seen := map[string]bool{}
	var out []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			p.add(k.Line, step, "keys of %s must be plain words", what)
			continue
		}
		if seen[k.Value] {
			p.add(k.Line, step, "duplicate key %q in %s", k.Value, what)
			continue
		}
		seen[k.Value] = true
		out = append(out, pair{key: k.Value, k: k, v: v})
	}
	return out, true
}

// known reports keys outside the known set, suggesting the closest one so a
// typo like `nxet:` is caught at load instead of silently doing nothing.
func (p *parser) known(pairs []pair, step, what string, keys ...string) {
	for _, kv := range pairs {
		if !contains(keys, kv.key) {
			p.add(kv.k.Line, step, "unknown key %q in %s%s", kv.key, what, suggest(kv.key, keys))
		}
	}
}

func (p *parser) seq(n *yaml.Node, step, what string) []*yaml.Node {
	if n.Kind != yaml.SequenceNode {
		p.add(n.Line, step, "%s must be a list", what)
		return nil
	}
	return n.Content
}

func (p *parser) str(n *yaml.Node, step, what string) (string, bool) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		p.add(n.Line, step, "%s must be a text value", what)
		return "", false
	}
	return n.Value, true
}

func (p *parser) integer(n *yaml.Node, step, what string) (int, bool) {
	var v int
	if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&v) != nil {
		p.add(n.Line, step, "%s must be a whole number, not %q", what, n.Value)
		return 0, false
	}
	return v, true
}

func (p *parser) float(n *yaml.Node, step, what string) (*float64, bool) {
	var v float64
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!int" && n.Tag != "!!float") || n.Decode(&v) != nil ||
		math.IsInf(v, 0) || math.IsNaN(v) {
		p.add(n.Line, step, "%s must be a number, not %q", what, n.Value)
		return nil, false
	}
	return &v, true
}

func (p *parser) boolean(n *yaml.Node, step, what string) bool {
	var v bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&v) != nil {
		p.add(n.Line, step, "%s must be true or false, not %q", what, n.Value)
		return false
	}
	return v
}

// text reads a {lang: text} mapping; which languages it must have is
// checked later, against the flow's languages.
func (p *parser) text(n *yaml.Node, step, what string) Text {
	pairs, ok := p.mapping(n, step, what+` (a mapping like {ru: "…", en: "…"})`)
	if !ok {
		return nil
	}
	t := Text{}
	for _, kv := range pairs {
		if s, ok := p.str(kv.v, step, fmt.Sprintf("%s.%s", what, kv.key)); ok {
			t[kv.key] = s
		}
	}
	return t
}

func (p *parser) thresholds(n *yaml.Node) crm.Thresholds {
	var t crm.Thresholds
	pairs, ok := p.mapping(n, "", "thresholds")
	if !ok {
		return t
	}
	p.known(pairs, "", "thresholds", "hot", "warm")
	for _, kv := range pairs {
		switch kv.key {
		case "hot":
			t.Hot, _ = p.integer(kv.v, "", "thresholds.hot")
		case "warm":
			t.Warm, _ = p.integer(kv.v, "", "thresholds.warm")
		}
	}
	return t
}

func (p *parser) expect(n *yaml.Node) map[crm.Temperature]time.Duration {
	pairs, ok := p.mapping(n, "", "expect")
	if !ok {
		return nil
	}
	p.known(pairs, "", "expect", string(crm.Hot), string(crm.Warm), string(crm.Cold))
	out := map[crm.Temperature]time.Duration{}
	for _, kv := range pairs {
		s, ok := p.str(kv.v, "", "expect."+kv.key)
		if !ok {
			continue
		}
		d, err := ParseDuration(s)
		if err != nil {
			p.add(kv.v.Line, "", "expect.%s: %v", kv.key, err)
			continue
		}
		out[crm.Temperature(kv.key)] = d
	}
	return out
}

// ParseDuration is time.ParseDuration plus a leading whole-days part ("2d",
// "1d12h"), because promises to customers are made in days and Go has no
// day unit.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if i := strings.IndexByte(s, 'd'); i > 0 {
		days, err := strconv.Atoi(s[:i])
		if err != nil || days < 0 || days > 3650 {
			return 0, fmt.Errorf("%q is not a duration like 15m, 4h or 2d", s)
		}
		d = time.Duration(days) * 24 * time.Hour
		s = s[i+1:]
	}
	if s != "" {
		rest, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%q is not a duration like 15m, 4h or 2d", s)
		}
		d += rest
	}
	if d <= 0 {
		return 0, errors.New("a duration must be positive, like 15m, 4h or 2d")
	}
	return d, nil
}

func (p *parser) texts(n *yaml.Node) map[string]Text {
	pairs, ok := p.mapping(n, "", "texts")
	if !ok {
		return nil
	}
	out := map[string]Text{}
	for _, kv := range pairs {
		if !isTextKey(kv.key) {
			p.add(kv.k.Line, "", "unknown text %q in texts%s", kv.key, suggest(kv.key, textKeys()))
			continue
		}
		if t := p.text(kv.v, "", "texts."+kv.key); t != nil {
			out[kv.key] = t
		}
	}
	return out
}

func (p *parser) step(n *yaml.Node) *Step {
	pairs, ok := p.mapping(n, "", "a step")
	if !ok {
		return nil
	}
	s := &Step{Line: n.Line, pos: map[string]int{}}
	for _, kv := range pairs { // the id first, so every later problem names the step
		if kv.key == "id" {
			s.ID, _ = p.str(kv.v, "", "step id")
		}
	}
	p.known(pairs, s.ID, "a step", "id", "kind", "label", "segment", "optional", "ask", "say", "options",
		"min", "max", "score_when", "next_when", "next", "handoff")
	for _, kv := range pairs {
		s.pos[kv.key] = kv.k.Line
		v := kv.v
		switch kv.key {
		case "kind":
			s.Kind, _ = p.str(v, s.ID, "kind")
		case "label":
			if v.Kind == yaml.MappingNode { // {ru: Бюджет, en: Budget}: per team language
				s.Labels = p.text(v, s.ID, "label")
				s.Label = s.Labels.in("", "en")
			} else {
				s.Label, _ = p.str(v, s.ID, "label")
			}
		case "segment":
			s.Segment = p.boolean(v, s.ID, "segment")
		case "handoff":
			s.Handoff = p.boolean(v, s.ID, "handoff")
		case "optional":
			s.Optional = p.boolean(v, s.ID, "optional")
		case "ask":
			s.Ask = p.text(v, s.ID, "ask")
		case "say":
			s.Say = p.text(v, s.ID, "say")
		case "options":
			for _, o := range p.seq(v, s.ID, "options") {
				if opt := p.option(o, s.ID); opt != nil {
					s.Options = append(s.Options, opt)
				}
			}
		case "min":
			s.Min, _ = p.float(v, s.ID, "min")
		case "max":
			s.Max, _ = p.float(v, s.ID, "max")
		case "score_when":
			s.ScoreWhen = p.conds(v, s.ID, "score_when", "score")
		case "next_when":
			s.NextWhen = p.conds(v, s.ID, "next_when", "goto")
		case "next":
			s.Next, _ = p.str(v, s.ID, "next")
		}
	}
	return s
}

func (p *parser) option(n *yaml.Node, step string) *Option {
	pairs, ok := p.mapping(n, step, "an option")
	if !ok {
		return nil
	}
	o := &Option{Line: n.Line}
	p.known(pairs, step, "an option", "id", "text", "aliases", "score", "next", "handoff")
	for _, kv := range pairs {
		switch kv.key {
		case "id":
			o.ID, _ = p.str(kv.v, step, "option id")
		case "text":
			o.Text = p.text(kv.v, step, "option text")
		case "aliases":
			for _, a := range p.seq(kv.v, step, "option aliases") {
				if s, ok := p.str(a, step, "an option alias"); ok {
					o.Aliases = append(o.Aliases, s)
				}
			}
		case "score":
			o.Score, _ = p.integer(kv.v, step, "option score")
		case "next":
			o.Next, _ = p.str(kv.v, step, "option next")
		case "handoff":
			o.Handoff = p.boolean(kv.v, step, "option handoff")
		}
	}
	return o
}

// conds reads score_when (need = "score") or next_when (need = "goto").
func (p *parser) conds(n *yaml.Node, step, what, need string) []Cond {
	var out []Cond
	for _, item := range p.seq(n, step, what) {
		pairs, ok := p.mapping(item, step, "a "+what+" entry")
		if !ok {
			continue
		}
		c := Cond{Line: item.Line}
		p.known(pairs, step, "a "+what+" entry", "if", need)
		has := map[string]bool{}
		for _, kv := range pairs {
			has[kv.key] = true
			switch kv.key {
			case "if":
				c.If, _ = p.str(kv.v, step, what+" if")
			case "score":
				if need == "score" {
					c.Score, _ = p.integer(kv.v, step, what+" score")
				}
			case "goto":
				if need == "goto" {
					c.Goto, _ = p.str(kv.v, step, what+" goto")
				}
			}
		}
		for _, k := range []string{"if", need} {
			if !has[k] {
				p.add(item.Line, step, "%s entry needs %q", what, k)
			}
		}
		out = append(out, c)
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// suggest returns ` (did you mean "x"?)` for the closest known word within
// two edits, or "".
func suggest(word string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := distance(word, k); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance in runes, capped for long words
// since only near misses matter.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	if len(ra) > 64 || len(rb) > 64 {
		return 99
	}
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
