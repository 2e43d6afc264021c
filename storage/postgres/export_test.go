package postgres

// Hooks for the package's external tests.

// HoldAnswerWriters makes every answer queue as if all of the pool's
// writers were busy, until release, which starts one writer for the queue.
func HoldAnswerWriters(db *DB) (release func()) { return db.answers.batch.Hold() }

// QueuedAnswers is how many answers wait for a group.
func QueuedAnswers(db *DB) int { return db.answers.batch.Queued() }

// AnswerGroups is how many groups of more than one answer were kept.
func AnswerGroups(db *DB) int64 { return db.answers.groups.Load() }
