// Command main is the Go peer of bench/chan.bench.ts and bench/sync.bench.ts: the same
// channel and sync workloads, timed by hand (no testing package, no go.mod), so the runner can
// compare cprime-coro with Go's own scheduler and channels in the same run.
//
// Each benchmark is a "call" that does opsPerCall operations, spawning its
// goroutines inside the call exactly as the TypeScript cases spawn their
// coroutines inside `fn`. A sample repeats calls until it has lasted at least
// -sample-ms; the result is the median ns/op over -samples samples, after a
// warm-up. GOMAXPROCS is 1 unless -procs says otherwise, to match the
// single-threaded JavaScript runtime.
//
// Output, one line per benchmark run:
//
//	<name> <median> ns/op <sample>,<sample>,...
//
// Usage: main [-run name[,name...]] [-samples 10] [-sample-ms 20] [-procs 1] [-list]
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// benchmark is one workload: call performs opsPerCall operations and returns
// only when every goroutine it started has finished its part.
type benchmark struct {
	name       string
	opsPerCall int
	call       func()
}

// The sizes mirror bench/chan.bench.ts; change both together.
const (
	pingPongRoundTrips = 10000
	throughputMessages = 100000
	throughputCapacity = 1024
	selectsPerCall     = 10000
	selectCapacity     = 16
	selectPrefill      = 8
	fanInProducers     = 100
	fanInPerProducer   = 1000
	// bench/time.bench.ts
	timerResets  = 1000
	afterSelects = 1000
)

// pingPong: one round trip = ping <- i, then <-pong, over two unbuffered channels.
func pingPong() {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for i := 0; i < pingPongRoundTrips; i++ {
			pong <- <-ping
		}
	}()
	for i := 0; i < pingPongRoundTrips; i++ {
		ping <- i
		<-pong
	}
}

// throughput: one producer, one consumer, a buffered channel of 1024.
func throughput() {
	c := make(chan int, throughputCapacity)
	go func() {
		for i := 0; i < throughputMessages; i++ {
			c <- i
		}
	}()
	for i := 0; i < throughputMessages; i++ {
		<-c
	}
}

// selectReady2: a select over two buffered channels that are never empty; the
// value received goes back into its channel (a non-blocking buffered send), so
// both cases stay ready.
func selectReady2() {
	a, b := make(chan int, selectCapacity), make(chan int, selectCapacity)
	for i := 0; i < selectPrefill; i++ {
		a <- i
		b <- i
	}
	for i := 0; i < selectsPerCall; i++ {
		select {
		case v := <-a:
			a <- v
		case v := <-b:
			b <- v
		}
	}
}

// fanIn: 100 producers send 1000 values each into one unbuffered channel.
func fanIn() {
	c := make(chan int)
	for p := 0; p < fanInProducers; p++ {
		go func() {
			for i := 0; i < fanInPerProducer; i++ {
				c <- i
			}
		}()
	}
	for i := 0; i < fanInProducers*fanInPerProducer; i++ {
		<-c
	}
}

// timerReset: NewTimer(Hour), then Reset(Hour) over and over (Go's BenchmarkReset).
func timerReset() {
	t := time.NewTimer(time.Hour)
	for i := 0; i < timerResets; i++ {
		t.Reset(time.Hour)
	}
	t.Stop()
}

