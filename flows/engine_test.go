package flows

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/crm"
)

func qualify(t testing.TB) *Flow {
	t.Helper()
	f, err := Load("../configs/flows/qualify.yaml")
	require.NoError(t, err)
	return f
}

func mustParse(t testing.TB, src string) *Flow {
	t.Helper()
	f, err := Parse("inline.yaml", []byte(src))
	require.NoError(t, err)
	return f
}

// dialogue plays inputs from the start; every input must be accepted.
// It returns every result, the last one last.
func dialogue(t testing.TB, f *Flow, lang, name string, inputs ...Input) []Result {
	t.Helper()
	r := Begin(f, lang, name)
	require.False(t, r.Invalid)
	out := []Result{r}
	for i, in := range inputs {
		if in.Name == "" {
			in.Name = name
		}
		r = Advance(f, r.State, in)
		require.False(t, r.Invalid, "input %d %+v rejected at step %q: %+v", i, in, out[len(out)-1].State.Step, r.Prompts)
		require.NotNil(t, r.Answer, "input %d %+v stored nothing", i, in)
		out = append(out, r)
	}
	return out
}

func last(rs []Result) Result { return rs[len(rs)-1] }

func TestDefaultFlowHotInRussian(t *testing.T) {
	t.Parallel()
	f := qualify(t)
	rs := dialogue(t, f, "ru", "Анна",
		Input{Button: "need:buy"},
		Input{Text: "1,5 млн"},
		Input{Text: "на этой неделе"},
		Input{Button: "role:decision_maker"},
		Input{Button: "company_size:!skip"},
		Input{Contact: &Contact{Phone: "79161234567", UserID: 42}, SenderID: 42},
		Input{Text: "Позвоните после обеда 🙏"},
	)
	assert.Equal(t, "Здравствуйте, Анна! Я помогу быстро связать вас с нужным специалистом. Что вас интересует?", rs[0].Prompts[0].Text)
	assert.Equal(t, "phone", rs[5].State.Step, "score 110 >= 60 goes to the phone")
	require.Len(t, rs[5].Prompts, 2, "the pressed Skip is echoed, then the phone is asked")
	assert.True(t, rs[5].Prompts[0].Edit)
	assert.Empty(t, rs[5].Prompts[0].Choices, "the answered question loses its buttons")
	assert.True(t, strings.HasSuffix(rs[5].Prompts[0].Text, "\n\n— Вопрос пропущен"), rs[5].Prompts[0].Text)
	assert.Equal(t, "📱 Отправить мой номер", rs[5].Prompts[1].RequestContact)
	require.NotEmpty(t, rs[1].Prompts)
	assert.Equal(t, "Здравствуйте, Анна! Я помогу быстро связать вас с нужным специалистом. Что вас интересует?\n\n✅ Хочу купить", rs[1].Prompts[0].Text)
	assert.True(t, rs[1].Prompts[0].Edit)

	afterPhone := rs[6]
	require.Len(t, afterPhone.Prompts, 2, "the keyboard goes away on its own message: the next question has inline buttons")
	assert.True(t, afterPhone.Prompts[0].RemoveKeyboard)
	assert.Empty(t, afterPhone.Prompts[0].Choices)
	assert.Equal(t, "comment:!skip", afterPhone.Prompts[1].Choices[0][0].Data)

	end := last(rs)
	assert.True(t, end.Finished)
	assert.True(t, end.State.Done)
	assert.Empty(t, end.State.Step)
	assert.Equal(t, crm.Hot, end.Temperature)
	assert.Equal(t, 110, end.State.Score) // 30 + 30 + 25 + 10 + 15
	require.Len(t, end.Prompts, 1)
	assert.Equal(t, "Спасибо, Анна! Менеджер свяжется с вами в течение 15 минут.", end.Prompts[0].Text)
	assert.True(t, end.Prompts[0].RemoveKeyboard)
	assert.Equal(t, map[string]string{
		"need": "buy", "budget": "1500000", "timeline": "week", "role": "decision_maker",
		"company_size": "", "phone": "+79161234567", "comment": "Позвоните после обеда 🙏",
	}, end.State.Answers)
	assert.Equal(t, []string{"need", "budget", "timeline", "role", "company_size", "phone", "comment"}, end.State.Order)

	scores := []int{}
	for _, r := range rs[1:] {
		scores = append(scores, r.Answer.Score)
	}
	assert.Equal(t, []int{30, 30, 35, 15, 0, 0, 0}, scores)
}

