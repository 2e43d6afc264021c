package flows

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/voronka/voronka/crm"
)

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/broken/*.yaml")
	files = append(files, "testdata/mini.yaml", "../configs/flows/qualify.yaml")
	for _, file := range files {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	for _, src := range []string{everyKind, optional, conditions, "", "id: x", "steps: [", "- a\n- b", "a: &x [*x]", "{{{{", "\t"} {
		f.Add([]byte(src))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fl, err := Parse("fuzz.yaml", data)
		if err != nil {
			if fl != nil {
				t.Fatal("a flow with problems was returned")
			}
			ps, ok := err.(Problems)
			if !ok || len(ps) == 0 {
				t.Fatalf("error %T %v is not a non-empty Problems", err, err)
			}
			for _, p := range ps {
				if p.File != "fuzz.yaml" || p.Msg == "" || p.Line < 0 {
					t.Fatalf("bad problem %+v", p)
				}
			}
			return
		}
		// A flow that loads must run: start it and answer a few ways.
		r := Begin(fl, "en", "Fuzz")
		checkResult(t, fl, State{}, Input{}, r)
		for _, in := range []Input{{Text: "1"}, {Text: "-"}, {Text: "1, 2"}, {Text: "a@b.io"}, {Text: "+7 916 123 45 67"}, {Text: "done"}} {
			if r.State.Done {
				break
			}
			if st := fl.Step(r.State.Step); st != nil && len(st.Options) > 0 {
				next := Advance(fl, r.State, Input{Button: st.ID + ":" + st.Options[0].ID})
				checkResult(t, fl, r.State, in, next)
			}
			next := Advance(fl, r.State, in)
			checkResult(t, fl, r.State, in, next)
			r = next
		}
	})
}

// fuzzStart is a state of a dialogue and the answers that led to it.
type fuzzStart struct {
	flow    *Flow
	state   State
	answers []crm.Answer
}

func fuzzStarts(t testing.TB) []fuzzStart {
	q := qualify(t)
	k := mustParse(t, everyKind)
	var out []fuzzStart
	add := func(f *Flow, lang string, inputs ...Input) {
		rs := dialogue(t, f, lang, "", inputs...)
		for i, r := range rs {
			out = append(out, fuzzStart{flow: f, state: r.State, answers: storedAnswers(rs[:i+1])})
		}
	}
	add(q, "ru", Input{Button: "need:buy"}, Input{Text: "1,5 млн"}, Input{Text: "1"}, Input{Button: "role:decision_maker"},
		Input{Button: "company_size:!skip"}, Input{Text: "+79161234567"}, Input{Text: "-"})
	add(q, "en", Input{Button: "need:support"}, Input{Text: "broken"}, Input{Text: "a@b.io"})
	add(q, "en", Input{Button: "need:pricing"}, Input{Text: "-"}, Input{Text: "4"}, Input{Text: "3"}, Input{Text: "1"})
	add(k, "en", Input{Text: "1"}, Input{Text: "1,2"}, Input{Text: "+442079460958"}, Input{Text: "a@b.io"}, Input{Text: "5"}, Input{Text: "ok"})
	return out
}

func FuzzStep(f *testing.F) {
	starts := fuzzStarts(f)
	f.Add(uint8(0), "Хочу купить", "", "", int64(0), int64(0), false, "")
	f.Add(uint8(1), "100 000", "budget:!skip", "", int64(0), int64(0), false, "")
	f.Add(uint8(5), "", "", "79161234567", int64(5), int64(5), true, "")
	f.Add(uint8(5), "", "", "79161234567", int64(5), int64(6), true, "")
	f.Add(uint8(6), "-", "comment:!skip", "", int64(0), int64(0), false, "")
	f.Add(uint8(13), "", "many:x", "", int64(0), int64(0), false, "y,q")
	f.Add(uint8(13), "готово", "many:!done", "", int64(0), int64(0), false, "x,w")
	f.Add(uint8(14), "8 916 123 45 67", "", "", int64(0), int64(0), false, "")
	f.Add(uint8(16), "1,5k", "need:buy", "", int64(0), int64(0), false, "")
	f.Add(uint8(3), "\xff\xfe", ":", "+", int64(-1), int64(-1), true, ",,")
	f.Fuzz(func(t *testing.T, idx uint8, text, button, phone string, userID, senderID int64, hasContact bool, selected string) {
		start := starts[int(idx)%len(starts)]
		s := start.state
		if selected != "" && !s.Done {
			s.Selected = strings.Split(selected, ",")
		}
		in := Input{Text: text, Button: button, SenderID: senderID, Name: text}
		if hasContact {
			in.Contact = &Contact{Phone: phone, UserID: userID}
		}
		before := deepCopy(s)
		r := Advance(start.flow, s, in)
		if !reflect.DeepEqual(before, s) {
			t.Fatalf("the input state was modified:\n%+v\n%+v", before, s)
		}
		checkResult(t, start.flow, s, in, r)
		if r.Answer != nil {
			// What was stored must rebuild the same state.
			answers := append(append([]crm.Answer(nil), start.answers...),
				crm.Answer{StepID: r.Answer.Step, Kind: r.Answer.Kind, Value: r.Answer.Value, Score: r.Answer.Score})
			replayed, err := Replay(start.flow, s.Lang, answers)
			if err != nil {
				t.Fatalf("replay of %+v: %v", r.Answer, err)
			}
			if !reflect.DeepEqual(replayed, r.State) {
				t.Fatalf("replay differs:\n%+v\n%+v", replayed, r.State)
			}
		}
	})
}

// checkResult asserts what holds for every result of every input.
func checkResult(t *testing.T, f *Flow, s State, in Input, r Result) {
	t.Helper()
	if r.Invalid {
		if r.Answer != nil {
			t.Fatalf("invalid input %+v stored %+v", in, r.Answer)
		}
		if !reflect.DeepEqual(r.State, s) && s.Flow != "" {
			t.Fatalf("invalid input %+v changed the state:\n%+v\n%+v", in, s, r.State)
		}
	}
	if r.Answer != nil {
		if r.Answer.Step != s.Step {
			t.Fatalf("answer to %q while %q was asked", r.Answer.Step, s.Step)
		}
		if got := r.State.Answers[r.Answer.Step]; got != r.Answer.Value {
			t.Fatalf("state keeps %q, answer is %q", got, r.Answer.Value)
		}
		if r.State.Score != s.Score+r.Answer.Score {
			t.Fatalf("score %d + %d != %d", s.Score, r.Answer.Score, r.State.Score)
		}
		if r.State.Order[len(r.State.Order)-1] != r.Answer.Step {
			t.Fatalf("order %v does not end with %q", r.State.Order, r.Answer.Step)
		}
		if !utf8.ValidString(r.Answer.Value) {
			t.Fatalf("answer %q is not valid UTF-8", r.Answer.Value)
		}
	}
	if r.Answer == nil && !r.Invalid && s.Flow != "" {
		// Only a multi toggle may change the state without an answer.
		want := s
		want.Selected = r.State.Selected
		if !reflect.DeepEqual(r.State, want) {
			t.Fatalf("state changed without an answer:\n%+v\n%+v", s, r.State)
		}
	}
	if r.Finished != (r.State.Done && !s.Done && (r.Answer != nil || s.Flow == "")) {
		t.Fatalf("finished %v, done %v before %v", r.Finished, r.State.Done, s.Done)
	}
	if r.State.Done && r.State.Step != "" {
		t.Fatalf("done at step %q", r.State.Step)
	}
	if !r.State.Done && !r.Invalid && f.Step(r.State.Step) == nil {
		t.Fatalf("waiting on step %q the flow does not have", r.State.Step)
	}
	if r.Temperature != f.Thresholds.Temperature(r.State.Score) {
		t.Fatalf("temperature %s for score %d", r.Temperature, r.State.Score)
	}
	for _, p := range r.Prompts {
		if strings.TrimSpace(p.Text) == "" {
			t.Fatalf("an empty prompt: %+v", r.Prompts)
		}
		if len(p.Choices) > 0 && (p.RequestContact != "" || p.RemoveKeyboard) {
			t.Fatalf("inline buttons and a reply keyboard in one prompt: %+v", p)
		}
		buttons := 0
		for _, row := range p.Choices {
			buttons += len(row)
			for _, c := range row {
				if len(c.Data) > maxCallbackData || c.Text == "" {
					t.Fatalf("bad button %+v", c)
				}
			}
		}
		if buttons > maxButtons {
			t.Fatalf("%d buttons in one prompt, Telegram takes %d", buttons, maxButtons)
		}
	}
}

func deepCopy(s State) State {
	c := s
	if s.Answers != nil {
		c.Answers = map[string]string{}
		for k, v := range s.Answers {
			c.Answers[k] = v
		}
	}
	c.Order = append([]string(nil), s.Order...)
	c.Selected = append([]string(nil), s.Selected...)
	if s.Order == nil {
		c.Order = nil
	}
	if s.Selected == nil {
		c.Selected = nil
	}
	return c
}
