package flows

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
)

// Conditions are expr-lang expressions. Their environment holds every
// answered step id as a variable of its kind's type (choice and the
// single-value kinds: string; multi: []string; number: float64), plus
// `value` (this step's answer), `score` (the lead's score, including this
// answer's option score) and `answers` (all of the above as a map). A step
// that was skipped or not reached is absent, so comparing it fails, and a
// condition that fails at run time counts as false: "budget >= 100000" is
// simply not true for a customer who never gave a budget.

// typedZero is a value of the type a kind's answer has in conditions.
func typedZero(kind string) any {
	switch kind {
	case KindMulti:
		return []string{}
	case KindNumber:
		return float64(0)
	default:
		return ""
	}
}

// typed turns a stored answer back into its condition value; false for a
// skipped answer (stored as "") or one that does not parse.
func typed(kind, stored string) (any, bool) {
	if stored == "" {
		return nil, false
	}
	switch kind {
	case KindMulti:
		return strings.Split(stored, ","), true
	case KindNumber:
		v, err := strconv.ParseFloat(stored, 64)
		if err != nil {
			return nil, false
		}
		return v, true
	default:
		return stored, true
	}
}

// checkEnv is the environment the checker sees for conditions of step s:
// every step that can be answered, typed, so a misspelt step id or a
// comparison of a choice with a number is caught at load, not discovered as
// a condition that is never true.
func checkEnv(f *Flow, s *Step) map[string]any {
	env := map[string]any{}
	for _, st := range f.Steps {
		if st.ID != "" && st.Kind != KindEnd && isKind(st.Kind) {
			env[st.ID] = typedZero(st.Kind)
		}
	}
	env["value"] = typedZero(s.Kind)
	env["score"] = 0
	env["answers"] = map[string]any{}
	return env
}

// compile checks a condition strictly against checkEnv and keeps a program
// compiled with AllowUndefinedVariables, because at run time the steps not
// (yet) answered are missing from the environment.
func compile(f *Flow, s *Step, c *Cond) (err error) {
	defer func() { // a library bug on odd input must not bring down a load
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot compile: %v", r)
		}
	}()
	if strings.TrimSpace(c.If) == "" {
		return fmt.Errorf("the condition is empty")
	}
	env := checkEnv(f, s)
	if _, err := expr.Compile(c.If, expr.Env(env), expr.AsBool()); err != nil {
		return err
	}
	prog, err := expr.Compile(c.If, expr.Env(env), expr.AllowUndefinedVariables(), expr.AsBool())
	if err != nil {
		return err
	}
	c.program = prog
	return nil
}

// holds evaluates a condition; an error at run time counts as false.
func (c *Cond) holds(env map[string]any) bool {
	if c.program == nil {
		return false
	}
	out, err := expr.Run(c.program, env)
	if err != nil {
		return false
	}
	b, ok := out.(bool)
	return ok && b
}

// answersEnv builds the condition environment from stored answers; all is
// the map under "answers", for the caller to add the answer at hand.
func answersEnv(f *Flow, answers map[string]string) (env, all map[string]any) {
	env = make(map[string]any, len(answers)+4)
	all = make(map[string]any, len(answers)+1)
	for id, v := range answers {
		st := f.Step(id)
		if st == nil {
			continue
		}
		if tv, ok := typed(st.Kind, v); ok {
			env[id] = tv
			all[id] = tv
		}
	}
	env["answers"] = all
	return env, all
}