func TestDefaultFlowColdInEnglishWithoutName(t *testing.T) {
	t.Parallel()
	f := qualify(t)
	rs := dialogue(t, f, "en-GB", "",
		Input{Text: "pricing"},
		Input{Text: "skip"},
		Input{Text: "4"},
		Input{Text: "I'm gathering information"},
		Input{Text: "just me"},
		Input{Text: "Bob@Example.com"},
		Input{Text: "-"},
	)
	assert.Equal(t, "Hello! I'll put you in touch with the right person. What brings you here?", rs[0].Prompts[0].Text)
	end := last(rs)
	assert.True(t, end.Finished)
	assert.Equal(t, crm.Cold, end.Temperature)
	assert.Equal(t, 15, end.State.Score)
	assert.Equal(t, "Thank you! A manager will reach you within 2 days.", end.Prompts[0].Text)
	assert.Equal(t, "Bob@example.com", end.State.Answers["email"])
	assert.Equal(t, "", end.State.Answers["budget"])
}

func TestDefaultFlowWarm(t *testing.T) {
	t.Parallel()
	f := qualify(t)
	rs := dialogue(t, f, "ru", "Олег",
		Input{Button: "need:pricing"},       // 15
		Input{Text: "150 000 ₽"},            // 10
		Input{Button: "timeline:quarter"},   // 5
		Input{Button: "role:influencer"},    // 5
		Input{Button: "company_size:small"}, // 5
		Input{Text: "oleg@firma.ru"},
		Input{Button: "comment:!skip"},
	)
	end := last(rs)
	assert.Equal(t, crm.Warm, end.Temperature)
	assert.Equal(t, 40, end.State.Score)
	require.Len(t, end.Prompts, 2)
	assert.True(t, end.Prompts[0].Edit, "the pressed Skip is echoed first")
	assert.Equal(t, "Спасибо, Олег! Менеджер свяжется с вами в течение 4 часов.", end.Prompts[1].Text)
}

func TestDefaultFlowSupportBranch(t *testing.T) {
	t.Parallel()
	f := qualify(t)
	rs := dialogue(t, f, "en", "Kim",
		Input{Button: "need:support"},
		Input{Text: "The export button does nothing"},
		Input{Text: "kim@example.org"},
	)
	assert.Equal(t, "issue", rs[1].State.Step, "an option's next wins over the step's next")
	end := last(rs)
	assert.Equal(t, []string{"need", "issue", "support_email"}, end.State.Order)
	assert.Equal(t, crm.Cold, end.Temperature)
	assert.Equal(t, "Thank you, Kim! Your question is with our support team; we'll answer within 2 days.", end.Prompts[0].Text)
}

func TestLanguageFallback(t *testing.T) {
	t.Parallel()
	f := qualify(t)
	for _, lang := range []string{"de", "", "uk", "zz-ZZ"} {
		r := Begin(f, lang, "")
		assert.Equal(t, "ru", r.State.Lang, "%q falls back to the first language", lang)
		assert.True(t, strings.HasPrefix(r.Prompts[0].Text, "Здравствуйте!"), r.Prompts[0].Text)
		assert.Equal(t, "Хочу купить", r.Prompts[0].Choices[0][0].Text)
	}
	assert.Equal(t, "en", Begin(f, "en-US", "").State.Lang)
	// A customer may type an option in the other language.
	r := Advance(f, Begin(f, "ru", "").State, Input{Text: "Pricing"})
	require.NotNil(t, r.Answer)
	assert.Equal(t, "pricing", r.Answer.Value)
}

