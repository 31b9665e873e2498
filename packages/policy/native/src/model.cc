#include "model.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <algorithm>

namespace eto {

bool Profile::on = std::getenv("ETO_NATIVE_PROFILE") != nullptr && std::string(std::getenv("ETO_NATIVE_PROFILE")) == "1";

namespace {
std::mutex profileMutex;
std::map<std::string, double> profileTotals;
}  // namespace

double Profile::now() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

void Profile::add(const char* name, double seconds) {
  std::lock_guard<std::mutex> guard(profileMutex);
  profileTotals[name] += seconds;
}

std::vector<std::pair<std::string, double>> Profile::take() {
  std::lock_guard<std::mutex> guard(profileMutex);
  std::vector<std::pair<std::string, double>> out(profileTotals.begin(), profileTotals.end());
  profileTotals.clear();
  return out;
}

Arena::~Arena() { std::free(base_); }

void Arena::reserve(long floats) {
  measuring_ = false;
  if (floats <= capacity_) return;
  std::free(base_);
  base_ = static_cast<float*>(std::aligned_alloc(64, ((floats * 4 + 63) / 64) * 64));
  if (!base_) throw std::bad_alloc();
  capacity_ = floats;
  used_ = 0;
}

float* Arena::take(long floats) {
  float* p = measuring_ ? nullptr : base_ + used_;
  used_ += (floats + 15) / 16 * 16;  // every buffer 64-byte aligned
  return p;
}

namespace {

ParamPtrs layout(float* base, const Config& c, const std::vector<long>& off) {
  ParamPtrs p{};
  size_t i = 0;
  auto next = [&] { return base + off[i++]; };
  p.wte = next();
  p.wpe = next();
  for (int l = 0; l < c.L; l++) {
    LayerParams q{};
    q.ln1w = next();
    q.ln1b = next();
    q.attnW = next();
    q.attnB = next();
    q.projW = next();
    q.projB = next();
    q.ln2w = next();
    q.ln2b = next();
    q.fcW = next();
    q.fcB = next();
    q.mlpW = next();
    q.mlpB = next();
    p.layers.push_back(q);
  }
  p.lnfw = next();
  p.lnfb = next();
  p.vw = c.valueHead ? next() : nullptr;
  p.vb = c.valueHead ? next() : nullptr;
  return p;
}

/** C[M, N] (+)= A[M, K] B[K, N], all row-major. */
Gemm nn(const float* a, int lda, const float* b, int ldb, float* c, int ldc, int M, int N, int K, bool acc) {
  return Gemm{M, N, K, a, lda, 1, b, ldb, 1, c, ldc, acc};
}
/** C[M, N] (+)= A[M, K] B[N, K]^T */
Gemm nt(const float* a, int lda, const float* b, int ldb, float* c, int ldc, int M, int N, int K, bool acc) {
  return Gemm{M, N, K, a, lda, 1, b, 1, ldb, c, ldc, acc};
}
/** C[M, N] (+)= A[K, M]^T B[K, N] */
Gemm tn(const float* a, int lda, const float* b, int ldb, float* c, int ldc, int M, int N, int K, bool acc) {
  return Gemm{M, N, K, a, 1, lda, b, ldb, 1, c, ldc, acc};
}

}  // namespace

Model::Model(const Config& c, const Kernels* k, int threads_, float* params, float* grads, float* m, float* v,
             long nParams, long nDecay, const std::vector<long>& offsets)
    : cfg(c),
      K(k),
      threads(threads_),
      P_(layout(params, c, offsets)),
      G_(layout(grads, c, offsets)),
      params_(params),
      grads_(grads),
      m_(m),
      v_(v),
      nParams_(nParams),
      nDecay_(nDecay) {}

void Model::ensureActs(int B, int T) {
  const long need = (long)B * T, needAtt = (long)B * T * T;
  if (need <= capN_ && needAtt <= capAtt_) return;
  capN_ = std::max(capN_, need);
  capAtt_ = std::max(capAtt_, needAtt);
  // measure, then carve
  arena_.measure();
  carveActs();
  arena_.reserve(arena_.measured());
  arena_.rewind();
  carveActs();
}

void Model::carveActs() {
  const long N = capN_, C = cfg.C, V = cfg.V, H = cfg.H;
  tokens_ = reinterpret_cast<int32_t*>(arena_.take(N));
  targets_ = reinterpret_cast<int32_t*>(arena_.take(N));
  x_.assign(cfg.L + 1, nullptr);
  for (auto& x : x_) x = arena_.take(N * C);
  layers_.assign(cfg.L, LayerActs{});
  for (auto& a : layers_) {
    a.ln1 = arena_.take(N * C);
    a.mean1 = arena_.take(N);
    a.rstd1 = arena_.take(N);
    a.qkv = arena_.take(N * 3 * C);
    a.att = arena_.take(capAtt_ * H);
    a.atty = arena_.take(N * C);
    a.res1 = arena_.take(N * C);
    a.ln2 = arena_.take(N * C);
    a.mean2 = arena_.take(N);
    a.rstd2 = arena_.take(N);
    a.fch = arena_.take(N * 4 * C);
    a.fcg = arena_.take(N * 4 * C);
  }
  xf_ = arena_.take(N * C);
  meanf_ = arena_.take(N);
  rstdf_ = arena_.take(N);
  logits_ = arena_.take(N * V);
  lse_ = arena_.take(N);
  logprobs_ = arena_.take(N);
  entropies_ = arena_.take(N);
  values_ = arena_.take(N);
  dx_ = arena_.take(N * C);
  dtmp_ = arena_.take(N * C);
  dbig_ = arena_.take(N * 4 * C);
  dqkv_ = arena_.take(N * 3 * C);
  datty_ = arena_.take(N * C);
  dxf_ = arena_.take(N * C);
  dlp_ = arena_.take(N);
  dent_ = arena_.take(N);
}

// ---------------------------------------------------------------------------
// Forward

void Model::gemm(const char* name, const Gemm& g) const {
  // the flops, or the bytes of B streamed per row when there are few rows (decoding is memory-bound)
  const double work = std::max(2.0 * g.M * g.N * g.K, 8.0 * g.N * g.K);
  par(name, work, [&](int t, int n) { K->gemm(g, t, n); });
}

/** One transformer block on R rows, x -> out; attention over the batch (training) or the KV cache (decoding). */
void Model::block(int l, int R, const float* x, const LayerActs& a, float* out, bool keepAttention, int B, int T,
                  const DecodeRows* rows, float* kc, float* vc) {
  const int C = cfg.C;
  const double rc = (double)R * C;
  const LayerParams& p = P_.layers[l];
  par("layernormForward", rc * 8, [&](int t, int n) { K->layernormForward(a.ln1, a.mean1, a.rstd1, x, p.ln1w, p.ln1b, R, C, cfg.eps, t, n); });
  Gemm qkv = nn(a.ln1, C, p.attnW, 3 * C, a.qkv, 3 * C, R, 3 * C, C, false);
  qkv.bias = p.attnB;
  gemm("qkv", qkv);
  if (rows) {
    par("kvStore", rc * 2, [&](int t, int n) { K->kvStore(kc, vc, a.qkv, *rows, t, n); });
    par("attentionDecode", rc * 4 * cfg.P, [&](int t, int n) { K->attentionDecode(a.atty, a.qkv, kc, vc, *rows, t, n); });
  } else {
    const AttnShape s{B, T, C, cfg.H, 1.0f / std::sqrt((float)(C / cfg.H))};
    par("attentionForward", rc * 2 * T, [&](int t, int n) { K->attentionForward(keepAttention ? a.att : nullptr, a.atty, a.qkv, s, t, n); });
  }
  Gemm proj = nn(a.atty, C, p.projW, C, a.res1, C, R, C, C, false);
  proj.bias = p.projB;
  proj.res = x;
  gemm("proj", proj);
  par("layernormForward", rc * 8, [&](int t, int n) { K->layernormForward(a.ln2, a.mean2, a.rstd2, a.res1, p.ln2w, p.ln2b, R, C, cfg.eps, t, n); });
  Gemm fc = nn(a.ln2, C, p.fcW, 4 * C, a.fch, 4 * C, R, 4 * C, C, false);
  fc.bias = p.fcB;
  gemm("fc", fc);
  par("geluForward", rc * 80, [&](int t, int n) { K->geluForward(a.fcg, a.fch, (long)R * 4 * C, t, n); });
  Gemm mlp = nn(a.fcg, 4 * C, p.mlpW, C, out, C, R, C, 4 * C, false);
  mlp.bias = p.mlpB;
  mlp.res = a.res1;
  gemm("mlp", mlp);
}

void Model::valueForward(int N) {
  const int C = cfg.C;
  for (int n = 0; n < N; n++) {
    if (!cfg.valueHead) {
      values_[n] = 0;
      continue;
    }
    float s = 0;
    for (int c = 0; c < C; c++) s += xf_[(long)n * C + c] * P_.vw[c];
    values_[n] = s + P_.vb[0];
  }
}

void Model::forward(const int32_t* tokens, const int32_t* targets, int B, int T, Mode mode) {
  ensureActs(B, T);
  B_ = B;
  T_ = T;
  trainReady_ = false;
  const int C = cfg.C, L = cfg.L, V = cfg.V;
  const long N = (long)B * T;
  std::memcpy(tokens_, tokens, sizeof(int32_t) * N);
  std::memcpy(targets_, targets, sizeof(int32_t) * N);
  par("encoderForward", (double)N * C, [&](int t, int n) { K->encoderForward(x_[0], tokens_, P_.wte, P_.wpe, (int)N, T, C, t, n); });
  for (int l = 0; l < L; l++) block(l, (int)N, x_[l], layers_[l], x_[l + 1], mode == Mode::Train, B, T, nullptr, nullptr, nullptr);
  par("layernormForward", (double)N * C * 8, [&](int t, int n) { K->layernormForward(xf_, meanf_, rstdf_, x_[L], P_.lnfw, P_.lnfb, (int)N, C, cfg.eps, t, n); });
  if (mode == Mode::Outputs) {
    const float* wp = packedWte();
    par("lmForward", (double)N * V * C * 2, [&](int t, int n) { K->lmForward(xf_, wp, targets_, lse_, logprobs_, entropies_, (int)N, V, C, t, n); });
  } else {
    // against the packed wte shared with inference and decoding (the same products as an NT Gemm)
    const float* wp = packedWte();
    par("head", (double)N * V * C * 2, [&](int t, int n) { K->mmPacked(xf_, C, wp, logits_, V, (int)N, V, C, t, n); });
    if (mode == Mode::Train) {
      par("lmStats", (double)N * V * 10, [&](int t, int n) { K->lmStats(logits_, targets_, lse_, logprobs_, entropies_, (int)N, V, t, n); });
    }
  }
  if (mode != Mode::Logits) valueForward((int)N);
  trainReady_ = mode == Mode::Train;
}

const float* Model::packedWte() {
  const int V = cfg.V, C = cfg.C, nr = K->nr;
  if (!wtePacked_) {
    const long floats = (long)(V + nr - 1) / nr * nr * C;
    wteArena_.reserve(floats);
    wtePacked_ = wteArena_.take(floats);
  }
  if (wteStale_) {
    par("packRowsAsPanels", (double)V * C * 4, [&](int t, int n) { K->packRowsAsPanels(wtePacked_, P_.wte, V, C, t, n); });
    wteStale_ = false;
  }
  return wtePacked_;
}

// ---------------------------------------------------------------------------
// Backward: each layer's steps in the reverse order of `block`

void Model::backward(const float* dlogprobs, const float* dentropies, const float* dvalues) {
  trainReady_ = false;
  const int B = B_, T = T_, C = cfg.C, L = cfg.L, V = cfg.V, H = cfg.H;
  const long N = (long)B * T;
  const double nc = (double)N * C;
  if (dlogprobs) std::memcpy(dlp_, dlogprobs, sizeof(float) * N);
  else std::memset(dlp_, 0, sizeof(float) * N);
  if (dentropies) std::memcpy(dent_, dentropies, sizeof(float) * N);
  else std::memset(dent_, 0, sizeof(float) * N);

  // LM head, tied to wte: the logits become their gradient in place
  par("lmDlogits", (double)N * V * 12, [&](int t, int n) { K->lmDlogits(logits_, targets_, lse_, entropies_, dlp_, dent_, (int)N, V, t, n); });
  const Gemm dxf = nn(logits_, V, P_.wte, C, dxf_, C, (int)N, C, V, false);
  gemm("dxf", dxf);
  const Gemm dwte = tn(logits_, V, xf_, C, G_.wte, C, V, C, (int)N, true);
  gemm("dwte", dwte);

  // value head
  if (cfg.valueHead && dvalues) {
    double db = 0;
    for (long n = 0; n < N; n++) {
      const float g = dvalues[n];
      if (g == 0) continue;
      db += g;
      for (int c = 0; c < C; c++) {
        dxf_[n * C + c] += g * P_.vw[c];
        G_.vw[c] += g * xf_[n * C + c];
      }
    }
    G_.vb[0] += (float)db;
  }

  // final LayerNorm
  std::memset(dx_, 0, sizeof(float) * N * C);
  par("layernormBackwardInput", nc * 10, [&](int t, int n) { K->layernormBackwardInput(dx_, dxf_, x_[L], meanf_, rstdf_, P_.lnfw, (int)N, C, t, n); });
  par("layernormBackwardParams", nc * 4, [&](int t, int n) { K->layernormBackwardParams(G_.lnfw, G_.lnfb, dxf_, x_[L], meanf_, rstdf_, (int)N, C, t, n); });

  const AttnShape s{B, T, C, H, 1.0f / std::sqrt((float)(C / H))};
  for (int l = L - 1; l >= 0; l--) {
    const LayerActs& a = layers_[l];
    const LayerParams& p = P_.layers[l];
    const LayerParams& g = G_.layers[l];
    // x[l+1] = res1 + gelu(fch) @ mlpW + mlpB; the residual's gradient stays in dx
    par("colsumAcc", nc, [&](int t, int n) { K->colsumAcc(g.mlpB, dx_, (int)N, C, t, n); });
    const Gemm dmlpW = tn(a.fcg, 4 * C, dx_, C, g.mlpW, C, 4 * C, C, (int)N, true);
    gemm("dmlpW", dmlpW);
    const Gemm dfcg = nt(dx_, C, p.mlpW, C, dbig_, 4 * C, (int)N, 4 * C, C, false);
    gemm("dfcg", dfcg);
    par("geluBackward", nc * 120, [&](int t, int n) { K->geluBackward(dbig_, a.fch, dbig_, N * 4 * C, t, n); });
    par("colsumAcc", nc * 4, [&](int t, int n) { K->colsumAcc(g.fcB, dbig_, (int)N, 4 * C, t, n); });
    const Gemm dfcW = tn(a.ln2, C, dbig_, 4 * C, g.fcW, 4 * C, C, 4 * C, (int)N, true);
    gemm("dfcW", dfcW);
    const Gemm dln2 = nt(dbig_, 4 * C, p.fcW, 4 * C, dtmp_, C, (int)N, C, 4 * C, false);
    gemm("dln2", dln2);
    par("layernormBackwardInput", nc * 10, [&](int t, int n) { K->layernormBackwardInput(dx_, dtmp_, a.res1, a.mean2, a.rstd2, p.ln2w, (int)N, C, t, n); });
    par("layernormBackwardParams", nc * 4, [&](int t, int n) { K->layernormBackwardParams(g.ln2w, g.ln2b, dtmp_, a.res1, a.mean2, a.rstd2, (int)N, C, t, n); });
    // res1 = x[l] + atty @ projW + projB
    par("colsumAcc", nc, [&](int t, int n) { K->colsumAcc(g.projB, dx_, (int)N, C, t, n); });
    const Gemm dprojW = tn(a.atty, C, dx_, C, g.projW, C, C, C, (int)N, true);
    gemm("dprojW", dprojW);
    const Gemm datty = nt(dx_, C, p.projW, C, datty_, C, (int)N, C, C, false);
    gemm("datty", datty);
    par("attentionBackward", nc * 4 * T, [&](int t, int n) { K->attentionBackward(dqkv_, datty_, a.att, a.qkv, s, t, n); });
    par("colsumAcc", nc * 3, [&](int t, int n) { K->colsumAcc(g.attnB, dqkv_, (int)N, 3 * C, t, n); });
    const Gemm dattnW = tn(a.ln1, C, dqkv_, 3 * C, g.attnW, 3 * C, C, 3 * C, (int)N, true);
    gemm("dattnW", dattnW);
    const Gemm dln1 = nt(dqkv_, 3 * C, p.attnW, 3 * C, dtmp_, C, (int)N, C, 3 * C, false);
    gemm("dln1", dln1);
    par("layernormBackwardInput", nc * 10, [&](int t, int n) { K->layernormBackwardInput(dx_, dtmp_, x_[l], a.mean1, a.rstd1, p.ln1w, (int)N, C, t, n); });
    par("layernormBackwardParams", nc * 4, [&](int t, int n) { K->layernormBackwardParams(g.ln1w, g.ln1b, dtmp_, x_[l], a.mean1, a.rstd1, (int)N, C, t, n); });
  }
  par("encoderBackward", nc * 2, [&](int t, int n) { K->encoderBackward(G_.wte, G_.wpe, dx_, tokens_, (int)N, T, C, t, n); });
}

// ---------------------------------------------------------------------------
// AdamW

void Model::zeroGrad() { std::memset(grads_, 0, sizeof(float) * nParams_); }

double Model::gradNorm() {
  const long chunk = 16384;
  norms_.assign((nParams_ + chunk - 1) / chunk, 0.0);
  par("sumsqChunks", (double)nParams_ * 2, [&](int t, int n) { K->sumsqChunks(norms_.data(), grads_, nParams_, chunk, t, n); });
  double s = 0;
  for (double x : norms_) s += x;
  return std::sqrt(s);
}

void Model::adamw(float lr, float beta1, float beta2, float eps, float wd, float gscale, float bc1, float bc2) {
  par("adamw", (double)nParams_ * 20, [&](int t, int n) {
    K->adamw(params_, grads_, m_, v_, nParams_, nDecay_, lr, beta1, beta2, eps, wd, bc1, bc2, gscale, t, n);
  });
  wteStale_ = true;
}

// ---------------------------------------------------------------------------
// Decoding

void Model::embedAt(float* x, const int32_t* tokens, const int32_t* pos, int R) {
  par("encoderAt", (double)R * cfg.C, [&](int t, int n) { K->encoderAt(x, tokens, pos, P_.wte, P_.wpe, R, cfg.C, t, n); });
}

void Model::decodeBlocks(float* x, int R, const DecodeRows& rows, const std::vector<float*>& kc,
                         const std::vector<float*>& vc, const LayerActs& ws) {
  for (int l = 0; l < cfg.L; l++) block(l, R, x, ws, x, false, 0, 0, &rows, kc[l], vc[l]);
}

void Model::decodeLogits(const float* x, const int* pick, int n, float* out, Arena& scratch) {
  const int C = cfg.C, V = cfg.V;
  scratch.rewind();
  float* rows = scratch.take((long)n * C);
  float* ln = scratch.take((long)n * C);
  float* mean = scratch.take(n);
  float* rstd = scratch.take(n);
  for (int i = 0; i < n; i++) std::memcpy(rows + (long)i * C, x + (long)pick[i] * C, sizeof(float) * C);
  par("layernormForward", (double)n * C * 8, [&](int t, int k) { K->layernormForward(ln, mean, rstd, rows, P_.lnfw, P_.lnfb, n, C, cfg.eps, t, k); });
  const float* wp = packedWte();
  par("mmPacked", (double)n * V * C * 2, [&](int t, int k) { K->mmPacked(ln, C, wp, out, V, n, V, C, t, k); });
}

}  // namespace eto
