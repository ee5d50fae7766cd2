package store_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/centralita/centralita"
	"github.com/centralita/centralita/store"
)

func TestListService(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		s := store.NewListService(db)
		vend := &centralita.List{Name: "vendedores", Alias: "Vendedores", Description: "Asocia CallerID", Type: centralita.ListSimple}
		require.NoError(t, s.CreateList(ctx, vend))
		require.NotZero(t, vend.ID)
		cart := &centralita.List{Name: "cartera", Alias: "Cartera", Type: centralita.ListSimple}
		require.NoError(t, s.CreateList(ctx, cart))
		zones := &centralita.List{Name: "zonas", Type: centralita.ListRange}
		require.NoError(t, s.CreateList(ctx, zones))
		require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(s.CreateList(ctx, &centralita.List{Name: "cartera", Type: centralita.ListSimple})))
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateList(ctx, &centralita.List{Name: "12", Type: centralita.ListSimple})))
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateList(ctx, &centralita.List{Name: "x", Type: "tree"})))

		ls, err := s.FindLists(ctx, centralita.ListSimple)
		require.NoError(t, err)
		require.Len(t, ls, 2)
		require.Equal(t, "vendedores", ls[0].Name)
		all, err := s.FindLists(ctx, "")
		require.NoError(t, err)
		require.Len(t, all, 3)
		got, err := s.FindListByName(ctx, "cartera")
		require.NoError(t, err)
		require.Equal(t, cart.ID, got.ID)
		_, err = s.FindListByName(ctx, "CARTERA")
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err), "names compare byte for byte")

		// Elements: a duplicate key is ECONFLICT; keys are case-sensitive.
		e := &centralita.ListEntry{ListID: cart.ID, Key: "27126666", Value: "112"}
		require.NoError(t, s.CreateListEntry(ctx, e))
		require.NotZero(t, e.ID)
		dup := &centralita.ListEntry{ListID: cart.ID, Key: "27126666", Value: "113"}
		require.Equal(t, centralita.ECONFLICT, centralita.ErrorKind(s.CreateListEntry(ctx, dup)))
		require.NoError(t, s.CreateListEntry(ctx, &centralita.ListEntry{ListID: cart.ID, Key: "abc", Value: "1"}))
		require.NoError(t, s.CreateListEntry(ctx, &centralita.ListEntry{ListID: cart.ID, Key: "ABC", Value: "2"}))
		// MariaDB ignores trailing spaces in comparisons, SQLite does not:
		// keys with outer white space are refused on both.
		for _, k := range []string{"abc ", " abc", "abc\t", "\nabc"} {
			require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateListEntry(ctx, &centralita.ListEntry{ListID: cart.ID, Key: k, Value: "3"})), "%q", k)
		}
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateList(ctx, &centralita.List{Name: "cartera ", Type: centralita.ListSimple})))
		require.NoError(t, s.CreateListEntry(ctx, &centralita.ListEntry{ListID: vend.ID, Key: "27126666", Value: "ventas"}), "keys are per list")
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(s.CreateListEntry(ctx, &centralita.ListEntry{ListID: 999, Key: "k"})))
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateListEntry(ctx, &centralita.ListEntry{ListID: cart.ID, Key: "1", KeyEnd: "2"})))

		up := &centralita.ListEntry{ListID: cart.ID, Key: "27126666", Value: "valor nuevo"}
		require.NoError(t, s.UpdateListEntry(ctx, up))
		require.Equal(t, e.ID, up.ID)
		require.NoError(t, s.UpdateListEntry(ctx, up), "an unchanged update is not a miss")
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(s.UpdateListEntry(ctx, &centralita.ListEntry{ListID: cart.ID, Key: "none"})))
		ge, err := s.FindListEntry(ctx, cart.ID, "27126666")
		require.NoError(t, err)
		require.Equal(t, centralita.ListEntry{ID: e.ID, ListID: cart.ID, Key: "27126666", Value: "valor nuevo"}, *ge)
		es, err := s.FindListEntries(ctx, cart.ID)
		require.NoError(t, err)
		require.Equal(t, []string{"27126666", "ABC", "abc"}, []string{es[0].Key, es[1].Key, es[2].Key})
		_, err = s.FindListEntries(ctx, 999)
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))

		// Ranges: digit keys of one length; the range starting last wins.
		require.NoError(t, s.CreateListEntry(ctx, &centralita.ListEntry{ListID: zones.ID, Key: "27000000", KeyEnd: "27999999", Value: "montevideo"}))
		require.NoError(t, s.CreateListEntry(ctx, &centralita.ListEntry{ListID: zones.ID, Key: "27120000", KeyEnd: "27129999", Value: "centro"}))
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateListEntry(ctx, &centralita.ListEntry{ListID: zones.ID, Key: "2", KeyEnd: "30"})))
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateListEntry(ctx, &centralita.ListEntry{ListID: zones.ID, Key: "5", KeyEnd: "4"})))
		require.Equal(t, centralita.EINVALID, centralita.ErrorKind(s.CreateListEntry(ctx, &centralita.ListEntry{ListID: zones.ID, Key: "k"})))

		for _, c := range []struct{ list, key, want string }{
			{"cartera", "27126666", "valor nuevo"},
			{"cartera", "ABC", "2"},
			{"vendedores", "27126666", "ventas"},
			{"zonas", "27125555", "centro"},
			{"zonas", "27990000", "montevideo"},
			{"zonas", "27120000", "centro"},
			{"zonas", "27129999", "centro"},
			{"zonas", "2712999", ""},   // other length
			{"zonas", "2712500a", ""},  // not digits
			{"zonas", "28000000", ""},  // outside
			{"cartera", "2712666", ""}, // no such key
			{"nolist", "1", ""},
		} {
			v, err := s.LookupList(ctx, c.list, c.key)
			if c.want == "" {
				require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err), "%s %s", c.list, c.key)
				continue
			}
			require.NoError(t, err, "%s %s", c.list, c.key)
			require.Equal(t, c.want, v, "%s %s", c.list, c.key)
		}

		del, err := s.DeleteListEntry(ctx, cart.ID, "27126666")
		require.NoError(t, err)
		require.Equal(t, "valor nuevo", del.Value)
		_, err = s.DeleteListEntry(ctx, cart.ID, "27126666")
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err))

		cart.Alias = "Cartera 2"
		require.NoError(t, s.UpdateList(ctx, cart))
		got, err = s.FindList(ctx, cart.ID)
		require.NoError(t, err)
		require.Equal(t, "Cartera 2", got.Alias)
		require.Equal(t, centralita.ListSimple, got.Type)
		require.NoError(t, s.DeleteList(ctx, cart.ID))
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(s.DeleteList(ctx, cart.ID)))
		_, err = s.LookupList(ctx, "cartera", "ABC")
		require.Equal(t, centralita.ENOTFOUND, centralita.ErrorKind(err), "entries go with their list")
	})
}
