package storetest

import (
	"testing"

	"signpost/store/boltstore"
)

// OpenBolt opens the embedded store, the real thing, in tb's temp dir and
// closes it at cleanup: for the tests of packages built on the store.
func OpenBolt(tb testing.TB) *boltstore.Store {
	tb.Helper()
	st, err := boltstore.Open(tb.TempDir())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}
