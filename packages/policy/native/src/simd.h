// One float vector type per instruction set, chosen by ETO_ISA when a
// translation unit includes this header: 3 = AVX-512 (16 lanes), 2 = AVX2 +
// FMA (8 lanes), 1 = portable C++ (4 lanes, whatever the compiler makes of
// it). The kernels are written once against these operations. Everything here
// lives in the instruction set's own namespace (ETO_NS), so the three
// compilations never share a symbol.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>

#if ETO_ISA >= 2
#include <immintrin.h>
#endif

namespace ETO_NS {

#if ETO_ISA == 3

constexpr int W = 16;
struct VF {
  __m512 v;
};
static inline VF vload(const float* p) { return {_mm512_loadu_ps(p)}; }
static inline void vstore(float* p, VF a) { _mm512_storeu_ps(p, a.v); }
static inline __mmask16 tailMask(int n) { return (__mmask16)((1u << n) - 1u); }
/** The first n (< W) lanes from p, zeros beyond. */
static inline VF vloadn(const float* p, int n) { return {_mm512_maskz_loadu_ps(tailMask(n), p)}; }
static inline void vstoren(float* p, VF a, int n) { _mm512_mask_storeu_ps(p, tailMask(n), a.v); }
static inline VF vset(float x) { return {_mm512_set1_ps(x)}; }
static inline VF vzero() { return {_mm512_setzero_ps()}; }
static inline VF operator+(VF a, VF b) { return {_mm512_add_ps(a.v, b.v)}; }
static inline VF operator-(VF a, VF b) { return {_mm512_sub_ps(a.v, b.v)}; }
static inline VF operator*(VF a, VF b) { return {_mm512_mul_ps(a.v, b.v)}; }
static inline VF operator/(VF a, VF b) { return {_mm512_div_ps(a.v, b.v)}; }
/** a * b + c */
static inline VF vfma(VF a, VF b, VF c) { return {_mm512_fmadd_ps(a.v, b.v, c.v)}; }
static inline VF vmax(VF a, VF b) { return {_mm512_max_ps(a.v, b.v)}; }
static inline VF vmin(VF a, VF b) { return {_mm512_min_ps(a.v, b.v)}; }
static inline VF vsqrt(VF a) { return {_mm512_sqrt_ps(a.v)}; }
static inline VF vround(VF a) { return {_mm512_roundscale_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)}; }
/** 2^n for integral n in [-126, 127], built in the exponent bits. */
static inline VF vpow2i(VF n) {
  __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n.v), _mm512_set1_epi32(127)), 23);
  return {_mm512_castsi512_ps(e)};
}
static inline float hsum(VF a) { return _mm512_reduce_add_ps(a.v); }
static inline float hmax(VF a) { return _mm512_reduce_max_ps(a.v); }

#elif ETO_ISA == 2

