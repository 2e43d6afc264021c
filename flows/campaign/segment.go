package campaign

import (
	"fmt"
	"strings"
	"time"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	exprparser "github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"

	"github.com/voronka/voronka/crm"
)

// Segment conditions are expr-lang expressions over crm's segment fields
// (crm.SegmentFieldList) and three helpers:
//
//	days_since(won_at) > 60        days from a time field to now
//	answered("need")               the lead answered the step
//	answered("need", "buy")        ... with that answer
//	answer("need") == "buy"        the same, as a value
//
// The part that compiles to a crm.Cond is selected by the store in one
// query: comparisons of a field with a constant (==, !=, <, <=, >, >=,
// in [...]), a time field against nil, days_since(field) against a
// number, answered(...) and answer(...) == "...", joined by &&, || and !.
// Anything else (string functions, arithmetic, matches, two fields
// compared) is evaluated in Go over the rows the compiled part selected:
// in a top-level && chain the compiled terms still select in SQL and the
// whole condition is checked in Go; an || with an uncompiled side is not
// compiled at all, so such a segment reads every reachable customer.

// CompileSegment checks and compiles a segment's condition.
func CompileSegment(name, src string) (crm.Segment, error) {
	seg := crm.Segment{Name: name, Expr: src}
	if strings.TrimSpace(src) == "" || strings.TrimSpace(src) == "true" {
		return seg, nil
	}
	prog, err := expr.Compile(src, append(exprOptions(checkEnv(time.Time{}, nil)), expr.AsBool())...)
	if err != nil {
		return seg, fmt.Errorf("segment %s: %w", name, err)
	}
	tree, err := exprparser.Parse(src)
	if err != nil {
		return seg, fmt.Errorf("segment %s: %w", name, err)
	}
	where, whole := compileNode(tree.Node)
	if !whole {
		where, _ = compileConjuncts(tree.Node)
	}
	if where != nil {
		seg.Where = where
	}
	if !whole {
		seg.NeedsAnswers = strings.Contains(src, "answer")
		seg.Match = func(fields map[string]any, now time.Time) (bool, error) { return run(prog, fields, now) }
	}
	return seg, nil
}

func exprOptions(env map[string]any) []expr.Option {
	return []expr.Option{expr.Env(env)}
}

// checkEnv is the environment of one row: its fields, and the helpers
// bound to now and its answers.
func checkEnv(now time.Time, fields map[string]any) map[string]any {
	env := map[string]any{}
	for _, f := range crm.SegmentFieldList() {
		switch f.Kind {
		case "string":
			env[f.Name] = ""
		case "number":
			env[f.Name] = float64(0)
		case "bool":
			env[f.Name] = false
		default:
			env[f.Name] = nil
		}
	}
	for k, v := range fields {
		env[k] = v
	}
	answers, _ := fields["answers"].(map[string]string)
	env["days_since"] = func(t any) float64 {
		tt, ok := t.(time.Time)
		if !ok {
			if p, ok2 := t.(*time.Time); ok2 && p != nil {
				tt, ok = *p, true
			}
		}
		if !ok {
			return -1
		}
		return now.Sub(tt).Hours() / 24
	}
	env["answered"] = func(step string, value ...string) bool {
		v, ok := answers[step]
		return ok && (len(value) == 0 || v == value[0])
	}
	env["answer"] = func(step string) string { return answers[step] }
	return env
}

func run(prog *vm.Program, fields map[string]any, now time.Time) (bool, error) {
	out, err := expr.Run(prog, checkEnv(now, fields))
	if err != nil {
		return false, err
	}
	b, _ := out.(bool)
	return b, nil
}

// compileConjuncts compiles what it can of a top-level && chain.
func compileConjuncts(n ast.Node) (*crm.Cond, bool) {
	if b, ok := n.(*ast.BinaryNode); ok && (b.Operator == "&&" || b.Operator == "and") {
		l, lok := compileConjuncts(b.Left)
		r, rok := compileConjuncts(b.Right)
		switch {
		case l != nil && r != nil:
			return &crm.Cond{Op: "and", Args: []crm.Cond{*l, *r}}, lok && rok
		case l != nil:
			return l, false
		default:
			return r, false
		}
	}
	c, ok := compileNode(n)
	if !ok {
		return nil, false
	}
	return c, true
}

