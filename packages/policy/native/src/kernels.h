// The kernel table: every compute kernel of the native engine, compiled once
// per instruction set (kernels.inc in isa_avx512.cc, isa_avx2.cc,
// isa_portable.cc) and picked at run time (dispatch.cc).
//
// Kernels that take (tid, nth) compute share tid of nth (the pool hands the
// shares to whichever thread is free): each output element is written by
// exactly one share with the same operations whatever nth, so results are
// bit-identical for any thread count and any assignment of shares to threads.
#pragma once
#include <cstdint>

namespace eto {

/**
 * C (+)= A B with A(i, k) = a[i * ars + k * acs] (one of ars, acs is 1),
 * B(k, j) = b[k * brs + j * bcs]. With `bias` ([N]) or `res` ([M, N], rows
 * ldc apart) C starts as res + bias (in place of 0 or C itself).
 */
struct Gemm {
  int M, N, K;
  const float* a;
  long ars, acs;
  const float* b;
  long brs, bcs;
  float* c;
  long ldc;
  bool acc;
  const float* bias = nullptr;
  const float* res = nullptr;
};

/** Attention over qkv [B*T, 3C] rows (q | k | v, heads side by side). */
struct AttnShape {
  int B, T, C, H;
  float scale;
};

/**
 * A decoding step's rows: row r is position pos[r] of sequence seq[r]; rows of
 * one sequence are consecutive with increasing positions. K cache [S, H, hs,
 * maxLen] (keys as columns), V cache [S, H, maxLen, hs].
 */
struct DecodeRows {
  int R;
  const int32_t* seq;
  const int32_t* pos;
  int C, H, maxLen;
  float scale;
};

struct Kernels {
  const char* isa;
  /** Rows of C per register tile, columns per register tile. */
  int mr, nr;

  void (*gemm)(const Gemm& g, int tid, int nth);
  /** wte [V, C] as the LM head's packed B (panels of nr rows of wte, whole C). */
  void (*packRowsAsPanels)(float* out, const float* src, int R, int D, int tid, int nth);
  /** C[M, N] = A[M, K] Bp with Bp from packRowsAsPanels (N = its rows, K = D). */
  void (*mmPacked)(const float* a, int lda, const float* bp, float* c, int ldc, int M, int N, int K, int tid, int nth);

  // embeddings: x[n] = wte[token[n]] + wpe[n % T]
  void (*encoderForward)(float* out, const int32_t* tokens, const float* wte, const float* wpe, int N, int T, int C,
                         int tid, int nth);
  void (*encoderBackward)(float* dwte, float* dwpe, const float* dout, const int32_t* tokens, int N, int T, int C,
                          int tid, int nth);
  /** Embeddings at explicit positions (decoding). */
  void (*encoderAt)(float* out, const int32_t* tokens, const int32_t* pos, const float* wte, const float* wpe, int N,
                    int C, int tid, int nth);

  void (*layernormForward)(float* out, float* mean, float* rstd, const float* inp, const float* w, const float* b, int N,
                           int C, float eps, int tid, int nth);
  /** dinp += dLN/dinp . dout (rows split). */
  void (*layernormBackwardInput)(float* dinp, const float* dout, const float* inp, const float* mean, const float* rstd,
                                 const float* w, int N, int C, int tid, int nth);
  /** dw += sum dout * xhat, db += sum dout (channels split). */
  void (*layernormBackwardParams)(float* dw, float* db, const float* dout, const float* inp, const float* mean,
                                  const float* rstd, int N, int C, int tid, int nth);

  /** dbias += column sums of dout (columns split, rows summed in order). */
  void (*colsumAcc)(float* dbias, const float* dout, int N, int OC, int tid, int nth);

  void (*geluForward)(float* out, const float* inp, long n, int tid, int nth);
  /** dinp = gelu'(inp) * dout (dinp may alias dout). */
  void (*geluBackward)(float* dinp, const float* inp, const float* dout, long n, int tid, int nth);

  /** P [B, H, T, T] keeps the probabilities for the backward (nullptr: inference). */
  void (*attentionForward)(float* P, float* out, const float* qkv, const AttnShape& s, int tid, int nth);
  /** Overwrites P with the scores' gradient. */
  void (*attentionBackward)(float* dqkv, const float* datt, float* P, const float* qkv, const AttnShape& s, int tid,
                            int nth);
  void (*kvStore)(float* kc, float* vc, const float* qkv, const DecodeRows& d, int tid, int nth);
  void (*attentionDecode)(float* out, const float* qkv, const float* kc, const float* vc, const DecodeRows& d, int tid,
                          int nth);

  /** Per row of logits [N, V]: log-sum-exp, entropy, log-prob of the target (0 without one). */
  void (*lmStats)(const float* logits, const int32_t* targets, float* lse, float* logprobs, float* entropies, int N,
                  int V, int tid, int nth);
  /** lmStats of xf [N, C] times the packed wte, the logits never leaving the thread's cache. */
  void (*lmForward)(const float* xf, const float* wtePacked, const int32_t* targets, float* lse, float* logprobs,
                    float* entropies, int N, int V, int C, int tid, int nth);
  /** logits -> d loss / d logits in place. */
  void (*lmDlogits)(float* logits, const int32_t* targets, const float* lse, const float* entropies,
                    const float* dlogprobs, const float* dentropies, int N, int V, int tid, int nth);

  /** Sum of squares per chunk of `chunk` elements, in double. */
  void (*sumsqChunks)(double* out, const float* g, long n, long chunk, int tid, int nth);
  /** AdamW on [0, n), weight decay on [0, decayEnd). */
  void (*adamw)(float* p, const float* g, float* m, float* v, long n, long decayEnd, float lr, float beta1, float beta2,
                float eps, float wd, float bc1, float bc2, float gscale, int tid, int nth);
};

extern const Kernels kernelsAvx512;
extern const Kernels kernelsAvx2;
extern const Kernels kernelsPortable;

}  // namespace eto
