package store_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	"github.com/jmoiron/sqlx"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/centralita/centralita/store"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// mysqlServerDSN names the MariaDB/MySQL server the contract tests use; each
// test gets its own database there, dropped afterwards.
func mysqlServerDSN() (dsn string, explicit bool) {
	if v := os.Getenv("CENTRALITA_TEST_MYSQL_DSN"); v != "" {
		return v, true
	}
	return "mysql://root@127.0.0.1:3306/", false
}

// eachDB runs fn on a fresh, migrated SQLite database and a fresh, migrated
// MariaDB database, as subtests named "sqlite" and "mysql". MariaDB being
// unreachable fails the test when CI or CENTRALITA_TEST_MYSQL_DSN is set.
func eachDB(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		fn(t, openSQLite(t))
	})
	t.Run("mysql", func(t *testing.T) {
		fn(t, openMySQL(t))
	})
}

func openSQLite(t *testing.T) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, store.Config{DSN: "sqlite:" + filepath.Join(t.TempDir(), "test.db")})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.Migrate(ctx))
	return db
}

func openMySQL(t *testing.T) *store.DB {
	t.Helper()
	ctx := context.Background()
	server, explicit := mysqlServerDSN()
	admin, err := store.Open(ctx, store.Config{DSN: server})
	if err != nil {
		if os.Getenv("CI") != "" || explicit {
			t.Fatalf("MariaDB at %s unreachable (run `make test`, which starts it): %v", store.RedactDSN(server), err)
		}
		t.Skipf("MariaDB at %s unreachable; `make test` starts it: %v", store.RedactDSN(server), err)
	}
	defer admin.Close()
	name := "centralita_test_" + randHex(t, 6)
	raw := sqlx.NewDb(admin.SQL(), "mysql")
	_, err = raw.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4")
	require.NoError(t, err)
	t.Cleanup(func() {
		a, err := store.Open(context.Background(), store.Config{DSN: server})
		if err == nil {
			a.SQL().Exec("DROP DATABASE " + name)
			a.Close()
		}
	})
	dsn := strings.TrimSuffix(server, "/")
	if i := strings.Index(dsn[len("mysql://"):], "/"); i >= 0 {
		dsn = dsn[:len("mysql://")+i]
	}
	db, err := store.Open(ctx, store.Config{DSN: dsn + "/" + name})
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	require.NoError(t, db.Migrate(ctx))
	return db
}

func randHex(t *testing.T, n int) string {
	b := make([]byte, n)
	_, err := rand.Read(b)
	require.NoError(t, err)
	return hex.EncodeToString(b)
}

func TestMigrateTwiceIsNoop(t *testing.T) {
	eachDB(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		before, err := db.MigrationStatus(ctx)
		require.NoError(t, err)
		require.NotEmpty(t, before)
		require.NoError(t, db.Migrate(ctx))
		after, err := db.MigrationStatus(ctx)
		require.NoError(t, err)
		require.Equal(t, before, after)
		for _, m := range after {
			require.True(t, m.Applied, "migration %d applied", m.Version)
		}
	})
}

func TestOpenRejectsBadDSN(t *testing.T) {
	for _, dsn := range []string{"", "postgres://x", "sqlite:", "mysql://%zz"} {
		_, err := store.Open(context.Background(), store.Config{DSN: dsn})
		require.Error(t, err, dsn)
	}
}

func TestOpenMySQLUnreachableIsUnavailable(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	// Port 1 on loopback: nothing listens there.
	_, err := store.Open(ctx, store.Config{DSN: "mysql://u:secret@127.0.0.1:1/x?timeout=2s"})
	require.Error(t, err)
	require.NotContains(t, err.Error(), "secret")
}
