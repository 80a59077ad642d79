module github.com/uringo/uring/conformance

go 1.26.0

require github.com/uringo/uring v0.0.0-00010101000000-000000000000

require golang.org/x/sys v0.50.0

replace github.com/uringo/uring => ../