// everyKind has one step of every kind, for starting a state at any of them.
const everyKind = `
id: kinds
version: 3
languages: [en, ru]
thresholds: {hot: 10, warm: 5}
expect: {hot: 1h, warm: 1d, cold: 3d}
steps:
  - id: pick
    kind: choice
    ask: {en: "Pick one", ru: "Выберите"}
    options:
      - {id: a, text: {en: Apple, ru: Яблоко}, score: 1}
      - {id: b, text: {en: "🍌 Banana", ru: Банан}, score: 2}
    next: many
  - id: many
    kind: multi
    min: 2
    max: 3
    ask: {en: "Pick two or three", ru: "Выберите два-три"}
    options:
      - {id: x, text: {en: Xylophone, ru: Ксилофон}, score: 1}
      - {id: "y", text: {en: Yacht, ru: Яхта}, score: 2}
      - {id: z, text: {en: Zebra, ru: Зебра}, score: 4}
      - {id: w, text: {en: Whale, ru: Кит}, score: 8}
    next: tel
  - id: tel
    kind: phone
    ask: {en: "Phone?", ru: "Телефон?"}
    next: mail
  - id: mail
    kind: email
    ask: {en: "Email?", ru: "Email?"}
    next: qty
  - id: qty
    kind: number
    min: 1
    max: 1000
    ask: {en: "How many?", ru: "Сколько?"}
    next: note
  - id: note
    kind: text
    min: 2
    max: 10
    ask: {en: "A note?", ru: "Заметка?"}
    next: bye
  - id: bye
    kind: end
    say: {en: "Bye, {name}, we'll be back {expect}.", ru: "Пока, {name}, вернёмся {expect}."}
`

func at(f *Flow, step string) State {
	return State{Flow: f.ID, Version: f.Version, Lang: "en", Step: step, Score: 3,
		Answers: map[string]string{"earlier": "x"}, Order: []string{"earlier"}}
}

func TestStepKinds(t *testing.T) {
	t.Parallel()
	f := mustParse(t, everyKind)
	tests := []struct {
		name  string
		step  string
		in    Input
		value string // "" means the input must be rejected
		score int
		hint  string // a fragment of the hint for a rejected input
	}{
		{"choice button", "pick", Input{Button: "pick:b"}, "b", 2, ""},
		{"choice label", "pick", Input{Text: " apple "}, "a", 1, ""},
		{"choice label without emoji", "pick", Input{Text: "banana!"}, "b", 2, ""},
		{"choice label in another language", "pick", Input{Text: "ЯБЛОКО"}, "a", 1, ""},
		{"choice number", "pick", Input{Text: "2"}, "b", 2, ""},
		{"choice id", "pick", Input{Text: "A"}, "a", 1, ""},
		{"choice unknown text", "pick", Input{Text: "cherry"}, "", 0, "pick an option"},
		{"choice number out of range", "pick", Input{Text: "3"}, "", 0, "pick an option"},
		{"choice unknown option button", "pick", Input{Button: "pick:c"}, "", 0, "pick an option"},
		{"choice skip on a required step", "pick", Input{Button: "pick:!skip"}, "", 0, "pick an option"},
		{"choice sticker", "pick", Input{}, "", 0, "pick an option"},
		{"choice contact", "pick", Input{Contact: &Contact{Phone: "79161234567", UserID: 1}, SenderID: 1}, "", 0, "pick an option"},

		{"multi typed numbers", "many", Input{Text: "1, 3"}, "x,z", 5, ""},
		{"multi typed labels in option order", "many", Input{Text: "whale; xylophone"}, "x,w", 9, ""},
		{"multi typed space-separated", "many", Input{Text: "4 2 2"}, "y,w", 10, ""},
		{"multi too few", "many", Input{Text: "1"}, "", 0, "Tick the options"},
		{"multi too many", "many", Input{Text: "1,2,3,4"}, "", 0, "Tick the options"},
		{"multi unknown item", "many", Input{Text: "1, cow"}, "", 0, "Tick the options"},
		{"multi done with nothing ticked", "many", Input{Text: "Done"}, "", 0, "Tick the options"},

		{"phone typed", "tel", Input{Text: "8 (916) 123-45-67"}, "+79161234567", 0, ""},
		{"phone typed international", "tel", Input{Text: "+44 20 7946 0958"}, "+442079460958", 0, ""},
		{"phone own contact", "tel", Input{Contact: &Contact{Phone: "79161234567", UserID: 7}, SenderID: 7}, "+79161234567", 0, ""},
		{"phone foreign contact", "tel", Input{Contact: &Contact{Phone: "79161234567", UserID: 8}, SenderID: 7}, "", 0, "someone else's contact"},
		{"phone bad contact", "tel", Input{Contact: &Contact{Phone: "12", UserID: 7}, SenderID: 7}, "", 0, "couldn't read that number"},
		{"phone garbage", "tel", Input{Text: "call me maybe"}, "", 0, "couldn't read that number"},
		{"phone button", "tel", Input{Button: "tel:x"}, "", 0, "couldn't read that number"},

		{"email", "mail", Input{Text: " Ann@Example.COM "}, "Ann@example.com", 0, ""},
		{"email with display name", "mail", Input{Text: "Ann <ann@example.com>"}, "", 0, "doesn't look like an email"},
		{"email without dot", "mail", Input{Text: "ann@example"}, "", 0, "doesn't look like an email"},

		{"number grouped", "qty", Input{Text: "1 000"}, "1000", 0, ""},
		{"number decimal comma", "qty", Input{Text: "2,5"}, "2.5", 0, ""},
		{"number too small", "qty", Input{Text: "0"}, "", 0, "at least 1."},
		{"number too large", "qty", Input{Text: "1,5k"}, "", 0, "at most 1000."},
		{"number not a number", "qty", Input{Text: "many"}, "", 0, "Please type a number"},

		{"text", "note", Input{Text: "  hi  "}, "hi", 0, ""},
		{"text emoji and script", "note", Input{Text: "👍 שלום"}, "👍 שלום", 0, ""},
		{"text dash is an answer on a required step", "note", Input{Text: "--"}, "--", 0, ""},
		{"text too short", "note", Input{Text: "a"}, "", 0, "too short: at least 2"},
		{"text too long", "note", Input{Text: "привет, мир!"}, "", 0, "too long: at most 10"},
		{"text blank", "note", Input{Text: " \n\t "}, "", 0, "answer in words"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := at(f, tt.step)
			r := Advance(f, s, tt.in)
			if tt.value == "" {
				assert.True(t, r.Invalid)
				assert.Nil(t, r.Answer)
				assert.Equal(t, s, r.State)
				require.NotEmpty(t, r.Prompts)
				assert.Contains(t, r.Prompts[0].Text, tt.hint)
				assert.Contains(t, r.Prompts[0].Text, f.Step(tt.step).Ask["en"], "the question is asked again")
				return
			}
			assert.False(t, r.Invalid)
			require.NotNil(t, r.Answer)
			assert.Equal(t, Answered{Step: tt.step, Kind: f.Step(tt.step).Kind, Value: tt.value, Score: tt.score}, *r.Answer)
			assert.Equal(t, tt.value, r.State.Answers[tt.step])
			assert.Equal(t, "x", r.State.Answers["earlier"])
			assert.Equal(t, []string{"earlier", tt.step}, r.State.Order)
			assert.Equal(t, 3+tt.score, r.State.Score)
			assert.Equal(t, map[string]string{"earlier": "x"}, s.Answers, "the input state is not modified")
			assert.Equal(t, []string{"earlier"}, s.Order)
		})
	}
}

