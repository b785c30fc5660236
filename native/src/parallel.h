// A small team of threads for one native call: the caller is worker 0, helpers are started once
// per calling thread (each Node worker thread that asks for more than one thread gets its own
// helpers); between calls they watch for the next one for 100 µs, then sleep. Inside a call the
// workers meet at a spinning barrier once per time step, which costs a few microseconds where a
// step's product costs tens to hundreds.
//
// Work is split so that every element is computed by the same operations whichever worker does
// it (gemm_kernel.h): results are bit-identical with any number of threads.
#pragma once
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <new>
#include <thread>
#include <vector>

#include <pthread.h>

#if defined(__x86_64__) || defined(__i386__)
#include "x86_intrinsics.h"
#endif

#include "float_mode.h"

namespace vanishing {

/** The most threads one call may use (a sanity bound on the caller's request). */
constexpr int kMaxThreads = 64;

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

class Team {
 public:
  Team() = default;
  Team(const Team&) = delete;
  Team& operator=(const Team&) = delete;

  ~Team() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      ++generation_;
      published_.store(generation_, std::memory_order_release);
    }
    wake_.notify_all();
    for (Helper* helper : helpers_) {
      pthread_join(helper->thread, nullptr);
      delete helper;
    }
  }

  /**
   * Runs job(worker) on `workers` threads (worker 0 is the caller) and returns when all are done.
   * Each worker runs with the caller's denormal mode. Returns the number of workers used: fewer
   * than asked when helper threads cannot be started.
   */
  int run(int workers, bool flushDenormals, const std::function<void(int)>& job) {
    workers = std::max(1, std::min(workers, kMaxThreads));
    while (static_cast<int>(helpers_.size()) < workers - 1) {
      // pthread_create reports a failure (std::thread would abort: the addon has no exceptions).
      Helper* helper = new (std::nothrow) Helper{this, static_cast<int>(helpers_.size()) + 1, {}};
      if (helper == nullptr) break;
      if (pthread_create(&helper->thread, nullptr, &Team::helperMain, helper) != 0) {
        delete helper;
        break;  // no more threads: run with the ones there are
      }
      helpers_.push_back(helper);
    }
    workers = std::min(workers, static_cast<int>(helpers_.size()) + 1);
    if (workers == 1) {
      workers_ = 1;
      DenormalMode mode(flushDenormals);
      job(0);
      return 1;
    }
    barrierCount_.store(0, std::memory_order_relaxed);
    pending_.store(workers - 1, std::memory_order_relaxed);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &job;
      workers_ = workers;
      flush_ = flushDenormals;
      ++generation_;
      published_.store(generation_, std::memory_order_release);
    }
    wake_.notify_all();
    {
      DenormalMode mode(flushDenormals);
      job(0);
    }
    long spin = 0;
    while (pending_.load(std::memory_order_acquire) != 0) wait(spin);
    return workers;
  }

  /** Inside a job: how many workers this run has (fewer than asked when threads could not be started). */
  int size() const { return workers_; }

  /** Inside a job: waits until every worker of this run has arrived. */
  void barrier() {
    const int workers = workers_;
    if (workers <= 1) return;
    const unsigned phase = barrierPhase_.load(std::memory_order_acquire);
    if (barrierCount_.fetch_add(1, std::memory_order_acq_rel) == workers - 1) {
      barrierCount_.store(0, std::memory_order_relaxed);
      barrierPhase_.store(phase + 1, std::memory_order_release);
      return;
    }
    long spin = 0;
    while (barrierPhase_.load(std::memory_order_acquire) == phase) wait(spin);
  }

 private:
  struct Helper {
    Team* team;
    int index;
    pthread_t thread;
  };

  static void* helperMain(void* argument) {
    Helper* helper = static_cast<Helper*>(argument);
    helper->team->helperLoop(helper->index);
    return nullptr;
  }

  /** Spin a while, then yield: on a machine with more threads than cores a waiting spinner would steal the core of the thread it waits for. */
  static void wait(long& spin) {
    if (++spin < 4000)
      cpuRelax();
    else
      std::this_thread::yield();
  }

  void helperLoop(int index) {
    unsigned long seen = 0;
    for (;;) {
      const std::function<void(int)>* job = nullptr;
      bool flush = false;
      // Watch for the next job a while before sleeping: a training step makes its calls back to
      // back (a layer's loops, then every parameter's optimiser step), and a sleeping helper
      // takes tens of microseconds to wake, as long as a small call's whole work.
      const auto watchUntil = std::chrono::steady_clock::now() + kWatchBeforeSleep;
      for (long spin = 1; published_.load(std::memory_order_acquire) == seen; ++spin) {
        cpuRelax();
        if (spin % 64 == 0 && std::chrono::steady_clock::now() > watchUntil) break;
      }
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [&] { return generation_ != seen; });
        seen = generation_;
        if (stopping_) return;
        if (index >= workers_) continue;
        job = job_;
        flush = flush_;
      }
      {
        DenormalMode mode(flush);
        (*job)(index);
      }
      pending_.fetch_sub(1, std::memory_order_acq_rel);
    }
  }

  std::vector<Helper*> helpers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  unsigned long generation_ = 0;
  /** generation_, readable without the mutex by helpers watching for the next job. */
  std::atomic<unsigned long> published_{0};
  /** How long a helper watches for the next job before it sleeps. */
  static constexpr std::chrono::microseconds kWatchBeforeSleep{100};
  bool stopping_ = false;
  const std::function<void(int)>* job_ = nullptr;
  int workers_ = 1;
  bool flush_ = false;
  std::atomic<int> pending_{0};
  std::atomic<int> barrierCount_{0};
  std::atomic<unsigned> barrierPhase_{0};
};

/** The calling thread's team (its helpers are joined when the thread ends). */
inline Team& callingThreadTeam() {
  thread_local Team team;
  return team;
}

}  // namespace vanishing
