package flows

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/compiler"
	"github.com/expr-lang/expr/conf"
	"github.com/expr-lang/expr/optimizer"
	exprparser "github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// Conditions are expr-lang expressions. Their environment holds every
// answered step id as a variable of its kind's type (choice and the
// single-value kinds: string; multi: []string; number: float64), plus
// `value` (this step's answer), `score` (the lead's score, including this
// answer's option score) and `answers` (all of the above as a map). A step
// that was skipped or not reached is absent, so comparing it fails, and a
// condition that fails at run time counts as false: "budget >= 100000" is
// simply not true for a customer who never gave a budget.
//
// A condition runs on what a customer typed, so its cost must not grow
// faster than that text: lint allows only operators and functions whose
// work is linear in their operands and that build nothing bigger than
// them (see limitCond), no loop inside another loop, and at most
// maxCondNodes nodes. At run time texts are cut to maxCondText runes for
// conditions, and an evaluation whose estimated work (its nodes times the
// size of the answers they may touch) exceeds condCostBudget, or that
// builds more than expr's condMemoryBudget, is not run to the end: it
// counts as false and is reported in Result.Overbudget.

// Limits of conditions.
const (
	// maxCondNodes is the most syntax nodes one condition may have; the
	// default flow's longest has 12.
	maxCondNodes = 100
	// maxCondText is how many runes of a text answer conditions see: a
	// Telegram message's most, so no real answer is cut.
	maxCondText = maxMessage
	// condCostBudget bounds the estimated work of one evaluation, in
	// bytes touched: a few milliseconds.
	condCostBudget = 50_000_000
	// condMemoryBudget is expr's own budget of elements an evaluation may
	// build (array and map literals).
	condMemoryBudget = 10_000
)

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
		return capText(stored), true
	}
}

// capText cuts a text to the maxCondText runes conditions see.
func capText(v any) any {
	s, ok := v.(string)
	if !ok || len(s) <= maxCondText { // runes <= bytes
		return v
	}
	n := 0
	for i := range s {
		if n == maxCondText {
			return s[:i]
		}
		n++
	}
	return s
}

// condVars are typed stand-ins of every step that can be answered, built
// once per flow, so a misspelt step id or a comparison of a choice with a
// number is caught at load, not discovered as a condition that is never
// true.
func condVars(f *Flow) map[string]any {
	vars := make(map[string]any, len(f.Steps))
	for _, st := range f.Steps {
		if st.ID != "" && st.Kind != KindEnd && isKind(st.Kind) {
			vars[st.ID] = typedZero(st.Kind)
		}
	}
	return vars
}

// checkEnv is the environment the checker sees for a condition of step s
// that names the identifiers in tree: their stand-ins (not every step's,
// which would make loading a flow quadratic in its steps), value, score
// and answers.
func checkEnv(vars map[string]any, s *Step, tree *exprparser.Tree) map[string]any {
	env := map[string]any{}
	ast.Walk(&tree.Node, identifiers(func(name string) {
		if v, ok := vars[name]; ok {
			env[name] = v
		}
	}))
	env["value"] = typedZero(s.Kind)
	env["score"] = 0
	env["answers"] = map[string]any{}
	return env
}

type identifiers func(name string)

func (f identifiers) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok {
		f(id.Value)
	}
}

// condConfig is expr's configuration of conditions. Making one copies
// every builtin, so a load makes one and compiles every condition with it
// (nothing in expr writes to it but its nature cache).
func condConfig() *conf.Config {
	c := conf.CreateNew()
	c.MaxNodes = maxCondNodes
	c.Expect, c.ExpectAny = reflect.Bool, true // expr.AsBool
	return c
}