func TestPhoneStepPrompts(t *testing.T) {
	t.Parallel()
	f := mustParse(t, everyKind)
	r := Advance(f, at(f, "many"), Input{Text: "1,2"})
	require.Equal(t, "tel", r.State.Step)
	require.Len(t, r.Prompts, 1)
	assert.Equal(t, "Phone?", r.Prompts[0].Text)
	assert.Equal(t, "📱 Share my number", r.Prompts[0].RequestContact)
	assert.Empty(t, r.Prompts[0].Choices)

	r = Advance(f, r.State, Input{Text: "+7 916 123 45 67"})
	require.Equal(t, "mail", r.State.Step)
	require.Len(t, r.Prompts, 1)
	assert.True(t, r.Prompts[0].RemoveKeyboard, "the share-contact keyboard goes once the phone is in")
	assert.Equal(t, "Email?", r.Prompts[0].Text)
}

func TestMultiToggleAndDone(t *testing.T) {
	t.Parallel()
	f := mustParse(t, everyKind)
	s := at(f, "many")

	press := func(s State, data string) Result {
		t.Helper()
		r := Advance(f, s, Input{Button: data})
		require.False(t, r.Invalid, "%s: %+v", data, r.Prompts)
		return r
	}
	r := press(s, "many:z")
	assert.Nil(t, r.Answer)
	assert.Equal(t, []string{"z"}, r.State.Selected)
	assert.Nil(t, s.Selected, "the input state is not modified")
	require.Len(t, r.Prompts, 1)
	p := r.Prompts[0]
	assert.True(t, p.Edit)
	assert.Equal(t, "Pick two or three", p.Text)
	require.Len(t, p.Choices, 5)
	assert.Equal(t, Choice{Data: "many:z", Text: "✅ Zebra", Selected: true}, p.Choices[2][0])
	assert.Equal(t, Choice{Data: "many:x", Text: "Xylophone"}, p.Choices[0][0])
	assert.Equal(t, Choice{Data: "many:!done", Text: "Done"}, p.Choices[4][0])

	r = press(r.State, "many:x")
	assert.Equal(t, []string{"x", "z"}, r.State.Selected, "option order, not press order")
	r = press(r.State, "many:z")
	assert.Equal(t, []string{"x"}, r.State.Selected, "a second press unticks")

	bad := Advance(f, r.State, Input{Button: "many:!done"})
	assert.True(t, bad.Invalid, "min is 2")
	assert.Equal(t, r.State, bad.State)
	assert.Equal(t, "✅ Xylophone", bad.Prompts[0].Choices[0][0].Text, "ticks survive a rejected Done")

	r = press(r.State, "many:w")
	assert.Equal(t, []string{"x", "w"}, r.State.Selected)
	done := Advance(f, r.State, Input{Text: "готово"})
	require.NotNil(t, done.Answer)
	assert.Equal(t, "x,w", done.Answer.Value)
	assert.Equal(t, 9, done.Answer.Score)
	assert.Nil(t, done.State.Selected)
	assert.Equal(t, "tel", done.State.Step)
}

