package app_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"signpost/internal/apitest"
)

// contract checks every exchange the end-to-end tests make (in.do and the
// other request helpers) against api/openapi.yaml. One Validator serves
// the whole package, so that its coverage adds up over every test.
var contract *apitest.Validator

func TestMain(m *testing.M) {
	v, err := apitest.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	contract = v
	code := m.Run()
	// The coverage report only means something when every test ran.
	if f := flag.Lookup("test.run"); f == nil || f.Value.String() == "" {
		un := contract.Unexercised()
		fmt.Printf("contract: %d of %d documented operations not exercised by the end-to-end tests:\n  %s\n",
			len(un), contract.Operations(), strings.Join(un, "\n  "))
		if testing.Verbose() {
			fmt.Printf("contract: exercised (with the statuses seen):\n  %s\n", strings.Join(contract.Exercised(), "\n  "))
		}
	}
	os.Exit(code)
}
