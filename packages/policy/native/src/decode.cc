#include "decode.h"

#include <cmath>
#include <cstring>

namespace eto {

DecodeSession::DecodeSession(Model& m, int S, int maxLen) : m_(m), S_(S), maxLen_(maxLen), lens_(S, 0) {
  const long per = (long)S * m.cfg.C * maxLen;
  cache_.measure();
  for (int l = 0; l < 2 * m.cfg.L; l++) cache_.take(per);
  cache_.reserve(cache_.measured());
  cache_.rewind();
  for (int l = 0; l < m.cfg.L; l++) {
    kc_.push_back(cache_.take(per));
    vc_.push_back(cache_.take(per));
  }
}

void DecodeSession::ensureRows(int R) {
  if (R <= capR_) return;
  capR_ = R;
  const long C = m_.cfg.C;
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 0) ws_.measure();
    else {
      ws_.reserve(ws_.measured());
      ws_.rewind();
    }
    x_ = ws_.take(R * C);
    seq_ = reinterpret_cast<int32_t*>(ws_.take(R));
    pos_ = reinterpret_cast<int32_t*>(ws_.take(R));
    tok_ = reinterpret_cast<int32_t*>(ws_.take(R));
    la_.ln1 = ws_.take(R * C);
    la_.mean1 = ws_.take(R);
    la_.rstd1 = ws_.take(R);
    la_.qkv = ws_.take(R * 3 * C);
    la_.att = nullptr;
    la_.atty = ws_.take(R * C);
    la_.res1 = ws_.take(R * C);
    la_.ln2 = ws_.take(R * C);
    la_.mean2 = ws_.take(R);
    la_.rstd2 = ws_.take(R);
    la_.fch = ws_.take(R * 4 * C);
    la_.fcg = ws_.take(R * 4 * C);
  }
}

void DecodeSession::feed(const int32_t* tokens, const int32_t* counts, float* last) {
  int R = 0;
  for (int b = 0; b < S_; b++) R += counts[b];
  if (R == 0) return;
  ensureRows(R);
  std::vector<int> pick, picked;
  int r = 0;
  for (int b = 0; b < S_; b++) {
    for (int i = 0; i < counts[b]; i++, r++) {
      seq_[r] = b;
      pos_[r] = lens_[b] + i;
      tok_[r] = tokens[r];
    }
    if (counts[b] > 0) {
      pick.push_back(r - 1);
      picked.push_back(b);
    }
  }
  const Config& c = m_.cfg;
  m_.embedAt(x_, tok_, pos_, R);
  const DecodeRows rows{R, seq_, pos_, c.C, c.H, maxLen_, 1.0f / std::sqrt((float)(c.C / c.H))};
  m_.decodeBlocks(x_, R, rows, kc_, vc_, la_);
  const int n = (int)pick.size();
  lmScratch_.reserve((long)n * c.C * 2 + 2 * n + 64);
  logits_.reserve((long)n * c.V + 16);
  logits_.rewind();
  float* out = logits_.take((long)n * c.V);
  m_.decodeLogits(x_, pick.data(), n, out, lmScratch_);
  for (int i = 0; i < n; i++) std::memcpy(last + (long)picked[i] * c.V, out + (long)i * c.V, sizeof(float) * c.V);
  for (int b = 0; b < S_; b++) lens_[b] += counts[b];
}

}  // namespace eto