func TestStaleButton(t *testing.T) {
	t.Parallel()
	f := mustParse(t, everyKind)
	s := at(f, "qty")
	for _, data := range []string{"pick:a", "many:!done", "garbage", "qty", ":"} {
		r := Advance(f, s, Input{Button: data})
		assert.False(t, r.Invalid, data)
		assert.Nil(t, r.Answer, data)
		assert.Equal(t, s, r.State, data)
		assert.Equal(t, "This question is already answered.", r.Notice, data)
		require.Len(t, r.Prompts, 1, data)
		assert.Equal(t, "How many?", r.Prompts[0].Text, "the current question again")
	}

	finished := State{Flow: f.ID, Version: f.Version, Lang: "ru", Done: true, Score: 12}
	r := Advance(f, finished, Input{Button: "note:!skip"})
	assert.Nil(t, r.Answer)
	assert.Equal(t, finished, r.State)
	assert.Equal(t, "На этот вопрос уже есть ответ.", r.Notice)
	assert.Equal(t, crm.Hot, r.Temperature)
	r = Advance(f, finished, Input{Text: "hello?"})
	assert.Nil(t, r.Answer)
	assert.Contains(t, r.Prompts[0].Text, "ваши ответы уже у нас")
}

const optional = `
id: opt
version: 1
languages: [ru, en]
thresholds: {hot: 10, warm: 5}
steps:
  - id: size
    kind: choice
    optional: true
    ask: {ru: "Размер?", en: "Size?"}
    options:
      - {id: s, text: {ru: Маленький, en: Small}, score: 1}
      - {id: l, text: {ru: Большой, en: Large}, score: 10, next: tel}
    next: note
  - id: note
    kind: text
    optional: true
    ask: {ru: "Что-то ещё?", en: "Anything else?"}
    score_when: [{if: "true", score: 5}]
    next: tel
  - id: tel
    kind: phone
    optional: true
    ask: {ru: "Телефон?", en: "Phone?"}
    next: bye
  - id: bye
    kind: end
    say: {ru: "Пока!", en: "Bye!"}
`