// compile parses a condition, checks it strictly against checkEnv and the
// limits, and keeps its program. The program runs on environments that
// lack the steps not (yet) answered: a missing variable reads as nil, and
// the error that makes is a false condition.
//
// It is expr.Compile taken apart, so that one parse serves the
// environment, the checker and the limits, and the limits see the tree as
// written, before the optimiser folds 1..20 into a list, for one.
func compile(config *conf.Config, vars map[string]any, s *Step, c *Cond) (err error) {
	defer func() { // a library bug on odd input must not bring down a load
		if r := recover(); r != nil {
			err = fmt.Errorf("cannot compile: %v", r)
		}
	}()
	if strings.TrimSpace(c.If) == "" {
		return fmt.Errorf("the condition is empty")
	}
	tree, err := exprparser.ParseWithConfig(c.If, config)
	if err != nil {
		return err
	}
	config.WithEnv(checkEnv(vars, s, tree))
	if _, err := new(checker.Checker).PatchAndCheck(tree, config); err != nil {
		return err
	}
	lim := limits{}
	lim.node(tree.Node, false)
	if lim.err != nil {
		return lim.err
	}
	if err := optimizer.Optimize(&tree.Node, config); err != nil {
		return err
	}
	prog, err := compiler.Compile(tree, config)
	if err != nil {
		return err
	}
	c.program, c.flat, c.looped = prog, lim.flat, lim.looped
	return nil
}

// condSize is what the cost of a condition depends on: the longest text
// and the longest list (or the number of answers) in its environment.
type condSize struct{ text, items int }

func measure(env map[string]any) condSize {
	var z condSize
	for _, v := range env {
		switch v := v.(type) {
		case string:
			z.text = max(z.text, len(v))
		case []string:
			z.items = max(z.items, len(v))
			for _, s := range v {
				z.text = max(z.text, len(s))
			}
		case map[string]any:
			z.items = max(z.items, len(v))
		}
	}
	return z
}

// cost estimates the work of one evaluation in bytes (or items) touched:
// every node outside a loop once, every node inside one once per item,
// each on at most the longest text or list (keys(answers) in a loop over
// a multi answer copies every answer's id each time round).
func (c *Cond) cost(z condSize) int {
	per := max(z.text, z.items) + 16
	return (c.flat + c.looped*max(z.items, 1)) * per
}

