// Package batch sends the calls of concurrent callers to a server
// together: the calls queued while the senders are busy go in one round
// trip. storage/postgres groups the answers' statements with it, and
// storage/redis the chat gate's script calls.
package batch

import "sync"

// Group queues calls of type C and sends them in batches of at most max,
// with at most limit batches in flight. There is no long-lived
// goroutine: a call that finds fewer than limit senders at work sends
// batches itself until its own call is answered, then hands what is still
// queued to a goroutine that sends until the queue is empty; so no caller
// waits on other callers' calls longer than its own batch, and whenever
// the queue is not empty a sender is running. Under light load every call
// finds a free slot and goes at once, alone.
type Group[C any] struct {
	limit, max int
	send       func([]C)

	mu      sync.Mutex
	queue   []C
	running int
}

// New returns a Group that sends with send, which must answer every call
// of its batch (close what each caller waits on) before it returns.
func New[C any](limit, max int, send func([]C)) *Group[C] {
	return &Group[C]{limit: limit, max: max, send: send}
}

// Do queues c and, if a sender's slot is free, sends batches until done
// (closed when c is answered) is; the caller then waits on done itself.
func (g *Group[C]) Do(c C, done <-chan struct{}) {
	g.mu.Lock()
	g.queue = append(g.queue, c)
	send := g.running < max(g.limit, 1)
	if send {
		g.running++
	}
	g.mu.Unlock()
	if !send {
		return
	}
	for {
		batch := g.take()
		if batch == nil {
			return
		}
		g.send(batch)
		select {
		case <-done:
			g.mu.Lock()
			if len(g.queue) == 0 {
				g.running--
				g.mu.Unlock()
				return
			}
			g.mu.Unlock()
			go g.drain()
			return
		default:
		}
	}
}

// drain sends batches until the queue is empty.
func (g *Group[C]) drain() {
	for {
		batch := g.take()
		if batch == nil {
			return
		}
		g.send(batch)
	}
}

// take removes the next batch from the queue, or gives up the sender's
// slot and returns nil when the queue is empty.
func (g *Group[C]) take() []C {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.queue) == 0 {
		g.running--
		return nil
	}
	n := min(len(g.queue), max(g.max, 1))
	batch := make([]C, n)
	copy(batch, g.queue)
	rest := copy(g.queue, g.queue[n:])
	clear(g.queue[rest:])
	g.queue = g.queue[:rest]
	return batch
}

// Queued is how many calls wait for a batch (for tests).
func (g *Group[C]) Queued() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.queue)
}

// Hold makes every call queue as if all the senders were busy, until
// release, which starts one sender for the queue (for tests that need a
// batch of a known size).
func (g *Group[C]) Hold() (release func()) {
	g.mu.Lock()
	saved := g.running
	g.running = max(g.limit, 1)
	g.mu.Unlock()
	return func() {
		g.mu.Lock()
		g.running = saved + 1
		g.mu.Unlock()
		go g.drain()
	}
}