func TestSkip(t *testing.T) {
	t.Parallel()
	f := mustParse(t, optional)
	begin := Begin(f, "en", "")
	require.Len(t, begin.Prompts, 1)
	assert.Equal(t, []Choice{{Data: "size:!skip", Text: "Skip"}}, begin.Prompts[0].Choices[2])

	for _, in := range []Input{{Button: "size:!skip"}, {Text: "-"}, {Text: "—"}, {Text: "skip"}, {Text: "Пропустить"}, {Text: "SKIP!"}} {
		r := Advance(f, begin.State, in)
		require.NotNil(t, r.Answer, "%+v", in)
		assert.Equal(t, Answered{Step: "size", Kind: KindChoice, Value: "", Score: 0}, *r.Answer)
		assert.Equal(t, "note", r.State.Step, "a skip goes to next, not to an option's next")
		assert.Equal(t, "", r.State.Answers["size"])
	}

	// score_when does not count a skipped answer.
	r := Advance(f, State{Flow: "opt", Version: 1, Lang: "en", Step: "note"}, Input{Text: "-"})
	require.NotNil(t, r.Answer)
	assert.Equal(t, 0, r.Answer.Score)
	r2 := Advance(f, State{Flow: "opt", Version: 1, Lang: "en", Step: "note"}, Input{Text: "fine"})
	assert.Equal(t, 5, r2.Answer.Score)

	// An optional phone step: the contact keyboard and the Skip button are
	// two messages, since Telegram carries one keyboard per message.
	require.Equal(t, "tel", r.State.Step)
	require.Len(t, r.Prompts, 2)
	assert.Equal(t, "📱 Share my number", r.Prompts[0].RequestContact)
	assert.Empty(t, r.Prompts[0].Choices)
	assert.Equal(t, "Or skip this question:", r.Prompts[1].Text)
	assert.Equal(t, "tel:!skip", r.Prompts[1].Choices[0][0].Data)

	end := Advance(f, r.State, Input{Button: "tel:!skip"})
	assert.True(t, end.Finished)
	require.Len(t, end.Prompts, 2)
	assert.Equal(t, Prompt{Text: "Or skip this question:\n\n— Skipped", Edit: true}, end.Prompts[0], "the message whose Skip was pressed shows it")
	assert.True(t, end.Prompts[1].RemoveKeyboard)
}

const conditions = `
id: cond
version: 1
languages: [en]
thresholds: {hot: 50, warm: 20}
expect: {hot: 15m, warm: 4h, cold: 2d}
steps:
  - id: tools
    kind: multi
    ask: {en: "Which tools?"}
    options:
      - {id: crm, text: {en: CRM}, score: 10}
      - {id: bot, text: {en: Bot}, score: 5}
      - {id: mail, text: {en: Mail}, score: 1}
    score_when:
      - {if: '"crm" in value && "bot" in value', score: 20}
      - {if: "len(value) == 3", score: 1}
      - {if: "score >= 100", score: 1000}
    next: budget
  - id: budget
    kind: number
    ask: {en: "Budget?"}
    score_when:
      - {if: 'value >= 1000 && "crm" in tools', score: 15}
      - {if: 'mail != "never"', score: 7} # mail is not answered yet: false
      - {if: "nosuch == nil || true", score: 0}
    next_when:
      - {if: "score >= 50", goto: call}
      - {if: 'answers.budget > 100', goto: mail}
    next: bye
  - id: call
    kind: choice
    ask: {en: "Call now?"}
    options:
      - {id: "yes", text: {en: "Yes"}, score: 1, next: bye}
      - {id: "no", text: {en: "No"}, next: mail}
  - id: mail
    kind: email
    ask: {en: "Email?"}
    next: bye
  - id: bye
    kind: end
    say: {en: "Bye {name}, {expect}."}
`

func TestConditions(t *testing.T) {
	t.Parallel()
	_, err := Parse("cond.yaml", []byte(conditions))
	require.Error(t, err, "nosuch is not a step")
	f := mustParse(t, strings.Replace(conditions, `      - {if: "nosuch == nil || true", score: 0}`+"\n", "", 1))

	tests := []struct {
		name   string
		inputs []Input
		score  int
		path   []string
		temp   crm.Temperature
	}{
		{"pair bonus, then hot goto", []Input{{Text: "1,2"}, {Text: "1000"}, {Button: "call:yes"}},
			15 + 20 + 15 + 1, []string{"tools", "budget", "call"}, crm.Hot},
		{"all three, no hot", []Input{{Text: "1,2,3"}, {Text: "50"}},
			16 + 20 + 1, []string{"tools", "budget"}, crm.Warm},
		{"second next_when over answers map", []Input{{Text: "2"}, {Text: "500"}, {Text: "a@b.io"}},
			5, []string{"tools", "budget", "mail"}, crm.Cold},
		{"option next", []Input{{Text: "1,2"}, {Text: "1000"}, {Text: "no"}, {Text: "a@b.io"}},
			50, []string{"tools", "budget", "call", "mail"}, crm.Hot},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rs := dialogue(t, f, "en", "", tt.inputs...)
			end := last(rs)
			require.True(t, end.Finished)
			assert.Equal(t, tt.score, end.State.Score)
			assert.Equal(t, tt.path, end.State.Order)
			assert.Equal(t, tt.temp, end.Temperature)
		})
	}
}

