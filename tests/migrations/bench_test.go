package integration

import (
	"context"
	"fmt"
	"net"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"git.dev.trmtracking.org/trm/directus/lib/migrations"
)

// queryCounter counts the requests a pool's connections send that wait
// for an answer: each simple query ('Q') or extended-protocol exchange
// (starting with Parse or Bind) is one write and one round trip. It counts
// on the wire, so it sees every query whatever API sent it.
type queryCounter struct{ n atomic.Int64 }

type countingConn struct {
	net.Conn
	qc *queryCounter
}

func (c countingConn) Write(b []byte) (int, error) {
	if len(b) > 0 && (b[0] == 'Q' || b[0] == 'P' || b[0] == 'B') {
		c.qc.n.Add(1)
	}
	return c.Conn.Write(b)
}

// count makes the connections of cfg count their round trips in qc.
func (qc *queryCounter) count(cfg *pgxpool.Config) {
	dial := cfg.ConnConfig.DialFunc
	cfg.ConnConfig.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{Conn: conn, qc: qc}, nil
	}
}

func countingPool(b *testing.B, dsn string, qc *queryCounter) *pgxpool.Pool {
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		b.Fatal(err)
	}
	qc.count(cfg)
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return pool
}

func trivialFiles(n int) fstest.MapFS {
	fsys := fstest.MapFS{}
	for i := 1; i <= n; i++ {
		fsys[fmt.Sprintf("%03d_t%d.sql", i, i)] = &fstest.MapFile{Data: []byte(fmt.Sprintf("CREATE TABLE t%d (id int);", i))}
	}
	return fsys
}

// BenchmarkApplyNoOp is a boot where everything is applied: one query on
// an open pool, no lock.
func BenchmarkApplyNoOp(b *testing.B) {
	dsn := pg.New(b)
	fsys := trivialFiles(200)
	var qc queryCounter
	pool := countingPool(b, dsn, &qc)
	p := newProvider(b, pool, fsys)
	if _, err := p.Apply(ctx); err != nil {
		b.Fatal(err)
	}
	qc.n.Store(0)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		res, err := p.Apply(ctx)
		if err != nil || len(res.Applied) != 0 || res.Locked {
			b.Fatalf("%+v %v", res, err)
		}
	}
	b.ReportMetric(float64(qc.n.Load())/float64(b.N), "queries/op")
}

// BenchmarkApplyNoOpNewConnection includes opening the connection, as a
// process starting up does.
func BenchmarkApplyNoOpNewConnection(b *testing.B) {
	dsn := pg.New(b)
	fsys := trivialFiles(200)
	if _, err := newProvider(b, newPool(b, dsn), fsys).Apply(ctx); err != nil {
		b.Fatal(err)
	}
	var qc queryCounter
	b.ReportAllocs()
	for b.Loop() {
		cfg, _ := pgxpool.ParseConfig(dsn)
		qc.count(cfg)
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		p, err := migrations.New(pool, fsys)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := p.Apply(ctx); err != nil {
			b.Fatal(err)
		}
		pool.Close()
	}
	b.ReportMetric(float64(qc.n.Load())/float64(b.N), "queries/op")
}

// BenchmarkApply200Files applies 200 trivial files to an empty database,
// one commit per file with its ledger row.
func BenchmarkApply200Files(b *testing.B) {
	fsys := trivialFiles(200)
	var qc queryCounter
	for b.Loop() {
		b.StopTimer()
		pool := countingPool(b, pg.New(b), &qc)
		p := newProvider(b, pool, fsys)
		b.StartTimer()
		res, err := p.Apply(ctx)
		if err != nil || len(res.Applied) != 200 {
			b.Fatalf("%v", err)
		}
	}
	b.ReportMetric(float64(qc.n.Load())/float64(b.N), "queries/op")
}

// BenchmarkConcurrentRunnersWaiterLag starts 5 runners together on an
// empty database and reports how long after the winner finished the last
// waiter finished (lag-ms), which polling runners make seconds long.
func BenchmarkConcurrentRunnersWaiterLag(b *testing.B) {
	fsys := trivialFiles(20)
	var lags []float64
	for b.Loop() {
		b.StopTimer()
		dsn := pg.New(b)
		providers := make([]*migrations.Provider, 5)
		for i := range providers {
			pool := newPool(b, dsn)
			if err := pool.Ping(ctx); err != nil {
				b.Fatal(err)
			}
			providers[i] = newProvider(b, pool, fsys)
		}
		b.StartTimer()
		finished := make([]time.Time, len(providers))
		applied := make([]int, len(providers))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, p := range providers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				res, err := p.Apply(ctx)
				finished[i] = time.Now()
				if err != nil {
					b.Error(err)
					return
				}
				applied[i] = len(res.Applied)
			}()
		}
		close(start)
		wg.Wait()
		var winner time.Time
		for i := range providers {
			if applied[i] == 20 {
				winner = finished[i]
			}
		}
		sort.Slice(finished, func(i, j int) bool { return finished[i].Before(finished[j]) })
		lags = append(lags, float64(finished[len(finished)-1].Sub(winner))/1e6)
	}
	sort.Float64s(lags)
	b.ReportMetric(lags[len(lags)/2], "median-lag-ms")
	b.ReportMetric(lags[len(lags)-1], "max-lag-ms")
}
