package hcpcore

// Router from Go: the hcp router through the C ABI with batch calls, beside a plain Go router
// built the usual way (container/heap behind a sync.Mutex, a map of workloads, first-fit over a
// slice of GPUs), doing the same cycle on the same fleet in the same run:
// submit 64 workloads (priorities 1–10, 1 GB each), dispatch them onto 256 GPUs, complete them.
// One op = one workload through the cycle. `go test -run '^$' -bench Router -benchtime 2s`
// (figures in benches/RESULTS-router.md).

import (
	"container/heap"
	"fmt"
	"sync"
	"testing"
)

const (
	benchGPUs  = 256
	benchBatch = 64
)

// ---- the plain Go router ----------------------------------------------------------------

type goItem struct {
	priority int
	seq      uint64
	id       uint64
}

type goQueue []goItem

func (q goQueue) Len() int { return len(q) }
func (q goQueue) Less(i, j int) bool {
	if q[i].priority != q[j].priority {
		return q[i].priority < q[j].priority
	}
	return q[i].seq < q[j].seq
}
func (q goQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *goQueue) Push(x any)   { *q = append(*q, x.(goItem)) }
func (q *goQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

type goWorkload struct {
	customer string
	kind     string
	memoryMB int64
	state    int
	device   int
}

type goRouter struct {
	mu        sync.Mutex
	queue     goQueue
	workloads map[uint64]*goWorkload
	freeMB    []int64
	nextID    uint64
}

func newGoRouter(gpus int) *goRouter {
	r := &goRouter{workloads: map[uint64]*goWorkload{}, freeMB: make([]int64, gpus)}
	for i := range r.freeMB {
		r.freeMB[i] = 80 * 1024
	}
	return r
}

func (r *goRouter) Submit(customer, kind string, priority int, memoryMB int64) uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nextID++
	id := r.nextID
	r.workloads[id] = &goWorkload{customer: customer, kind: kind, memoryMB: memoryMB}
	heap.Push(&r.queue, goItem{priority: priority, seq: id, id: id})
	return id
}

func (r *goRouter) Dispatch() (uint64, int, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.queue.Len() == 0 {
		return 0, 0, false
	}
	it := heap.Pop(&r.queue).(goItem)
	w := r.workloads[it.id]
	for d, free := range r.freeMB {
		if free >= w.memoryMB {
			r.freeMB[d] -= w.memoryMB
			w.state, w.device = 1, d
			return it.id, d, true
		}
	}
	heap.Push(&r.queue, it)
	return 0, 0, false
}

func (r *goRouter) Complete(id uint64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	w, ok := r.workloads[id]
	if !ok || w.state != 1 {
		return false
	}
	r.freeMB[w.device] += w.memoryMB
	delete(r.workloads, id)
	return true
}

// ---- the benchmarks -----------------------------------------------------------------------

// runSplit runs n cycles split over g goroutines.
func runSplit(g, n int, work func(cycles int)) {
	var wg sync.WaitGroup
	per := (n + g - 1) / g
	for i := 0; i < g; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			work(per)
		}()
	}
	wg.Wait()
}

func BenchmarkRouter(b *testing.B) {
	prio := make([]int64, benchBatch)
	mem := make([]float64, benchBatch)
	for i := range prio {
		prio[i], mem[i] = int64(1+i%10), 1
	}
	for _, g := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("hcp_cabi_batch/goroutines=%d", g), func(b *testing.B) {
			r, err := NewRouter(RouterConfig{AgingSeconds: Float64(0)})
			if err != nil {
				b.Fatal(err)
			}
			defer r.Close()
			for i := 0; i < benchGPUs; i++ {
				if err := r.AddDevice(fmt.Sprintf("g%d", i), "gpu", "H100_SXM", "a", 80); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			runSplit(g, b.N, func(cycles int) {
				for done := 0; done < cycles; done += benchBatch {
					if _, err := r.SubmitBatch("bench", "ai_inference_batch", 0, prio, mem); err != nil {
						b.Error(err)
						return
					}
					for got := 0; got < benchBatch; {
						out, err := r.DispatchBatch(benchBatch - got)
						if err != nil {
							b.Error(err)
							return
						}
						if _, err := r.CompleteBatch(out.WorkloadIDs); err != nil {
							b.Error(err)
							return
						}
						got += len(out.WorkloadIDs)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "workloads/s")
		})
		b.Run(fmt.Sprintf("go_heap_mutex/goroutines=%d", g), func(b *testing.B) {
			r := newGoRouter(benchGPUs)
			b.ResetTimer()
			runSplit(g, b.N, func(cycles int) {
				ids := make([]uint64, 0, benchBatch)
				for done := 0; done < cycles; done += benchBatch {
					for i := 0; i < benchBatch; i++ {
						r.Submit("bench", "ai_inference_batch", 1+i%10, 1024)
					}
					ids = ids[:0]
					for len(ids) < benchBatch {
						if id, _, ok := r.Dispatch(); ok {
							ids = append(ids, id)
						}
					}
					for _, id := range ids {
						r.Complete(id)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "workloads/s")
		})
	}
}
