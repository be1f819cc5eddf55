module example.com/lib/example

go 1.25.0
