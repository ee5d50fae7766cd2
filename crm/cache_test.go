package crm_test

import (
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/crm"
)

func TestCallerNameCache(t *testing.T) {
	t.Run("hit then expiry", func(t *testing.T) {
		srv := newCRM(t, answer(http.StatusOK, "", "Ana"))
		clk := newClock()
		pushes := &fakePushes{}
		c := newClient(t, crm.Config{CallerIDName: rest(srv.URL), CacheTTL: time.Minute, Now: clk.Now}, pushes)
		for range 3 {
			name, err := c.CallerIDName(t.Context(), "099")
			require.NoError(t, err)
			require.Equal(t, "Ana", name)
		}
		require.Equal(t, 1, srv.count())
		require.Len(t, pushes.all(), 1, "a cache hit is not an attempt")

		clk.Add(time.Minute - time.Second)
		_, err := c.CallerIDName(t.Context(), "099")
		require.NoError(t, err)
		require.Equal(t, 1, srv.count())

		clk.Add(time.Second)
		_, err = c.CallerIDName(t.Context(), "099")
		require.NoError(t, err)
		require.Equal(t, 2, srv.count(), "expired after the TTL")

		_, err = c.CallerIDName(t.Context(), "098")
		require.NoError(t, err)
		require.Equal(t, 3, srv.count(), "per number")
	})
	t.Run("empty answers are cached", func(t *testing.T) {
		srv := newCRM(t, answer(http.StatusOK, "", ""))
		c := newClient(t, crm.Config{CallerIDName: rest(srv.URL)}, nil)
		for range 2 {
			name, err := c.CallerIDName(t.Context(), "099")
			require.NoError(t, err)
			require.Empty(t, name)
		}
		require.Equal(t, 1, srv.count())
	})
	t.Run("failures are not cached", func(t *testing.T) {
		var n atomic.Int32
		srv := newCRM(t, func(w http.ResponseWriter, r *http.Request, i int) {
			if n.Add(1) == 1 {
				http.Error(w, "down", http.StatusServiceUnavailable)
				return
			}
			answer(http.StatusOK, "", "Ana")(w, r, i)
		})
		c := newClient(t, crm.Config{CallerIDName: rest(srv.URL)}, nil)
		_, err := c.CallerIDName(t.Context(), "099")
		require.Equal(t, centralita.EUNAVAILABLE, centralita.ErrorKind(err))
		name, err := c.CallerIDName(t.Context(), "099")
		require.NoError(t, err)
		require.Equal(t, "Ana", name)
		_, err = c.CallerIDName(t.Context(), "099")
		require.NoError(t, err)
		require.Equal(t, 2, srv.count())
	})
	t.Run("disabled", func(t *testing.T) {
		srv := newCRM(t, answer(http.StatusOK, "", "Ana"))
		c := newClient(t, crm.Config{CallerIDName: rest(srv.URL), CacheTTL: -1}, nil)
		for range 3 {
			_, err := c.CallerIDName(t.Context(), "099")
			require.NoError(t, err)
		}
		require.Equal(t, 3, srv.count())
	})
	t.Run("size evicts the oldest", func(t *testing.T) {
		srv := newCRM(t, func(w http.ResponseWriter, r *http.Request, n int) {
			_, _ = w.Write([]byte("name"))
		})
		c := newClient(t, crm.Config{CallerIDName: rest(srv.URL), CacheSize: 2}, nil)
		for _, number := range []string{"1", "2", "3", "2", "3"} {
			_, err := c.CallerIDName(t.Context(), number)
			require.NoError(t, err)
		}
		require.Equal(t, 3, srv.count(), "2 and 3 are cached")
		_, err := c.CallerIDName(t.Context(), "1")
		require.NoError(t, err)
		require.Equal(t, 4, srv.count(), "1 was evicted")
		_, err = c.CallerIDName(t.Context(), "2")
		require.NoError(t, err)
		require.Equal(t, 5, srv.count(), "2 was the oldest when 1 came back")
	})
}
