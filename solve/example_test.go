package solve_test

import (
	"context"
	"fmt"

	"pdvm.dev/pdvm/solve"
)

// A web server needs a TLS library, either libssl or libgnutls; libgnutls
// pulls in two more packages. Installing the fewest packages picks libssl.
// Then the user also forbids libssl: the two requests clash, and the core
// names exactly them.
func ExampleProblem_Minimize() {
	p := solve.New()
	web, ssl, gnutls, nettle, p11 := p.NewVar(), p.NewVar(), p.NewVar(), p.NewVar(), p.NewVar()
	p.Add(web.Not(), ssl, gnutls) // web Depends: libssl | libgnutls
	p.Add(gnutls.Not(), nettle)   // libgnutls Depends: nettle
	p.Add(gnutls.Not(), p11)      // libgnutls Depends: p11-kit
	p.AddLabeled(1, web)          // request 1: install web
	count := []solve.Term{{Lit: web, Weight: 1}, {Lit: ssl, Weight: 1}, {Lit: gnutls, Weight: 1}, {Lit: nettle, Weight: 1}, {Lit: p11, Weight: 1}}

	res, _ := p.Minimize(context.Background(), [][]solve.Term{count}, solve.Options{})
	fmt.Println(res.Status, res.Cost, res.Value(ssl), res.Value(gnutls))

	p.AddLabeled(2, ssl.Not())    // request 2: avoid libssl
	p.AddLabeled(3, gnutls.Not()) // request 3: avoid libgnutls
	res, _ = p.Minimize(context.Background(), [][]solve.Term{count}, solve.Options{})
	fmt.Println(res.Status, res.Core)
	// Output:
	// optimal [2] true false
	// unsat [1 2 3]
}
