package postgres

// Hooks for the package's external tests.

// HoldAnswerWriters makes every answer queue as if all of the pool's
// writers were busy, until release, which starts one writer for the queue.
func HoldAnswerWriters(db *DB) (release func()) {
	g := db.answers
	g.mu.Lock()
	saved := g.running
	g.running = g.limit
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		g.running = saved + 1
		g.mu.Unlock()
		go g.drain()
	}
}

// QueuedAnswers is how many answers wait for a group.
func QueuedAnswers(db *DB) int {
	db.answers.mu.Lock()
	defer db.answers.mu.Unlock()
	return len(db.answers.queue)
}

// AnswerGroups is how many groups of more than one answer were kept.
func AnswerGroups(db *DB) int64 { return db.answers.groups.Load() }