constexpr int W = 8;
struct VF {
  __m256 v;
};
static inline VF vload(const float* p) { return {_mm256_loadu_ps(p)}; }
static inline void vstore(float* p, VF a) { _mm256_storeu_ps(p, a.v); }
static inline __m256i tailMask(int n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}
static inline VF vloadn(const float* p, int n) { return {_mm256_maskload_ps(p, tailMask(n))}; }
static inline void vstoren(float* p, VF a, int n) { _mm256_maskstore_ps(p, tailMask(n), a.v); }
static inline VF vset(float x) { return {_mm256_set1_ps(x)}; }
static inline VF vzero() { return {_mm256_setzero_ps()}; }
static inline VF operator+(VF a, VF b) { return {_mm256_add_ps(a.v, b.v)}; }
static inline VF operator-(VF a, VF b) { return {_mm256_sub_ps(a.v, b.v)}; }
static inline VF operator*(VF a, VF b) { return {_mm256_mul_ps(a.v, b.v)}; }
static inline VF operator/(VF a, VF b) { return {_mm256_div_ps(a.v, b.v)}; }
static inline VF vfma(VF a, VF b, VF c) { return {_mm256_fmadd_ps(a.v, b.v, c.v)}; }
static inline VF vmax(VF a, VF b) { return {_mm256_max_ps(a.v, b.v)}; }
static inline VF vmin(VF a, VF b) { return {_mm256_min_ps(a.v, b.v)}; }
static inline VF vsqrt(VF a) { return {_mm256_sqrt_ps(a.v)}; }
static inline VF vround(VF a) { return {_mm256_round_ps(a.v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC)}; }
static inline VF vpow2i(VF n) {
  __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n.v), _mm256_set1_epi32(127)), 23);
  return {_mm256_castsi256_ps(e)};
}
static inline float hsum(VF a) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(a.v), _mm256_extractf128_ps(a.v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}
static inline float hmax(VF a) {
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(a.v), _mm256_extractf128_ps(a.v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

#else

constexpr int W = 4;
struct VF {
  float v[W];
};
#define ETO_LANES(expr) \
  VF r;                 \
  for (int i = 0; i < W; i++) r.v[i] = (expr); \
  return r
static inline VF vload(const float* p) { ETO_LANES(p[i]); }
static inline void vstore(float* p, VF a) {
  for (int i = 0; i < W; i++) p[i] = a.v[i];
}
static inline VF vloadn(const float* p, int n) { ETO_LANES(i < n ? p[i] : 0.0f); }
static inline void vstoren(float* p, VF a, int n) {
  for (int i = 0; i < n; i++) p[i] = a.v[i];
}
static inline VF vset(float x) { ETO_LANES(x); }
static inline VF vzero() { ETO_LANES(0.0f); }
static inline VF operator+(VF a, VF b) { ETO_LANES(a.v[i] + b.v[i]); }
static inline VF operator-(VF a, VF b) { ETO_LANES(a.v[i] - b.v[i]); }
static inline VF operator*(VF a, VF b) { ETO_LANES(a.v[i] * b.v[i]); }
static inline VF operator/(VF a, VF b) { ETO_LANES(a.v[i] / b.v[i]); }
// no fused multiply-add on the baseline: a multiply, then an add
static inline VF vfma(VF a, VF b, VF c) { ETO_LANES(a.v[i] * b.v[i] + c.v[i]); }
static inline VF vmax(VF a, VF b) { ETO_LANES(a.v[i] > b.v[i] ? a.v[i] : b.v[i]); }
static inline VF vmin(VF a, VF b) { ETO_LANES(a.v[i] < b.v[i] ? a.v[i] : b.v[i]); }
static inline VF vsqrt(VF a) { ETO_LANES(std::sqrt(a.v[i])); }
static inline VF vround(VF a) { ETO_LANES(std::nearbyint(a.v[i])); }
static inline VF vpow2i(VF n) {
  VF r;
  for (int i = 0; i < W; i++) {
    int32_t bits = ((int32_t)n.v[i] + 127) << 23;
    std::memcpy(&r.v[i], &bits, 4);
  }
  return r;
}
#undef ETO_LANES
static inline float hsum(VF a) { return (a.v[0] + a.v[1]) + (a.v[2] + a.v[3]); }
static inline float hmax(VF a) {
  float m = a.v[0];
  for (int i = 1; i < W; i++) m = a.v[i] > m ? a.v[i] : m;
  return m;
}

#endif

/**
 * e^x: x = n ln2 + r with |r| <= ln2/2, e^r by its Taylor series to r^7
 * (relative error ~1e-7), 2^n put into the exponent bits. Inputs are clamped
 * to [-87, 88].
 */
static inline VF vexp(VF x) {
  x = vmin(vmax(x, vset(-87.0f)), vset(88.0f));
  VF n = vround(x * vset(1.44269504088896341f));
  VF r = vfma(n, vset(-0.693359375f), x);
  r = vfma(n, vset(2.12194440e-4f), r);
  VF p = vset(1.98412698e-4f);
  p = vfma(p, r, vset(1.38888889e-3f));
  p = vfma(p, r, vset(8.33333333e-3f));
  p = vfma(p, r, vset(4.16666667e-2f));
  p = vfma(p, r, vset(1.66666667e-1f));
  p = vfma(p, r, vset(0.5f));
  p = vfma(p, r, vset(1.0f));
  p = vfma(p, r, vset(1.0f));
  return p * vpow2i(n);
}

/** Lane 0 of a vector operation on one value: scalars take the vector path, so both agree bit for bit. */
static inline float sexp(float x) {
  float out[W];
  vstore(out, vexp(vset(x)));
  return out[0];
}

}  // namespace ETO_NS
