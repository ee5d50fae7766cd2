package sms_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/sms"
)

func TestHTTPProvider(t *testing.T) {
	var mu sync.Mutex
	var got []string
	status, answer := http.StatusOK, `{"ok":true,"id":"gw-77"}`
	gw := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, r.Method+" "+r.URL.RequestURI()+" "+r.Header.Get("Content-Type")+" "+r.Header.Get("X-Key")+" "+string(b))
		st, a := status, answer
		mu.Unlock()
		w.WriteHeader(st)
		_, _ = io.WriteString(w, a)
	}))
	defer gw.Close()
	p, err := sms.NewHTTPProvider(sms.HTTPConfig{
		URL:     gw.URL + "/send?to={{urlquery .To}}",
		Body:    `{"to":{{json .To}},"text":{{json .Text}},"from":{{json .From}}}`,
		Headers: map[string]string{"X-Key": "k1"},
		Success: `re:"id":"([^"]+)"`,
	})
	require.NoError(t, err)
	ctx := context.Background()
	m := &centralita.SMS{ID: 5, Recipient: "+598 1", Text: `dijo "hola" & <chau>`, Sender: "Centralita"}
	ids, err := p.Send(ctx, m)
	require.NoError(t, err)
	require.Equal(t, []string{"gw-77"}, ids)
	require.Equal(t, `POST /send?to=%2B598+1 application/json k1 {"to":"+598 1","text":"dijo \"hola\" & <chau>","from":"Centralita"}`, got[0])

	for _, tc := range []struct {
		status    int
		answer    string
		transient bool
	}{
		{http.StatusOK, `{"ok":false}`, false},
		{http.StatusBadRequest, `bad number`, false},
		{http.StatusServiceUnavailable, `busy`, true},
		{http.StatusTooManyRequests, `slow down`, true},
	} {
		mu.Lock()
		status, answer = tc.status, tc.answer
		mu.Unlock()
		_, err := p.Send(ctx, m)
		require.Error(t, err, "%d %s", tc.status, tc.answer)
		require.Equal(t, tc.transient, sms.Transient(err), "%d: %v", tc.status, err)
	}

	// A refusal in another charset, longer than the error keeps: the error
	// is valid UTF-8 (MariaDB refused the row otherwise, for ever).
	mu.Lock()
	status, answer = http.StatusBadRequest, "\xe9chec "+strings.Repeat("é", 300)
	mu.Unlock()
	_, err = p.Send(ctx, m)
	require.Error(t, err)
	require.True(t, utf8.ValidString(err.Error()), "%q", err.Error())
	require.Contains(t, err.Error(), "\uFFFDchec éé")

	// Substring success, GET without a body.
	mu.Lock()
	status, answer = http.StatusOK, "OK: queued"
	mu.Unlock()
	p2, err := sms.NewHTTPProvider(sms.HTTPConfig{URL: gw.URL + "/get?t={{urlquery .Text}}", Success: "OK"})
	require.NoError(t, err)
	ids, err = p2.Send(ctx, &centralita.SMS{ID: 9, Recipient: "1", Text: "a b"})
	require.NoError(t, err)
	require.Equal(t, []string{"http-9"}, ids)
	require.Contains(t, got[len(got)-1], "GET /get?t=a+b")

	for _, bad := range []sms.HTTPConfig{{}, {URL: "{{.Nope"}, {URL: "http://x", Success: "re:("}, {URL: "http://x", Body: "{{"}} {
		_, err := sms.NewHTTPProvider(bad)
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err), "%+v", bad)
	}
	p3, err := sms.NewHTTPProvider(sms.HTTPConfig{URL: "http://x/{{.Nope}}"})
	require.NoError(t, err)
	_, err = p3.Send(ctx, m)
	require.Equal(t, centralita.EINVALID, centralita.ErrorKind(err), "unknown template field")
}