// afterInSelect: the `case <-time.After(d)` idiom with the other case always ready.
func afterInSelect() {
	work := make(chan int, 1)
	work <- 1
	for i := 0; i < afterSelects; i++ {
		select {
		case v := <-work:
			work <- v
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// group is golang.org/x/sync/errgroup's Group (WithContext, Go, Wait) without
// SetLimit, written out because the peer has no go.mod: a WaitGroup, a Once
// for the first error, and the derived context's cancel.
type group struct {
	wg     sync.WaitGroup
	once   sync.Once
	err    error
	cancel func()
}

func withContext(ctx context.Context) (*group, context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	return &group{cancel: cancel}, ctx
}

func (g *group) Go(f func() error) {
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		if err := f(); err != nil {
			g.once.Do(func() {
				g.err = err
				g.cancel()
			})
		}
	}()
}

func (g *group) Wait() error {
	g.wg.Wait()
	g.cancel()
	return g.err
}

// The sizes mirror bench/scope.bench.ts; change both together.
const (
	scopeChildren   = 1000
	timeoutsPerCall = 1000
)

// scopeChildren1000: an errgroup with 1000 goroutines of an empty function, then Wait.
func scopeChildren1000() {
	g, _ := withContext(context.Background())
	for i := 0; i < scopeChildren; i++ {
		g.Go(func() error { return nil })
	}
	_ = g.Wait()
}

var sinkInt int

// withTimeoutReady: context.WithTimeout around a call that returns at once, then cancel.
func withTimeoutReady() {
	bg := context.Background()
	for i := 0; i < timeoutsPerCall; i++ {
		ctx, cancel := context.WithTimeout(bg, time.Second)
		if ctx.Err() == nil {
			sinkInt++
		}
		cancel()
	}
}

var benchmarks = []benchmark{
	{"scope/children/1000/go", scopeChildren, scopeChildren1000},
	{"scope/withTimeout/go", timeoutsPerCall, withTimeoutReady},
	{"chan/pingpong/go", pingPongRoundTrips, pingPong},
	{"chan/throughput/cap=1024/go", throughputMessages, throughput},
	{"select/ready=2/go", selectsPerCall, selectReady2},
	{"chan/fanin/100/go", fanInProducers * fanInPerProducer, fanIn},
	{"sync/mutex/uncontended/go", uncontendedPairs, mutexUncontended},
	{"sync/mutex/contended/4/go", contendedGoroutines * contendedPairsEach, mutexContended},
	{"sync/waitgroup/fanout=1000/go", waitGroupFanOut, waitGroupFanOutCall},
	{"time/timer-reset/go", timerResets, timerReset},
	{"time/after-in-select/go", afterSelects, afterInSelect},
}

// The sizes of the sync workloads mirror bench/sync.bench.ts; change both together.
const (
	uncontendedPairs    = 10000
	contendedGoroutines = 4
	contendedPairsEach  = 2500
	waitGroupFanOut     = 1000
)

var benchMutex sync.Mutex

// mutexUncontended: one goroutine locks and unlocks a free mutex.
func mutexUncontended() {
	count := 0
	for i := 0; i < uncontendedPairs; i++ {
		benchMutex.Lock()
		count++
		benchMutex.Unlock()
	}
	if count != uncontendedPairs {
		panic("mutexUncontended: wrong count")
	}
}

// mutexContended: four goroutines hold the lock across runtime.Gosched(), so the others queue on it.
func mutexContended() {
	var wg sync.WaitGroup
	wg.Add(contendedGoroutines)
	for g := 0; g < contendedGoroutines; g++ {
		go func() {
			defer wg.Done()
			for i := 0; i < contendedPairsEach; i++ {
				benchMutex.Lock()
				runtime.Gosched()
				benchMutex.Unlock()
			}
		}()
	}
	wg.Wait()
}

// waitGroupFanOutCall: Add(n), n goroutines calling Done, one Wait.
func waitGroupFanOutCall() {
	var wg sync.WaitGroup
	wg.Add(waitGroupFanOut)
	for i := 0; i < waitGroupFanOut; i++ {
		go wg.Done()
	}
	wg.Wait()
}

// sample runs calls until minDuration has passed and returns ns per operation.
func sample(b benchmark, minDuration time.Duration) float64 {
	calls := 0
	start := time.Now()
	elapsed := time.Duration(0)
	for elapsed < minDuration {
		b.call()
		calls++
		elapsed = time.Since(start)
	}
	return float64(elapsed.Nanoseconds()) / float64(calls*b.opsPerCall)
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func main() {
	only := flag.String("run", "", "comma-separated benchmark names (default: all)")
	samples := flag.Int("samples", 10, "samples per benchmark")
	sampleMs := flag.Int("sample-ms", 20, "minimum duration of one sample, ms")
	procs := flag.Int("procs", 1, "GOMAXPROCS")
	list := flag.Bool("list", false, "print the benchmark names and exit")
	flag.Parse()

	if *list {
		for _, b := range benchmarks {
			fmt.Println(b.name)
		}
		return
	}
	runtime.GOMAXPROCS(*procs)

	wanted := map[string]bool{}
	for _, name := range strings.Split(*only, ",") {
		if name != "" {
			wanted[name] = true
		}
	}
	minDuration := time.Duration(*sampleMs) * time.Millisecond
	ran := 0
	for _, b := range benchmarks {
		if len(wanted) > 0 && !wanted[b.name] {
			continue
		}
		ran++
		sample(b, minDuration) // warm-up: stacks grown, channels and goroutines in the allocator's caches
		xs := make([]float64, *samples)
		text := make([]string, *samples)
		for i := range xs {
			xs[i] = sample(b, minDuration)
			text[i] = strconv.FormatFloat(xs[i], 'f', 2, 64)
		}
		fmt.Printf("%s %.2f ns/op %s\n", b.name, median(xs), strings.Join(text, ","))
	}
	if ran == 0 {
		fmt.Fprintf(os.Stderr, "no benchmark named %q; -list prints the names\n", *only)
		os.Exit(2)
	}
}