// eval evaluates a condition; an error at run time counts as false, and so
// does an exhausted budget, which is also reported (over is true).
func (c *Cond) eval(env map[string]any, z condSize) (holds, over bool) {
	if c.program == nil {
		return false, false
	}
	if c.cost(z) > condCostBudget {
		return false, true
	}
	m := vm.VM{MemoryBudget: condMemoryBudget}
	out, err := m.Run(c.program, env)
	if err != nil {
		return false, strings.Contains(err.Error(), "memory budget exceeded")
	}
	b, ok := out.(bool)
	return ok && b, false
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

// limits checks a condition's syntax tree against what conditions may do,
// an allow-list, and counts its nodes outside and inside loops.
type limits struct {
	flat, looped int
	err          error
}

// condFuncs are the functions conditions may call: each does work linear
// in its arguments and returns nothing bigger than them. Not allowed, for
// instance: repeat, join, split, replace, map, reduce, sort, toJSON, string.
var condFuncs = map[string]bool{
	"len": true, "abs": true, "ceil": true, "floor": true, "round": true, "int": true, "float": true,
	"trim": true, "trimPrefix": true, "trimSuffix": true, "upper": true, "lower": true,
	"indexOf": true, "lastIndexOf": true, "hasPrefix": true, "hasSuffix": true,
	"max": true, "min": true, "mean": true, "median": true, "sum": true,
	"first": true, "last": true, "get": true, "keys": true, "values": true,
	// loops over a list, one at a time
	"all": true, "any": true, "none": true, "one": true, "count": true, "filter": true,
	"find": true, "findIndex": true, "findLast": true, "findLastIndex": true,
}

// condLoops are the functions of condFuncs whose second argument runs once
// per item of the first.
var condLoops = map[string]bool{
	"all": true, "any": true, "none": true, "one": true, "count": true, "filter": true, "sum": true,
	"find": true, "findIndex": true, "findLast": true, "findLastIndex": true,
}

// condOps are the binary operators conditions may use; "+" only on numbers
// and "matches" only with a fixed pattern, checked apart.
var condOps = map[string]bool{
	"==": true, "!=": true, "<": true, ">": true, "<=": true, ">=": true,
	"and": true, "or": true, "&&": true, "||": true, "??": true,
	"in": true, "contains": true, "startsWith": true, "endsWith": true,
	"+": true, "-": true, "*": true, "/": true, "%": true, "**": true, "^": true, "matches": true,
}

func (l *limits) fail(format string, args ...any) {
	if l.err == nil {
		l.err = fmt.Errorf(format, args...)
	}
}

func (l *limits) node(n ast.Node, inLoop bool) {
	if n == nil || l.err != nil {
		return
	}
	if inLoop {
		l.looped++
	} else {
		l.flat++
	}
	switch n := n.(type) {
	case *ast.NilNode, *ast.IdentifierNode, *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode,
		*ast.StringNode, *ast.ConstantNode, *ast.PointerNode:
	case *ast.UnaryNode:
		l.node(n.Node, inLoop)
	case *ast.BinaryNode:
		switch {
		case n.Operator == "..":
			l.fail("ranges (a..b) are not allowed in conditions: they build a list")
		case !condOps[n.Operator]:
			l.fail("operator %s is not allowed in conditions", n.Operator)
		case n.Operator == "+" && !numeric(n.Left) && !numeric(n.Right):
			l.fail("+ is only for numbers in conditions: joining texts or lists builds a new value; use contains, startsWith or in instead")
		case n.Operator == "matches":
			if _, ok := n.Right.(*ast.StringNode); !ok {
				l.fail("matches needs a fixed pattern in quotes")
			}
		}
		l.node(n.Left, inLoop)
		l.node(n.Right, inLoop)
	case *ast.ChainNode:
		l.node(n.Node, inLoop)
	case *ast.MemberNode:
		l.node(n.Node, inLoop)
		l.node(n.Property, inLoop)
	case *ast.SliceNode:
		l.node(n.Node, inLoop)
		l.node(n.From, inLoop)
		l.node(n.To, inLoop)
	case *ast.BuiltinNode:
		if !condFuncs[n.Name] {
			l.fail("function %s is not allowed in conditions (allowed: %s)", n.Name, strings.Join(sortedKeys(condFuncs), ", "))
			return
		}
		loop := condLoops[n.Name] && len(n.Arguments) > 1
		if loop && inLoop {
			l.fail("%s inside a loop: loops within loops are not allowed in conditions", n.Name)
			return
		}
		for i, a := range n.Arguments {
			l.node(a, inLoop || (loop && i > 0))
		}
	case *ast.PredicateNode:
		l.node(n.Node, inLoop)
	case *ast.ConditionalNode:
		l.node(n.Cond, inLoop)
		l.node(n.Exp1, inLoop)
		l.node(n.Exp2, inLoop)
	case *ast.ArrayNode:
		for _, e := range n.Nodes {
			l.node(e, inLoop)
		}
	case *ast.MapNode:
		for _, e := range n.Pairs {
			l.node(e, inLoop)
		}
	case *ast.PairNode:
		l.node(n.Key, inLoop)
		l.node(n.Value, inLoop)
	case *ast.VariableDeclaratorNode:
		l.node(n.Value, inLoop)
		l.node(n.Expr, inLoop)
	case *ast.SequenceNode:
		for _, e := range n.Nodes {
			l.node(e, inLoop)
		}
	case *ast.CallNode:
		l.fail("calling %s is not allowed in conditions", n.Callee.String())
	default:
		l.fail("%s is not allowed in conditions", strings.TrimPrefix(fmt.Sprintf("%T", n), "*ast."))
	}
}

// numeric reports whether a checked node is certainly a number.
func numeric(n ast.Node) bool {
	t := n.Type()
	if t == nil {
		return false
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}
