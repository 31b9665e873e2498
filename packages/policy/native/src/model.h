// The native engine's model: GPT-2 parameters (in blocks the JavaScript side
// also sees), activations sized on demand, forward, backward, AdamW and KV-cache
// decoding, every kernel taken from one instruction set's table and run on the
// shared thread pool.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "kernels.h"
#include "pool.h"

namespace eto {

struct Config {
  int V, P, C, L, H;
  float eps;
  bool valueHead;
};

struct LayerParams {
  float *ln1w, *ln1b, *attnW, *attnB, *projW, *projB, *ln2w, *ln2b, *fcW, *fcB, *mlpW, *mlpB;
};

/** Pointers to each tensor of a parameter-shaped block. */
struct ParamPtrs {
  float *wte, *wpe;
  std::vector<LayerParams> layers;
  float *lnfw, *lnfb, *vw, *vb;
};

/** Saved activations of one block (decoding uses the same shape for its rows). */
struct LayerActs {
  float *ln1, *mean1, *rstd1, *qkv, *att, *atty, *res1, *ln2, *mean2, *rstd2, *fch, *fcg;
};

/** Aligned buffers carved from one allocation; `reserve` grows it (dropping the contents). */
class Arena {
 public:
  ~Arena();
  void reserve(long floats);
  float* take(long floats);
  void rewind() { used_ = 0; }
  /** Until the next reserve, take() only counts (carve once to measure, reserve, rewind, carve again). */
  void measure() {
    measuring_ = true;
    used_ = 0;
  }
  long measured() const { return used_; }

 private:
  bool measuring_ = false;
  float* base_ = nullptr;
  long capacity_ = 0;
  long used_ = 0;
};

enum class Mode { Train = 0, Logits = 1, Outputs = 2 };

class DecodeSession;

class Model {
 public:
  /** `offsets`: each tensor's start (in floats) within a block, in paramShapes order. */
  Model(const Config& c, const Kernels* k, int threads, float* params, float* grads, float* m, float* v, long nParams,
        long nDecay, const std::vector<long>& offsets);

  const Config cfg;
  const Kernels* const K;
  const int threads;

  /**
   * Runs f(tid, nth) over the pool, or on the calling thread alone when `work`
   * (about the flops) is small; `name` labels it in the profile.
   */
  template <class F>
  void par(const char* name, double work, F&& f) const;

  void forward(const int32_t* tokens, const int32_t* targets, int B, int T, Mode mode);
  /** After a Train forward: log-probs, entropies, values [B*T]; after Logits: logits [B*T, V]. */
  const float* logprobs() const { return logprobs_; }
  const float* entropies() const { return entropies_; }
  const float* values() const { return values_; }
  const float* logits() const { return logits_; }
  bool readyForBackward() const { return trainReady_; }
  /** Adds the gradients of the last Train forward for these output gradients (nullptr: zeros). */
  void backward(const float* dlogprobs, const float* dentropies, const float* dvalues);

  void zeroGrad();
  double gradNorm();
  void adamw(float lr, float beta1, float beta2, float eps, float wd, float gscale, float bc1, float bc2);
  /** The JavaScript side wrote the parameters. */
  void paramsChanged() { wteStale_ = true; }

  /** wte packed as the LM head's B, repacked after parameter changes. */
  const float* packedWte();
  /** x [R, C] = token and position embeddings (decoding). */
  void embedAt(float* x, const int32_t* tokens, const int32_t* pos, int R);
  /** The blocks of the model on R rows (decoding): x [R, C] in and out. */
  void decodeBlocks(float* x, int R, const DecodeRows& rows, const std::vector<float*>& kc,
                    const std::vector<float*>& vc, const LayerActs& ws);
  /** Logits [n, V] of the final LayerNorm of the rows of x listed in pick. */
  void decodeLogits(const float* x, const int* pick, int n, float* out, Arena& scratch);

 private:
  /** Runs a product over the pool (see `par`). */
  void gemm(const char* name, const Gemm& g) const;
  void ensureActs(int B, int T);
  void carveActs();
  void block(int l, int R, const float* x, const LayerActs& a, float* out, bool keepAttention, int B, int T,
             const DecodeRows* rows, float* kc, float* vc);
  void valueForward(int N);

  ParamPtrs P_, G_;
  float *params_, *grads_, *m_, *v_;
  long nParams_, nDecay_;
  // activations of the last forward
  Arena arena_;
  long capN_ = 0, capAtt_ = 0;
  int B_ = 0, T_ = 0;
  bool trainReady_ = false;
  int32_t *tokens_ = nullptr, *targets_ = nullptr;
  std::vector<float*> x_;
  std::vector<LayerActs> layers_;
  float *xf_, *meanf_, *rstdf_, *logits_, *lse_, *logprobs_, *entropies_, *values_;
  float *dx_, *dtmp_, *dbig_, *dqkv_, *datty_, *dxf_, *dlp_, *dent_;
  // AdamW's norm chunks, the packed LM head
  std::vector<double> norms_;
  Arena wteArena_;
  float* wtePacked_ = nullptr;
  bool wteStale_ = true;
};

/** Below this many operations a kernel runs on the calling thread alone: waking the pool would cost more. */
constexpr double kParallelWork = 200000;

/**
 * CPU seconds of the calling thread per kernel label (its wall time, less any
 * time the system ran something else), summed while profiling is on
 * (ETO_NATIVE_PROFILE=1, or the binding's `profile(1)`).
 */
struct Profile {
  static bool on;
  static double now();
  static void add(const char* name, double seconds);
  /** The totals so far, then cleared. */
  static std::vector<std::pair<std::string, double>> take();
};

/**
 * Chunks per thread of a parallel kernel: several, so that a thread the
 * operating system has not scheduled leaves its share to the others.
 */
constexpr int kChunksPerThread = 4;

template <class F>
void Model::par(const char* name, double work, F&& f) const {
  const int chunks = work < kParallelWork || threads == 1 ? 1 : threads * kChunksPerThread;
  if (!Profile::on) {
    Pool::shared().run(threads, chunks, f);
    return;
  }
  const double t0 = Profile::now();
  Pool::shared().run(threads, chunks, f);
  Profile::add(name, Profile::now() - t0);
}

}  // namespace eto
