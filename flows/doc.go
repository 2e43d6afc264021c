// Package flows is Voronka's dialogue engine: it loads qualification flows
// from YAML, validates them, and moves a customer's dialogue along one
// input at a time.
//
// # Flows
//
// A flow is one YAML file: its languages, score thresholds, the promised
// reaction times, and a list of steps (questions of kind text, choice,
// multi, phone, email or number, and end steps that say goodbye).
// configs/flows/qualify.yaml is the default flow and, in its comments, the
// reference of the format. Parse, Load, LoadDir and LoadFS refuse a flow
// with any problem and report all of them, each with file, line and step,
// because a flow is edited by operators, not programmers, and a typo must
// fail at deploy time rather than lose leads at run time. Beyond the form
// of each key they check that every step can be reached and the dialogue
// can always finish, that no step can be asked twice (a lead keeps one
// answer per step), that every text exists in every language, that
// conditions compile against the steps they name and stay within their
// limits, that a question has at most Telegram's 100 inline buttons
// (options, Done, Skip) and their data fits Telegram's 64 bytes, and that
// some path can reach the hot threshold. Checking takes time linear in
// the size of the flow.
//
// # Conditions
//
// score_when and next_when hold expr-lang expressions (github.com/expr-lang/expr)
// over the answers: every answered step by its id (a choice as its option
// id, a multi as a list of ids, a number as a float64, anything else as a
// string), `value` for the step's own answer, `score` for the score so far
// including this answer's options, and `answers` for the lot as a map. They
// are compiled once at load, against typed stand-ins for every step, so a
// misspelt step id or comparing a choice with a number is a load problem.
// At run time a step not answered (or skipped) is absent, and a condition
// that errors counts as false.
//
// A customer's text must not be able to make a condition expensive, so
// conditions are an allow-list: comparisons, arithmetic (+ on numbers
// only), in, contains, startsWith, endsWith, matches with a fixed pattern,
// the functions whose work is linear in their arguments and that build
// nothing bigger than them (len, lower, indexOf, keys, max, …), and the
// loops all, any, none, one, count, filter, sum and find*, never one
// inside another; at most 100 nodes. repeat, ranges, map, reduce, join,
// split, sort and the like are load problems. At run time conditions see
// at most the first 4,096 runes of a text answer, and an evaluation whose
// estimated work (its nodes, times the items its loops run over, times
// the longest text or list) is over budget, or that builds more than expr's
// memory budget, counts as false and is named in Result.Overbudget for
// the caller to log. The work is deterministic, so Replay decides as
// Advance did.
//
// # The engine
//
// Begin, Advance, Ask and Replay are pure functions of a *Flow and a
// State: no I/O, no clock, no randomness, no shared mutable state. The
// caller (the bot's dispatcher) keeps the State, stores each Answered in
// the CRM and sends the Prompts; because the engine decides nothing that
// is not in its inputs, a dialogue can be replayed from stored answers
// after a restart, tested as a table, and fuzzed. Prompts are plain text:
// names and answers come from customers, so a channel must not render them
// as markup.
//
// Buttons carry "<step>:<option>" as callback data, "<step>:!done" for the
// Done button of a multi step and "<step>:!skip" for Skip. A button of any
// other step than the current one is stale (an old message) and changes
// nothing.
package flows
