// Command main is the Go peer of bench/scale (see bench/scale/child.ts): the
// same park/wake and timer workloads at a given n, one line of JSON out.
//
//   - park-wake: n goroutines block receiving from one unbuffered channel;
//     once all have started, memory is read (after runtime.GC), then main
//     sends n values, each waking one; main waits for all to finish.
//   - timers: n goroutines time.Sleep distinct durations over 1–2 s of real
//     time (Go has no virtual clock), in a permuted order, after a base of
//     1 s + 2 µs·n from the start so that none fires before memory is read. Wall time is mostly
//     waiting, so the time figure is CPU time (getrusage), as for Node's
//     real-timer peer.
//
// Bytes per goroutine: Δ(HeapInuse + StackInuse) / n. GC share: the
// runtime's GCCPUFraction over the measured window's process lifetime.
// GOMAXPROCS is 1, matching one JavaScript thread.
//
// Usage: main -workload park-wake|timers -n 100000
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"syscall"
	"time"
)

type result struct {
	Workload                string             `json:"workload"`
	Subject                 string             `json:"subject"`
	N                       int                `json:"n"`
	WallMs                  float64            `json:"wallMs"`
	CPUMs                   float64            `json:"cpuMs"`
	GCMs                    float64            `json:"gcMs"`
	GCShare                 float64            `json:"gcShare"`
	BytesPerCoroutine       float64            `json:"bytesPerCoroutine"`
	HeapBytesPerCoroutine   float64            `json:"heapBytesPerCoroutine"`
	BufferBytesPerCoroutine float64            `json:"bufferBytesPerCoroutine"`
	OpsPerCoroutine         float64            `json:"opsPerCoroutine"`
	Phases                  map[string]float64 `json:"phases"`
	Note                    string             `json:"note"`
}

func cpuMs() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
}

type mem struct{ heap, stack uint64 }

func memNow() mem {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return mem{m.HeapInuse, m.StackInuse}
}

func main() {
	workload := flag.String("workload", "park-wake", "park-wake or timers")
	n := flag.Int("n", 100000, "goroutines")
	flag.Parse()
	runtime.GOMAXPROCS(1)

	before := memNow()
	var pauseBefore runtime.MemStats
	runtime.ReadMemStats(&pauseBefore)
	var started, finished sync.WaitGroup
	started.Add(*n)
	finished.Add(*n)
	c0 := cpuMs()
	t0 := time.Now()
	var at mem
	var probeWall time.Duration
	var probeCPU float64
	phases := map[string]float64{}
	note := ""
	switch *workload {
	case "park-wake":
		ch := make(chan int)
		sum := 0
		var mu sync.Mutex
		for i := 0; i < *n; i++ {
			go func() {
				started.Done()
				v := <-ch
				mu.Lock()
				sum += v
				mu.Unlock()
				finished.Done()
			}()
		}
		started.Wait()
		runtime.Gosched()
		phases["spawnParkMs"] = float64(time.Since(t0).Nanoseconds()) / 1e6
		p0, pc0 := time.Now(), cpuMs()
		at = memNow()
		probeWall, probeCPU = time.Since(p0), cpuMs()-pc0
		p1 := time.Now()
		for i := 0; i < *n; i++ {
			ch <- 1
		}
		finished.Wait()
		phases["wakeFinishMs"] = float64(time.Since(p1).Nanoseconds()) / 1e6
		if sum != *n {
			fmt.Fprintf(os.Stderr, "park-wake: %d of %d woken\n", sum, *n)
			os.Exit(1)
		}
		note = "goroutines blocked in <-ch on one unbuffered channel, GOMAXPROCS=1"
	case "timers":
		// Absolute deadlines from t0, past the time arming n timers takes, so none fires before memory is read.
		base := time.Second + time.Duration(*n)*2*time.Microsecond
		for i := 0; i < *n; i++ {
			deadline := t0.Add(base + time.Duration((int64(i)*7919)%int64(*n))*time.Second/time.Duration(*n))
			go func() {
				started.Done()
				time.Sleep(time.Until(deadline))
				finished.Done()
			}()
		}
		started.Wait()
		phases["spawnArmMs"] = float64(time.Since(t0).Nanoseconds()) / 1e6
		p0, pc0 := time.Now(), cpuMs()
		at = memNow()
		probeWall, probeCPU = time.Since(p0), cpuMs()-pc0
		finished.Wait()
		note = "real time.Sleep to deadlines spread over 1 s after a base of 1 s + 2 µs·n: the time column is CPU time, wall time is mostly waiting"
	default:
		fmt.Fprintf(os.Stderr, "unknown workload %q\n", *workload)
		os.Exit(2)
	}
	wall := float64((time.Since(t0) - probeWall).Nanoseconds()) / 1e6
	cpu := cpuMs() - c0 - probeCPU
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	gcMs := float64(m.PauseTotalNs-pauseBefore.PauseTotalNs) / 1e6
	heap := (float64(at.heap) - float64(before.heap)) / float64(*n)
	stack := (float64(at.stack) - float64(before.stack)) / float64(*n)
	r := result{
		Workload: *workload, Subject: "go", N: *n, WallMs: wall, CPUMs: cpu, GCMs: gcMs, GCShare: m.GCCPUFraction,
		BytesPerCoroutine: heap + stack, HeapBytesPerCoroutine: heap, BufferBytesPerCoroutine: stack, OpsPerCoroutine: 1,
		Phases: phases, Note: note + fmt.Sprintf("; heap %.0f B + stack %.0f B; GC share is GCCPUFraction; gcMs is stop-the-world pause", heap, stack),
	}
	if *workload == "timers" {
		r.WallMs = cpu
		phases["realWallMs"] = wall
	}
	out, _ := json.Marshal(r)
	fmt.Printf("RESULT %s\n", out)
}
