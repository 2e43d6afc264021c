package telegram_test

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/voronka/voronka/bot"
	"github.com/voronka/voronka/bot/telegram"
	"github.com/voronka/voronka/crm"
)

// TestSenderPhotoAndDocument: a chart goes as sendPhoto and a CSV as
// sendDocument, uploaded as multipart with the text as the caption; a 5xx
// is retried with the same bytes.
func TestSenderPhotoAndDocument(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s, _ := newSender(t, b, telegram.SenderOptions{})
	ctx := context.Background()
	png := []byte("\x89PNG\r\n\x1a\nchart")
	b.srv.Fail("sendPhoto", 1, 502, 0)
	id, err := s.Send(ctx, bot.Message{ChatID: 42, Text: "Funnel · 7d", Photo: png, PhotoName: "funnel.png"})
	require.NoError(t, err)
	require.NotZero(t, id)
	_, err = s.Send(ctx, bot.Message{ChatID: 42, Text: "Export", Document: []byte("a,b\n1,2\n"), DocumentName: "leads.csv"})
	require.NoError(t, err)

	files := b.srv.Files(42)
	require.Len(t, files, 2)
	require.Equal(t, "sendPhoto", files[0].Method)
	require.Equal(t, png, files[0].File)
	require.Equal(t, "funnel.png", files[0].FileName)
	require.Equal(t, "Funnel · 7d", files[0].Text)
	require.Equal(t, "sendDocument", files[1].Method)
	require.Equal(t, "leads.csv", files[1].FileName)
	require.Equal(t, []byte("a,b\n1,2\n"), files[1].File)
	require.Equal(t, 1, b.srv.Failed("sendPhoto"))
	require.Empty(t, b.srv.Sent(42), "no text message besides")
}

func TestSenderRefusesBadFiles(t *testing.T) {
	t.Parallel()
	b := setup(t)
	s, _ := newSender(t, b, telegram.SenderOptions{})
	ctx := context.Background()
	for name, m := range map[string]bot.Message{
		"both":         {ChatID: 1, Photo: []byte("p"), Document: []byte("d")},
		"long caption": {ChatID: 1, Text: strings.Repeat("я", 1025), Photo: []byte("p")},
		"empty photo":  {ChatID: 1, Photo: []byte{}},
		"edit":         {ChatID: 1, Photo: []byte("p"), EditMessageID: 5},
	} {
		_, err := s.Send(ctx, m)
		require.Equal(t, crm.EINVALID, crm.ErrorCode(err), name)
	}
	require.Empty(t, b.srv.Files(1))
}