// compileNode compiles n whole, or answers false.
func compileNode(n ast.Node) (*crm.Cond, bool) {
	switch n := n.(type) {
	case *ast.BoolNode:
		if n.Value {
			return nil, true
		}
		return &crm.Cond{Op: "cmp", Field: "score", Cmp: "!=", Value: "never"}, false
	case *ast.UnaryNode:
		if n.Operator != "!" && n.Operator != "not" {
			return nil, false
		}
		c, ok := compileNode(n.Node)
		if !ok || c == nil {
			return nil, false
		}
		return &crm.Cond{Op: "not", Args: []crm.Cond{*c}}, true
	case *ast.CallNode:
		return compileCall(n)
	case *ast.BinaryNode:
		switch n.Operator {
		case "&&", "and", "||", "or":
			l, lok := compileNode(n.Left)
			r, rok := compileNode(n.Right)
			if !lok || !rok || l == nil || r == nil {
				return nil, false
			}
			op := "and"
			if n.Operator == "||" || n.Operator == "or" {
				op = "or"
			}
			return &crm.Cond{Op: op, Args: []crm.Cond{*l, *r}}, true
		case "in":
			id, ok := n.Left.(*ast.IdentifierNode)
			arr, ok2 := n.Right.(*ast.ArrayNode)
			if !ok || !ok2 || !plainField(id.Value) {
				return nil, false
			}
			var vals []any
			for _, e := range arr.Nodes {
				v, ok := literal(e)
				if !ok {
					return nil, false
				}
				vals = append(vals, v)
			}
			return &crm.Cond{Op: "in", Field: id.Value, Value: vals}, true
		case "==", "!=", "<", "<=", ">", ">=":
			return compileCmp(n)
		}
	}
	return nil, false
}

var flipped = map[string]string{"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}

func compileCmp(n *ast.BinaryNode) (*crm.Cond, bool) {
	left, right, op := n.Left, n.Right, n.Operator
	if _, isLit := literal(left); isLit {
		left, right, op = right, left, flipped[op]
	}
	if _, isNil := left.(*ast.NilNode); isNil {
		left, right = right, left
	}
	switch l := left.(type) {
	case *ast.IdentifierNode:
		f, ok := crm.LookupSegmentField(l.Value)
		if !ok {
			return nil, false
		}
		if _, isNil := right.(*ast.NilNode); isNil && (op == "==" || op == "!=") && f.Kind == "time" {
			return &crm.Cond{Op: "null", Field: f.Name, Cmp: op}, true
		}
		v, ok := literal(right)
		if !ok || f.Kind == "time" || !kindFits(f.Kind, v) {
			return nil, false
		}
		return &crm.Cond{Op: "cmp", Field: f.Name, Cmp: op, Value: v}, true
	case *ast.CallNode:
		name := callee(l)
		v, ok := literal(right)
		switch {
		case name == "days_since" && ok && len(l.Arguments) == 1:
			id, isID := l.Arguments[0].(*ast.IdentifierNode)
			f, known := crm.LookupSegmentField(identName(id, isID))
			if _, num := v.(float64); !known || f.Kind != "time" || !num {
				return nil, false
			}
			return &crm.Cond{Op: "days", Field: f.Name, Cmp: op, Value: v}, true
		case name == "answer" && ok && op == "==" && len(l.Arguments) == 1:
			step, isStr := l.Arguments[0].(*ast.StringNode)
			s, isS := v.(string)
			if !isStr || !isS {
				return nil, false
			}
			return &crm.Cond{Op: "answered", Step: step.Value, Value: s}, true
		}
	}
	return nil, false
}

func compileCall(n *ast.CallNode) (*crm.Cond, bool) {
	if callee(n) != "answered" || len(n.Arguments) < 1 || len(n.Arguments) > 2 {
		return nil, false
	}
	step, ok := n.Arguments[0].(*ast.StringNode)
	if !ok {
		return nil, false
	}
	c := &crm.Cond{Op: "answered", Step: step.Value}
	if len(n.Arguments) == 2 {
		v, ok := n.Arguments[1].(*ast.StringNode)
		if !ok {
			return nil, false
		}
		c.Value = v.Value
	}
	return c, true
}

func callee(n *ast.CallNode) string {
	if id, ok := n.Callee.(*ast.IdentifierNode); ok {
		return id.Value
	}
	return ""
}

func identName(id *ast.IdentifierNode, ok bool) string {
	if !ok {
		return ""
	}
	return id.Value
}

func plainField(name string) bool {
	f, ok := crm.LookupSegmentField(name)
	return ok && f.Kind != "time"
}

func kindFits(kind string, v any) bool {
	switch v.(type) {
	case string:
		return kind == "string"
	case float64:
		return kind == "number"
	case bool:
		return kind == "bool"
	}
	return false
}

// literal is a constant's value: string, float64 or bool.
func literal(n ast.Node) (any, bool) {
	switch n := n.(type) {
	case *ast.StringNode:
		return n.Value, true
	case *ast.IntegerNode:
		return float64(n.Value), true
	case *ast.FloatNode:
		return n.Value, true
	case *ast.BoolNode:
		return n.Value, true
	case *ast.UnaryNode:
		if n.Operator == "-" {
			if v, ok := literal(n.Node); ok {
				if f, ok := v.(float64); ok {
					return -f, true
				}
			}
		}
	}
	return nil, false
}
