package bench

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot/telegram/telegramtest"
	"github.com/voronka/voronka/storage/postgres/postgrestest"
)

// TestSideBySide runs the side-by-side mode at CI size: one run, Voronka
// (a replica re-executing this test binary, see TestMain) and the grammY
// peer, 40 customers each, both driven to the end of the dialogue by the
// answering rule. It needs node on PATH and the peer with its
// node_modules: VORONKA_PEER_DIR names the folder (a copy of
// shared/peers/grammy where `npm install` was run). CI installs no npm
// packages, so there the test skips, saying so; run it where the peer is
// installed:
//
//	VORONKA_PEER_DIR=/tmp/grammy go test ./cmd/internal/bench -run TestSideBySide
func TestSideBySide(t *testing.T) {
	t.Parallel()
	postgrestest.URL(t) // skips with VORONKA_SKIP_DB=1
	dir := os.Getenv("VORONKA_PEER_DIR")
	if dir == "" {
		t.Skip("VORONKA_PEER_DIR is not set: the side-by-side run needs the grammY peer with its node_modules (cp -r shared/peers/grammy DIR && npm install there)")
	}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH: the grammY peer cannot run")
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "grammy")); err != nil {
		t.Skipf("%s has no node_modules/grammy: run npm install there", dir)
	}
	var log bytes.Buffer
	o := benchOptions{Customers: 40, Replicas: 1, Concurrency: 8, Limits: true, LimitSeconds: 1, Dup: -1, Stale: -1, Seed: 7}
	s := sideOptions{PeerDir: dir, Node: "node", Runs: 1, PeerRedisDB: 8, PeerWebhookReply: true}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	runs, err := runSideBySide(ctx, o, s, os.Getenv, replicaProgram{Path: os.Args[0], Args: []string{"-test.run=^$"}}, &log)
	require.NoError(t, err, log.String())
	var out bytes.Buffer
	printSide(&out, runs, o)
	t.Log("\n" + log.String() + out.String())
	require.Len(t, runs, 2)
	for _, r := range runs {
		require.Equal(t, 40, r.Outcomes["finished"], "%s: every dialogue finished: %v", r.Bot, r.Outcomes)
		require.Positive(t, r.UpdatesPerSec, r.Bot)
		require.Positive(t, r.ReplyP50Ms, r.Bot)
		require.Positive(t, r.CPU.Bot, "%s: its processes' CPU is counted", r.Bot)
		require.Len(t, r.Finals, 1, "%s: one closing message: %v", r.Bot, r.Finals)
		require.InDelta(t, 1.0, min(r.Calls["sendMessage"], 1.0), 1e-9, "%s: a question an update at least: %v", r.Bot, r.Calls)
		require.Positive(t, r.InBody, "%s: some calls rode in the webhook's 200", r.Bot)
		require.LessOrEqual(t, r.InBody, 1.0, "%s: one call a 200 at most", r.Bot)
		require.Positive(t, r.PG.Commits, "%s: its commits are counted", r.Bot)
		require.Positive(t, r.PG.WALBytes, "%s: its WAL is counted", r.Bot)
		require.GreaterOrEqual(t, r.PG.IndexEntries, r.PG.Inserted, "%s: every row inserted has a primary key", r.Bot)
		require.LessOrEqual(t, r.PG.HOT, r.PG.Updated, r.Bot)
	}
	// The peer's writes, as bot.js makes them: a lead row at /start and an
	// answer row for each of the six answers (seven rows a dialogue of
	// seven updates), and one update of the lead at the end; its tables
	// have their primary keys only.
	peer := runs[1]
	require.Equal(t, "peer", peer.Bot)
	require.InDelta(t, 1.0, peer.PG.Inserted, 1e-9, "%+v", peer.PG)
	require.InDelta(t, 1.0/7, peer.PG.Updated, 1e-9, "%+v", peer.PG)
	require.InDelta(t, peer.PG.Inserted+peer.PG.Updated-peer.PG.HOT, peer.PG.IndexEntries, 1e-9, "%+v", peer.PG)
	// Voronka's: every answer a row and a heap-only update of its lead,
	// and more around them (the contact, the lead, events, the card).
	vk := runs[0]
	require.Greater(t, vk.PG.Inserted, 1.0, "%+v", vk.PG)
	require.Greater(t, vk.PG.HOT, 0.5, "%+v", vk.PG)
}

// The answering rule, on what each bot sends.
func TestAnswerRule(t *testing.T) {
	t.Parallel()
	const chat = 5
	press, done := answerRule(chat, telegramtest.Call{Text: "Budget?", MessageID: 9,
		ReplyMarkup: `{"inline_keyboard":[[{"text":"Skip","callback_data":"budget:!skip"},{"text":"B","callback_data":"b"}]]}`})
	require.False(t, done)
	require.Equal(t, "budget:!skip", press.CallbackQuery.Data)
	require.Equal(t, 9, press.CallbackQuery.Message.MessageID)

	contact, _ := answerRule(chat, telegramtest.Call{Text: "Share your phone, please:",
		ReplyMarkup: `{"keyboard":[[{"text":"Share phone","request_contact":true}]],"one_time_keyboard":true}`})
	require.NotNil(t, contact.Message.Contact)
	require.Equal(t, int64(chat), contact.Message.Contact.UserID)

	email, _ := answerRule(chat, telegramtest.Call{Text: "Where should we send our proposal? Please type your email."})
	require.Equal(t, "customer5@example.com", email.Message.Text)

	text, _ := answerRule(chat, telegramtest.Call{Text: "What is your role in the company?"})
	require.Equal(t, "Head of sales", text.Message.Text)

	_, done = answerRule(chat, telegramtest.Call{Text: "Thank you. A manager will contact you within 15 minutes."})
	require.True(t, done)
}