func TestEndMessages(t *testing.T) {
	t.Parallel()
	f := qualify(t)
	hot := []Input{{Button: "need:buy"}, {Text: "2m"}, {Button: "timeline:week"}, {Button: "role:decision_maker"},
		{Button: "company_size:large"}, {Text: "+7 916 123-45-67"}, {Text: "-"}}
	cold := []Input{{Button: "need:partnership"}, {Text: "-"}, {Button: "timeline:looking"}, {Button: "role:researcher"},
		{Button: "company_size:!skip"}, {Text: "p@partner.io"}, {Text: "-"}}
	tests := []struct {
		lang, name string
		inputs     []Input
		want       string
	}{
		{"ru", "Анна", hot, "Спасибо, Анна! Менеджер свяжется с вами в течение 15 минут."},
		{"ru", "", hot, "Спасибо! Менеджер свяжется с вами в течение 15 минут."},
		{"en", "Ann", hot, "Thank you, Ann! A manager will reach you within 15 minutes."},
		{"ru", "", cold, "Спасибо! Менеджер свяжется с вами в течение 2 дней."},
		{"en", "Ann", cold, "Thank you, Ann! A manager will reach you within 2 days."},
	}
	for _, tt := range tests {
		end := last(dialogue(t, f, tt.lang, tt.name, tt.inputs...))
		require.True(t, end.Finished)
		assert.Equal(t, tt.want, end.Prompts[0].Text)
	}
}

func TestAsk(t *testing.T) {
	t.Parallel()
	f := mustParse(t, everyKind)
	s := at(f, "many")
	s.Selected = []string{"y"}
	ps := Ask(f, s, "")
	require.Len(t, ps, 1)
	assert.Equal(t, "✅ Yacht", ps[0].Choices[1][0].Text)
	assert.False(t, ps[0].Edit)

	assert.Equal(t, "Thank you, we have your answers — a manager will be in touch soon.",
		Ask(f, State{Flow: "kinds", Version: 3, Lang: "en", Done: true}, "")[0].Text)
	assert.Nil(t, Ask(f, State{Flow: "kinds", Version: 2, Step: "many"}, ""), "an old version does not fit")
}

func TestStateThatDoesNotFit(t *testing.T) {
	t.Parallel()
	f := mustParse(t, everyKind)
	for _, s := range []State{
		{Flow: "other", Version: 3, Step: "pick"},
		{Flow: "kinds", Version: 2, Step: "pick"},
		{Flow: "kinds", Version: 3, Step: "nope"},
		{Flow: "kinds", Version: 3, Step: "bye"},
		{Flow: "kinds", Version: 3, Step: "pick", Done: true},
	} {
		assert.False(t, f.Fits(s), "%+v", s)
		r := Advance(f, s, Input{Text: "1"})
		assert.True(t, r.Invalid)
		assert.Empty(t, r.Prompts)
		assert.Nil(t, r.Answer)
		assert.Equal(t, s, r.State)
	}
	r := Advance(nil, State{}, Input{Text: "x"})
	assert.True(t, r.Invalid)
}

// One loaded flow serves every conversation at once.
func TestConcurrentDialogues(t *testing.T) {
	t.Parallel()
	f := qualify(t)
	done := make(chan Result)
	for i := range 16 {
		go func() {
			r := Begin(f, []string{"ru", "en"}[i%2], "")
			for _, in := range []Input{{Button: "need:buy"}, {Text: "2m"}, {Text: "1"}, {Text: "1"}, {Text: "4"}, {Text: "+79161234567"}, {Text: "-"}} {
				r = Advance(f, r.State, in)
			}
			done <- r
		}()
	}
	for range 16 {
		r := <-done
		assert.True(t, r.Finished)
		assert.Equal(t, 125, r.State.Score)
	}
}
