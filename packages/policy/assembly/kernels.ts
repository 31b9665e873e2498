// GPT-2 compute kernels for the `cpu` engine, compiled to WebAssembly SIMD.
//
// Every kernel works on fp32 buffers in one shared linear memory (byte
// offsets), and takes `tid, nth` last: the calling thread's index and the
// thread count. Each kernel splits its work so that every output element is
// written by exactly one thread, and computes it with the same sequence of
// operations whatever the split: results are bit-identical for any thread
// count. Forward and backward of each layer sit next to each other.

// ---------------------------------------------------------------------------
// Helpers

/** Work split: [start, end) of `total` items for thread `tid`, in multiples of `align`. */
@inline function lo(total: i32, align: i32, tid: i32, nth: i32): i32 {
  const units = (total + align - 1) / align
  const per = (units + nth - 1) / nth
  return min(total, tid * per * align)
}
@inline function hi(total: i32, align: i32, tid: i32, nth: i32): i32 {
  const units = (total + align - 1) / align
  const per = (units + nth - 1) / nth
  return min(total, (tid + 1) * per * align)
}

@inline function at(base: usize, index: i32): usize {
  return base + ((<usize>index) << 2)
}

@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3))
}

// exp(x) on 4 lanes: x = n ln2 + r, |r| <= ln2/2, e^r by its Taylor series to
// r^7 (relative error ~1e-7), 2^n put straight into the exponent bits.
@inline function vexp(x: v128): v128 {
  x = f32x4.min(f32x4.max(x, f32x4.splat(-87.0)), f32x4.splat(88.0))
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)))
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375)))
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(-2.12194440e-4)))
  let p = f32x4.splat(1.98412698e-4)
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.38888889e-3))
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.33333333e-3))
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.16666667e-2))
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.66666667e-1))
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(0.5))
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0))
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.0))
  const scale = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23)
  return f32x4.mul(p, scale)
}

/** The same exp for one value (lane 0 of the vector path, so both agree bit for bit). */
@inline function sexp(x: f32): f32 {
  return f32x4.extract_lane(vexp(f32x4.splat(x)), 0)
}

// ---------------------------------------------------------------------------
// Matrix products (row-major, leading dimensions in elements). All three
// forms (NN, NT, TN) run one 4x8 register-blocked micro-kernel over packed
// panels: B is copied k-block by k-block into slabs of 8 columns ([k][8],
// contiguous), A into [k][4] per block of 4 rows. Packing keeps the kernel's
// loads sequential whatever the strides (no cache-set conflicts from
// power-of-two row strides). Every output element is accumulated as
// c = c + a*b in increasing k in every path, so blocking and the thread split
// never change results.

const KB: i32 = 256 // k-block
const NB: i32 = 256 // column panel

// Per-instance (per-thread) packing buffers, set once by `set_scratch`.
let PA: usize = 0 // [KB][4]
let TILE: usize = 0 // [4][8] for ragged edges
let PB: usize = 0 // [NB/8][KB][8]

export function scratch_bytes(): i32 {
  return KB * 16 + 128 + KB * NB * 4
}

export function set_scratch(p: usize): void {
  PA = p
  TILE = p + <usize>(KB * 16)
  PB = TILE + 128
}

// C[4, 8] += Ap[K][4] (x) Bp[K][8]
@inline function micro(Ap: usize, Bp: usize, C: usize, sc: usize, K: i32): void {
  let c00 = v128.load(C), c01 = v128.load(C, 16)
  let c10 = v128.load(C + sc), c11 = v128.load(C + sc, 16)
  let c20 = v128.load(C + 2 * sc), c21 = v128.load(C + 2 * sc, 16)
  let c30 = v128.load(C + 3 * sc), c31 = v128.load(C + 3 * sc, 16)
  let a = Ap
  let b = Bp
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(b)
    const b1 = v128.load(b, 16)
    let av = v128.load32_splat(a)
    c00 = f32x4.add(c00, f32x4.mul(av, b0))
    c01 = f32x4.add(c01, f32x4.mul(av, b1))
    av = v128.load32_splat(a, 4)
    c10 = f32x4.add(c10, f32x4.mul(av, b0))
    c11 = f32x4.add(c11, f32x4.mul(av, b1))
    av = v128.load32_splat(a, 8)
    c20 = f32x4.add(c20, f32x4.mul(av, b0))
    c21 = f32x4.add(c21, f32x4.mul(av, b1))
    av = v128.load32_splat(a, 12)
    c30 = f32x4.add(c30, f32x4.mul(av, b0))
    c31 = f32x4.add(c31, f32x4.mul(av, b1))
    a += 16
    b += 32
  }
  v128.store(C, c00); v128.store(C, c01, 16)
  v128.store(C + sc, c10); v128.store(C + sc, c11, 16)
  v128.store(C + 2 * sc, c20); v128.store(C + 2 * sc, c21, 16)
  v128.store(C + 3 * sc, c30); v128.store(C + 3 * sc, c31, 16)
}

/** PA[k][r] = A(r, k) for r < mr (zero rows beyond); element (r, k) at A + r*sa + k*ka. */
@inline function packA(A: usize, sa: usize, ka: usize, mr: i32, kn: i32): void {
  if (mr == 4 && sa == 4) {
    for (let k = 0; k < kn; k++) v128.store(PA + ((<usize>k) << 4), v128.load(A + (<usize>k) * ka))
    return
  }
  for (let k = 0; k < kn; k++) {
    const d = PA + ((<usize>k) << 4)
    const s = A + (<usize>k) * ka
    for (let r = 0; r < 4; r++) store<f32>(d + ((<usize>r) << 2), r < mr ? load<f32>(s + (<usize>r) * sa) : 0)
  }
}

/** PB[s][k][c] = B(k, s*8 + c) for k < kn, columns < nc (zero beyond); element (k, j) at B + k*sb + j*sj. */
function packB(B: usize, sb: usize, sj: usize, kn: i32, nc: i32): void {
  const slabs = (nc + 7) >> 3
  for (let s = 0; s < slabs; s++) {
    const d0 = PB + (<usize>(s * kn)) * 32
    const j = s << 3
    if (sj == 4 && j + 8 <= nc) {
      for (let k = 0; k < kn; k++) {
        const src = B + (<usize>k) * sb + ((<usize>j) << 2)
        const d = d0 + ((<usize>k) << 5)
        v128.store(d, v128.load(src))
        v128.store(d, v128.load(src, 16), 16)
      }
    } else {
      for (let c = 0; c < 8; c++) {
        const ok = j + c < nc
        const src = B + (<usize>(j + c)) * sj
        for (let k = 0; k < kn; k++) store<f32>(d0 + ((<usize>k) << 5) + ((<usize>c) << 2), ok ? load<f32>(src + (<usize>k) * sb) : 0)
      }
    }
  }
}

/** A ragged corner (mr < 4 rows or nr < 8 columns) through the zero-padded tile; PA already packed. */
function edgeTile(Bp: usize, C: usize, sc: usize, mr: i32, nr: i32, kn: i32): void {
  for (let r = 0; r < 4; r++) {
    for (let c = 0; c < 8; c++) {
      store<f32>(TILE + (<usize>(r * 8 + c) << 2), r < mr && c < nr ? load<f32>(C + (<usize>r) * sc + ((<usize>c) << 2)) : 0)
    }
  }
  micro(PA, Bp, TILE, 32, kn)
  for (let r = 0; r < mr; r++) {
    for (let c = 0; c < nr; c++) store<f32>(C + (<usize>r) * sc + ((<usize>c) << 2), load<f32>(TILE + (<usize>(r * 8 + c) << 2)))
  }
}

/** C[M, N] += A[M, kn] @ Bp, Bp in slabs of 8 columns, `slab` bytes apart, k rows 32 bytes apart. */
function inner(A: usize, sa: usize, ka: usize, Bp: usize, slab: usize, C: usize, sc: usize, M: i32, N: i32, kn: i32): void {
  const slabs = (N + 7) >> 3
  for (let i = 0; i < M; i += 4) {
    const mr = min(4, M - i)
    if (mr == 4 && ka == 4 && slabs <= 8) {
      // few column slabs (attention's head-sized products): read A's rows in place
      const Ai = A + (<usize>i) * sa
      const Ci = C + (<usize>i) * sc
      for (let s = 0; s < slabs; s++) {
        const j = s << 3
        if (j + 8 <= N) directRows4(Ai, sa, 4, Bp + (<usize>s) * slab, 32, Ci + ((<usize>j) << 2), sc, kn)
        else {
          packA(Ai, sa, ka, mr, kn)
          edgeTile(Bp + (<usize>s) * slab, Ci + ((<usize>j) << 2), sc, mr, N - j, kn)
        }
      }
      continue
    }
    packA(A + (<usize>i) * sa, sa, ka, mr, kn)
    const Ci = C + (<usize>i) * sc
    for (let s = 0; s < slabs; s++) {
      const j = s << 3
      const nr = min(8, N - j)
      const Cij = Ci + ((<usize>j) << 2)
      if (mr == 4 && nr == 8) micro(PA, Bp + (<usize>s) * slab, Cij, sc, kn)
      else edgeTile(Bp + (<usize>s) * slab, Cij, sc, mr, nr, kn)
    }
  }
}

// Unpacked variants for a few rows: same per-element arithmetic as `micro`. `directRows4` also
// serves `inner`'s head-sized products, with A's 4 rows read in place (ka = 4) and B packed (sb = 32).
@inline function directRows4(A: usize, sa: usize, ka: usize, B: usize, sb: usize, C: usize, sc: usize, K: i32): void {
  let c00 = v128.load(C), c01 = v128.load(C, 16)
  let c10 = v128.load(C + sc), c11 = v128.load(C + sc, 16)
  let c20 = v128.load(C + 2 * sc), c21 = v128.load(C + 2 * sc, 16)
  let c30 = v128.load(C + 3 * sc), c31 = v128.load(C + 3 * sc, 16)
  let a = A
  let b = B
  for (let k = 0; k < K; k++) {
    const b0 = v128.load(b)
    const b1 = v128.load(b, 16)
    let av = v128.load32_splat(a)
    c00 = f32x4.add(c00, f32x4.mul(av, b0))
    c01 = f32x4.add(c01, f32x4.mul(av, b1))
    av = v128.load32_splat(a + sa)
    c10 = f32x4.add(c10, f32x4.mul(av, b0))
    c11 = f32x4.add(c11, f32x4.mul(av, b1))
    av = v128.load32_splat(a + 2 * sa)
    c20 = f32x4.add(c20, f32x4.mul(av, b0))
    c21 = f32x4.add(c21, f32x4.mul(av, b1))
    av = v128.load32_splat(a + 3 * sa)
    c30 = f32x4.add(c30, f32x4.mul(av, b0))
    c31 = f32x4.add(c31, f32x4.mul(av, b1))
    a += ka
    b += sb
  }
  v128.store(C, c00); v128.store(C, c01, 16)
  v128.store(C + sc, c10); v128.store(C + sc, c11, 16)
  v128.store(C + 2 * sc, c20); v128.store(C + 2 * sc, c21, 16)
  v128.store(C + 3 * sc, c30); v128.store(C + 3 * sc, c31, 16)
}

@inline function directOne(A: usize, ka: usize, B: usize, sb: usize, C: usize, K: i32): void {
  let c = load<f32>(C)
  for (let k = 0; k < K; k++) c = c + load<f32>(A + (<usize>k) * ka) * load<f32>(B + (<usize>k) * sb)
  store<f32>(C, c)
}

function zeroRows(C: usize, ldc: i32, M: i32, N: i32): void {
  for (let i = 0; i < M; i++) memory.fill(at(C, i * ldc), 0, (<usize>N) << 2)
}

/** C (+)= A B with A(i, k) at A + i*sa + k*ka and B(k, j) at B + k*sb + j*sj (byte strides). */
function mmGeneric(A: usize, sa: usize, ka: usize, B: usize, sb: usize, sj: usize, C: usize, ldc: i32, M: i32, N: i32, K: i32, acc: bool): void {
  if (!acc) zeroRows(C, ldc, M, N)
  const sc = (<usize>ldc) << 2
  if (M < 16 && sj == 4) {
    // a few rows (incremental decoding): stream B straight from memory, no packing
    let i = 0
    for (; i + 4 <= M; i += 4) {
      const Ai = A + (<usize>i) * sa
      const Ci = C + (<usize>i) * sc
      let j = 0
      for (; j + 8 <= N; j += 8) directRows4(Ai, sa, ka, B + ((<usize>j) << 2), sb, Ci + ((<usize>j) << 2), sc, K)
      for (; j < N; j++) for (let r = 0; r < 4; r++) directOne(Ai + (<usize>r) * sa, ka, B + ((<usize>j) << 2), sb, Ci + (<usize>r) * sc + ((<usize>j) << 2), K)
    }
    for (; i < M; i++) {
      const Ai = A + (<usize>i) * sa
      const Ci = C + (<usize>i) * sc
      let j = 0
      for (; j + 8 <= N; j += 8) {
        const Cj = Ci + ((<usize>j) << 2)
        let c0 = v128.load(Cj), c1 = v128.load(Cj, 16)
        let a = Ai
        let b = B + ((<usize>j) << 2)
        for (let k = 0; k < K; k++) {
          const av = v128.load32_splat(a)
          c0 = f32x4.add(c0, f32x4.mul(av, v128.load(b)))
          c1 = f32x4.add(c1, f32x4.mul(av, v128.load(b, 16)))
          a += ka
          b += sb
        }
        v128.store(Cj, c0); v128.store(Cj, c1, 16)
      }
      for (; j < N; j++) directOne(Ai, ka, B + ((<usize>j) << 2), sb, Ci + ((<usize>j) << 2), K)
    }
    return
  }
  for (let j0 = 0; j0 < N; j0 += NB) {
    const nc = min(N, j0 + NB) - j0
    for (let k0 = 0; k0 < K; k0 += KB) {
      const kn = min(K, k0 + KB) - k0
      packB(B + (<usize>k0) * sb + (<usize>j0) * sj, sb, sj, kn, nc)
      inner(A + (<usize>k0) * ka, sa, ka, PB, (<usize>kn) << 5, C + ((<usize>j0) << 2), sc, M, nc, kn)
    }
  }
}

/** C (+)= A Bp with Bp already packed ([slab][k][8], `slabFloats` apart): attention reuses packed heads. */
function mmPrepacked(A: usize, sa: usize, ka: usize, Bp: usize, slabFloats: i32, C: usize, ldc: i32, M: i32, N: i32, K: i32, acc: bool): void {
  if (!acc) zeroRows(C, ldc, M, N)
  const sc = (<usize>ldc) << 2
  for (let k0 = 0; k0 < K; k0 += KB) {
    const kn = min(K, k0 + KB) - k0
    inner(A + (<usize>k0) * ka, sa, ka, Bp + ((<usize>k0) << 5), (<usize>slabFloats) << 2, C, sc, M, N, kn)
  }
}

/** C[M,N] (+)= A[M,K] @ B[K,N] */
function mmNN(A: usize, lda: i32, B: usize, ldb: i32, C: usize, ldc: i32, M: i32, N: i32, K: i32, acc: bool): void {
  mmGeneric(A, (<usize>lda) << 2, 4, B, (<usize>ldb) << 2, 4, C, ldc, M, N, K, acc)
}

/** C[M,N] (+)= A^T @ B with A stored [K, M] */
function mmTN(A: usize, lda: i32, B: usize, ldb: i32, C: usize, ldc: i32, M: i32, N: i32, K: i32, acc: bool): void {
  mmGeneric(A, 4, (<usize>lda) << 2, B, (<usize>ldb) << 2, 4, C, ldc, M, N, K, acc)
}

/** C[M,N] (+)= A[M,K] @ B[N,K]^T */
function mmNT(A: usize, lda: i32, B: usize, ldb: i32, C: usize, ldc: i32, M: i32, N: i32, K: i32, acc: bool): void {
  mmGeneric(A, (<usize>lda) << 2, 4, B, 4, (<usize>ldb) << 2, C, ldc, M, N, K, acc)
}

// Exported, split over the rows of C (in blocks of 4).
export function mm_nn(A: usize, lda: i32, B: usize, ldb: i32, C: usize, ldc: i32, M: i32, N: i32, K: i32, acc: i32, tid: i32, nth: i32): void {
  const i0 = lo(M, 4, tid, nth), i1 = hi(M, 4, tid, nth)
  if (i1 > i0) mmNN(at(A, i0 * lda), lda, B, ldb, at(C, i0 * ldc), ldc, i1 - i0, N, K, acc != 0)
}
export function mm_nt(A: usize, lda: i32, B: usize, ldb: i32, C: usize, ldc: i32, M: i32, N: i32, K: i32, acc: i32, tid: i32, nth: i32): void {
  const i0 = lo(M, 4, tid, nth), i1 = hi(M, 4, tid, nth)
  if (i1 > i0) mmNT(at(A, i0 * lda), lda, B, ldb, at(C, i0 * ldc), ldc, i1 - i0, N, K, acc != 0)
}
export function mm_tn(A: usize, lda: i32, B: usize, ldb: i32, C: usize, ldc: i32, M: i32, N: i32, K: i32, acc: i32, tid: i32, nth: i32): void {
  const i0 = lo(M, 4, tid, nth), i1 = hi(M, 4, tid, nth)
  if (i1 > i0) mmTN(at(A, i0), lda, B, ldb, at(C, i0 * ldc), ldc, i1 - i0, N, K, acc != 0)
}

// ---------------------------------------------------------------------------
// Linear layer (Conv1D, weight [IC, OC]): out = inp @ W + bias (+ res)

/** out[N, OC] = (res or 0) + bias; the product is then added by mm_nn with acc. */
export function bias_init(out: usize, bias: usize, res: usize, N: i32, OC: i32, tid: i32, nth: i32): void {
  const i0 = lo(N, 4, tid, nth), i1 = hi(N, 4, tid, nth)
  for (let i = i0; i < i1; i++) {
    const o = at(out, i * OC)
    if (res != 0) memory.copy(o, at(res, i * OC), (<usize>OC) << 2)
    else memory.fill(o, 0, (<usize>OC) << 2)
    if (bias != 0) {
      let j = 0
      for (; j + 4 <= OC; j += 4) v128.store(at(o, j), f32x4.add(v128.load(at(o, j)), v128.load(at(bias, j))))
      for (; j < OC; j++) store<f32>(at(o, j), load<f32>(at(o, j)) + load<f32>(at(bias, j)))
    }
  }
}

/** dbias[OC] += column sums of dout[N, OC]; split over columns, rows summed in order. */
export function colsum_acc(dbias: usize, dout: usize, N: i32, OC: i32, tid: i32, nth: i32): void {
  const j0 = lo(OC, 4, tid, nth), j1 = hi(OC, 4, tid, nth)
  const j4 = j0 + ((j1 - j0) & ~3)
  for (let i = 0; i < N; i++) {
    const row = at(dout, i * OC)
    for (let j = j0; j < j4; j += 4) v128.store(at(dbias, j), f32x4.add(v128.load(at(dbias, j)), v128.load(at(row, j))))
    for (let j = j4; j < j1; j++) store<f32>(at(dbias, j), load<f32>(at(dbias, j)) + load<f32>(at(row, j)))
  }
}

// ---------------------------------------------------------------------------
// Embeddings: x[b, t] = wte[token] + wpe[t]

export function encoder_forward(out: usize, tokens: usize, wte: usize, wpe: usize, N: i32, T: i32, C: i32, tid: i32, nth: i32): void {
  const i0 = lo(N, 1, tid, nth), i1 = hi(N, 1, tid, nth)
  for (let i = i0; i < i1; i++) {
    const tok = load<i32>(at(tokens, i))
    const e = at(wte, tok * C), p = at(wpe, (i % T) * C), o = at(out, i * C)
    let c = 0
    for (; c + 4 <= C; c += 4) v128.store(at(o, c), f32x4.add(v128.load(at(e, c)), v128.load(at(p, c))))
    for (; c < C; c++) store<f32>(at(o, c), load<f32>(at(e, c)) + load<f32>(at(p, c)))
  }
}

/** dwte[token] += dx, dwpe[t] += dx; split over channels so no two threads touch one element. */
export function encoder_backward(dwte: usize, dwpe: usize, dout: usize, tokens: usize, N: i32, T: i32, C: i32, tid: i32, nth: i32): void {
  const c0 = lo(C, 4, tid, nth), c1 = hi(C, 4, tid, nth)
  for (let i = 0; i < N; i++) {
    const tok = load<i32>(at(tokens, i))
    const e = at(dwte, tok * C), p = at(dwpe, (i % T) * C), d = at(dout, i * C)
    for (let c = c0; c < c1; c++) {
      const g = load<f32>(at(d, c))
      store<f32>(at(e, c), load<f32>(at(e, c)) + g)
      store<f32>(at(p, c), load<f32>(at(p, c)) + g)
    }
  }
}

// ---------------------------------------------------------------------------
// LayerNorm: out = (x - mean) * rstd * w + b

export function layernorm_forward(out: usize, mean: usize, rstd: usize, inp: usize, w: usize, b: usize, N: i32, C: i32, eps: f32, tid: i32, nth: i32): void {
  const i0 = lo(N, 1, tid, nth), i1 = hi(N, 1, tid, nth)
  const C4 = C & ~3
  for (let i = i0; i < i1; i++) {
    const x = at(inp, i * C), o = at(out, i * C)
    let s = f32x4.splat(0)
    for (let c = 0; c < C4; c += 4) s = f32x4.add(s, v128.load(at(x, c)))
    let sum = hsum(s)
    for (let c = C4; c < C; c++) sum += load<f32>(at(x, c))
    const m = sum / <f32>C
    const mv = f32x4.splat(m)
    s = f32x4.splat(0)
    for (let c = 0; c < C4; c += 4) {
      const d = f32x4.sub(v128.load(at(x, c)), mv)
      s = f32x4.add(s, f32x4.mul(d, d))
    }
    let ss = hsum(s)
    for (let c = C4; c < C; c++) {
      const d = load<f32>(at(x, c)) - m
      ss += d * d
    }
    const r = <f32>1.0 / Mathf.sqrt(ss / <f32>C + eps)
    const rv = f32x4.splat(r)
    for (let c = 0; c < C4; c += 4) {
      const n = f32x4.mul(f32x4.sub(v128.load(at(x, c)), mv), rv)
      v128.store(at(o, c), f32x4.add(f32x4.mul(n, v128.load(at(w, c))), v128.load(at(b, c))))
    }
    for (let c = C4; c < C; c++) store<f32>(at(o, c), (load<f32>(at(x, c)) - m) * r * load<f32>(at(w, c)) + load<f32>(at(b, c)))
    store<f32>(at(mean, i), m)
    store<f32>(at(rstd, i), r)
  }
}

/** dinp += d(LayerNorm)/dinp . dout  (rows split) */
export function layernorm_backward_input(dinp: usize, dout: usize, inp: usize, mean: usize, rstd: usize, w: usize, N: i32, C: i32, tid: i32, nth: i32): void {
  const i0 = lo(N, 1, tid, nth), i1 = hi(N, 1, tid, nth)
  const C4 = C & ~3
  for (let i = i0; i < i1; i++) {
    const x = at(inp, i * C), d = at(dout, i * C), g = at(dinp, i * C)
    const m = load<f32>(at(mean, i)), r = load<f32>(at(rstd, i))
    const mv = f32x4.splat(m), rv = f32x4.splat(r)
    let s1 = f32x4.splat(0), s2 = f32x4.splat(0)
    for (let c = 0; c < C4; c += 4) {
      const n = f32x4.mul(f32x4.sub(v128.load(at(x, c)), mv), rv)
      const dn = f32x4.mul(v128.load(at(d, c)), v128.load(at(w, c)))
      s1 = f32x4.add(s1, dn)
      s2 = f32x4.add(s2, f32x4.mul(dn, n))
    }
    let a1 = hsum(s1), a2 = hsum(s2)
    for (let c = C4; c < C; c++) {
      const n = (load<f32>(at(x, c)) - m) * r
      const dn = load<f32>(at(d, c)) * load<f32>(at(w, c))
      a1 += dn
      a2 += dn * n
    }
    a1 = a1 / <f32>C
    a2 = a2 / <f32>C
    const a1v = f32x4.splat(a1), a2v = f32x4.splat(a2)
    for (let c = 0; c < C4; c += 4) {
      const n = f32x4.mul(f32x4.sub(v128.load(at(x, c)), mv), rv)
      const dn = f32x4.mul(v128.load(at(d, c)), v128.load(at(w, c)))
      const t = f32x4.mul(f32x4.sub(f32x4.sub(dn, a1v), f32x4.mul(n, a2v)), rv)
      v128.store(at(g, c), f32x4.add(v128.load(at(g, c)), t))
    }
    for (let c = C4; c < C; c++) {
      const n = (load<f32>(at(x, c)) - m) * r
      const dn = load<f32>(at(d, c)) * load<f32>(at(w, c))
      store<f32>(at(g, c), load<f32>(at(g, c)) + (dn - a1 - n * a2) * r)
    }
  }
}

/** dw += sum over rows of dout * xhat, db += sum of dout (channels split, rows in order) */
export function layernorm_backward_params(dw: usize, db: usize, dout: usize, inp: usize, mean: usize, rstd: usize, N: i32, C: i32, tid: i32, nth: i32): void {
  const c0 = lo(C, 4, tid, nth), c1 = hi(C, 4, tid, nth)
  const c4 = c0 + ((c1 - c0) & ~3)
  for (let i = 0; i < N; i++) {
    const d = at(dout, i * C), x = at(inp, i * C)
    const m = load<f32>(at(mean, i)), r = load<f32>(at(rstd, i))
    const mv = f32x4.splat(m), rv = f32x4.splat(r)
    for (let c = c0; c < c4; c += 4) {
      const dv = v128.load(at(d, c))
      const n = f32x4.mul(f32x4.sub(v128.load(at(x, c)), mv), rv)
      v128.store(at(dw, c), f32x4.add(v128.load(at(dw, c)), f32x4.mul(dv, n)))
      v128.store(at(db, c), f32x4.add(v128.load(at(db, c)), dv))
    }
    for (let c = c4; c < c1; c++) {
      const dv = load<f32>(at(d, c))
      store<f32>(at(dw, c), load<f32>(at(dw, c)) + dv * ((load<f32>(at(x, c)) - m) * r))
      store<f32>(at(db, c), load<f32>(at(db, c)) + dv)
    }
  }
}

// ---------------------------------------------------------------------------
// GELU (tanh approximation): gelu(x) = 0.5 x (1 + tanh(u)) = x * sigmoid(2u),
// u = sqrt(2/pi) (x + 0.044715 x^3)

const GELU_K: f32 = 0.7978845608028654
const GELU_A: f32 = 0.044715

@inline function vgelu(x: v128): v128 {
  const x3 = f32x4.mul(f32x4.mul(x, x), x)
  const u = f32x4.mul(f32x4.splat(GELU_K), f32x4.add(x, f32x4.mul(f32x4.splat(GELU_A), x3)))
  const e = vexp(f32x4.mul(f32x4.splat(-2.0), u))
  return f32x4.div(x, f32x4.add(f32x4.splat(1.0), e))
}

// d gelu / dx = s + 2 x s (1 - s) u',  s = sigmoid(2u), u' = sqrt(2/pi) (1 + 3*0.044715 x^2)
@inline function vgeluGrad(x: v128): v128 {
  const x2 = f32x4.mul(x, x)
  const u = f32x4.mul(f32x4.splat(GELU_K), f32x4.add(x, f32x4.mul(f32x4.splat(GELU_A), f32x4.mul(x2, x))))
  const du = f32x4.mul(f32x4.splat(GELU_K), f32x4.add(f32x4.splat(1.0), f32x4.mul(f32x4.splat(3.0 * GELU_A), x2)))
  const s = f32x4.div(f32x4.splat(1.0), f32x4.add(f32x4.splat(1.0), vexp(f32x4.mul(f32x4.splat(-2.0), u))))
  const t = f32x4.mul(f32x4.mul(f32x4.mul(f32x4.splat(2.0), x), f32x4.mul(s, f32x4.sub(f32x4.splat(1.0), s))), du)
  return f32x4.add(s, t)
}

export function gelu_forward(out: usize, inp: usize, n: i32, tid: i32, nth: i32): void {
  const i0 = lo(n, 4, tid, nth), i1 = hi(n, 4, tid, nth)
  let i = i0
  for (; i + 4 <= i1; i += 4) v128.store(at(out, i), vgelu(v128.load(at(inp, i))))
  for (; i < i1; i++) store<f32>(at(out, i), f32x4.extract_lane(vgelu(f32x4.splat(load<f32>(at(inp, i)))), 0))
}

/** dinp = gelu'(inp) * dout (dinp may alias dout) */
export function gelu_backward(dinp: usize, inp: usize, dout: usize, n: i32, tid: i32, nth: i32): void {
  const i0 = lo(n, 4, tid, nth), i1 = hi(n, 4, tid, nth)
  let i = i0
  for (; i + 4 <= i1; i += 4) v128.store(at(dinp, i), f32x4.mul(vgeluGrad(v128.load(at(inp, i))), v128.load(at(dout, i))))
  for (; i < i1; i++) store<f32>(at(dinp, i), f32x4.extract_lane(vgeluGrad(f32x4.splat(load<f32>(at(inp, i)))), 0) * load<f32>(at(dout, i)))
}

// ---------------------------------------------------------------------------
// Causal self-attention over qkv [N, 3C] (q | k | v, heads side by side).
// Per (batch, head): S = Q K^T * scale, P = softmax(S) masked causally
// (stored [B, H, T, T]; above the diagonal only the entries inside a row
// block are written, as zeros, and nothing reads the rest), y = P V. Each head's
// operands are packed once into the micro-kernel's slab layout; the products
// then run over row blocks, skipping the masked upper triangle.

const RB: i32 = 16 // query rows per block

@inline function ceil8(n: i32): i32 {
  return (n + 7) & ~7
}

/** rows [R, D] (row stride ld) -> [ceil(R/8)][D][8]: the rows become the product's columns (B = rows^T). */
function packRows(dst: usize, src: usize, ld: i32, R: i32, D: i32): void {
  const slabs = (R + 7) >> 3
  for (let s = 0; s < slabs; s++) {
    for (let c = 0; c < 8; c++) {
      const r = s * 8 + c
      const d0 = dst + (<usize>(s * D * 8 + c) << 2)
      if (r < R) {
        const row = at(src, r * ld)
        for (let d = 0; d < D; d++) store<f32>(d0 + (<usize>(d * 8) << 2), load<f32>(at(row, d)))
      } else {
        for (let d = 0; d < D; d++) store<f32>(d0 + (<usize>(d * 8) << 2), 0)
      }
    }
  }
}

/** rows [R, D] (row stride ld) -> [ceil(D/8)][R][8]: the rows stay the product's k dimension (B = rows). */
function packCols(dst: usize, src: usize, ld: i32, R: i32, D: i32): void {
  const slabs = (D + 7) >> 3
  for (let s = 0; s < slabs; s++) {
    for (let r = 0; r < R; r++) {
      const row = at(src, r * ld)
      const d0 = dst + (<usize>((s * R + r) * 8) << 2)
      for (let c = 0; c < 8; c++) {
        const d = s * 8 + c
        store<f32>(d0 + (<usize>c << 2), d < D ? load<f32>(at(row, d)) : 0)
      }
    }
  }
}

/** Softmax of row[0..n) in place, after scaling by `scale`; zeroes row[n..end). */
@inline function softmaxRow(row: usize, n: i32, end: i32, scale: f32): void {
  const n4 = n & ~3
  const sv = f32x4.splat(scale)
  let mv = f32x4.splat(-Infinity)
  for (let j = 0; j < n4; j += 4) mv = f32x4.max(mv, f32x4.mul(v128.load(at(row, j)), sv))
  let mx = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)))
  for (let j = n4; j < n; j++) mx = max(mx, load<f32>(at(row, j)) * scale)
  mv = f32x4.splat(mx)
  let s = f32x4.splat(0)
  for (let j = 0; j < n4; j += 4) {
    const e = vexp(f32x4.sub(f32x4.mul(v128.load(at(row, j)), sv), mv))
    v128.store(at(row, j), e)
    s = f32x4.add(s, e)
  }
  let sum = hsum(s)
  for (let j = n4; j < n; j++) {
    const e = sexp(load<f32>(at(row, j)) * scale - mx)
    store<f32>(at(row, j), e)
    sum += e
  }
  const inv = <f32>1.0 / sum
  const iv = f32x4.splat(inv)
  for (let j = 0; j < n4; j += 4) v128.store(at(row, j), f32x4.mul(v128.load(at(row, j)), iv))
  for (let j = n4; j < n; j++) store<f32>(at(row, j), load<f32>(at(row, j)) * inv)
  if (end > n) memory.fill(at(row, n), 0, (<usize>(end - n)) << 2)
}

/** Floats of per-thread attention scratch for T positions and head size hs. */
export function attention_scratch_floats(T: i32, hs: i32): i32 {
  return 4 * ceil8(T) * ceil8(hs) + T * T
}

/**
 * P == 0: inference, the probabilities of each row block live only in the
 * thread's scratch (they stay in cache); otherwise they are kept in P.
 */
export function attention_forward(P: usize, out: usize, qkv: usize, scratch: usize, scratchFloats: i32, B: i32, T: i32, C: i32, H: i32, scale: f32, tid: i32, nth: i32): void {
  const hs = C / H, C3 = 3 * C
  const Kp = at(scratch, tid * scratchFloats) // [T/8][hs][8]
  const Vp = at(Kp, ceil8(T) * ceil8(hs)) // [hs/8][T][8]
  const block = at(Vp, ceil8(T) * ceil8(hs)) // [RB][T] when P is not kept
  const t0 = lo(B * H, 1, tid, nth), t1 = hi(B * H, 1, tid, nth)
  for (let task = t0; task < t1; task++) {
    const b = task / H, h = task % H
    const q = at(qkv, b * T * C3 + h * hs), k = at(q, C), v = at(q, 2 * C)
    const o = at(out, b * T * C + h * hs)
    packRows(Kp, k, C3, T, hs)
    packCols(Vp, v, C3, T, hs)
    for (let r0 = 0; r0 < T; r0 += RB) {
      const r1 = min(T, r0 + RB)
      const Pr = P != 0 ? at(P, task * T * T + r0 * T) : block // row r0 of this block
      mmPrepacked(at(q, r0 * C3), (<usize>C3) << 2, 4, Kp, hs * 8, Pr, T, r1 - r0, min(T, ceil8(r1)), hs, false)
      // zeros above the diagonal up to the block's last column: all that P V and the backward read
      const end = min(T, ceil8(r1))
      for (let t = r0; t < r1; t++) softmaxRow(at(Pr, (t - r0) * T), t + 1, end, scale)
      mmPrepacked(Pr, (<usize>T) << 2, 4, Vp, T * 8, at(o, r0 * C), C, r1 - r0, hs, r1, false)
    }
  }
}

export function attention_backward(dqkv: usize, datt: usize, P: usize, qkv: usize, scratch: usize, scratchFloats: i32, B: i32, T: i32, C: i32, H: i32, scale: f32, tid: i32, nth: i32): void {
  const hs = C / H, C3 = 3 * C
  const packed = ceil8(T) * ceil8(hs)
  const Vp = at(scratch, tid * scratchFloats) // V rows as columns: [T/8][hs][8]
  const Kp = at(Vp, packed) // [hs/8][T][8]
  const Qp = at(Kp, packed) // [hs/8][T][8]
  const Op = at(Qp, packed) // dO: [hs/8][T][8]
  const dS = at(Op, packed) // [T, T]
  const t0 = lo(B * H, 1, tid, nth), t1 = hi(B * H, 1, tid, nth)
  for (let task = t0; task < t1; task++) {
    const b = task / H, h = task % H
    const q = at(qkv, b * T * C3 + h * hs), k = at(q, C), v = at(q, 2 * C)
    const dq = at(dqkv, b * T * C3 + h * hs), dk = at(dq, C), dv = at(dq, 2 * C)
    const dO = at(datt, b * T * C + h * hs)
    const Pb = at(P, task * T * T)
    packRows(Vp, v, C3, T, hs)
    packCols(Kp, k, C3, T, hs)
    packCols(Qp, q, C3, T, hs)
    packCols(Op, dO, C, T, hs)
    for (let r0 = 0; r0 < T; r0 += RB) {
      const r1 = min(T, r0 + RB)
      // dP = dO V^T
      mmPrepacked(at(dO, r0 * C), (<usize>C) << 2, 4, Vp, hs * 8, at(dS, r0 * T), T, r1 - r0, min(T, ceil8(r1)), hs, false)
      // dS = P * (dP - sum_j P dP) * scale, causal
      for (let t = r0; t < r1; t++) {
        const pr = at(Pb, t * T), dr = at(dS, t * T)
        const n = t + 1, n4 = n & ~3
        let acc = f32x4.splat(0)
        for (let j = 0; j < n4; j += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(at(pr, j)), v128.load(at(dr, j))))
        let dot = hsum(acc)
        for (let j = n4; j < n; j++) dot += load<f32>(at(pr, j)) * load<f32>(at(dr, j))
        const dv = f32x4.splat(dot), sv = f32x4.splat(scale)
        for (let j = 0; j < n4; j += 4) {
          v128.store(at(dr, j), f32x4.mul(f32x4.mul(v128.load(at(pr, j)), f32x4.sub(v128.load(at(dr, j)), dv)), sv))
        }
        for (let j = n4; j < n; j++) store<f32>(at(dr, j), load<f32>(at(pr, j)) * (load<f32>(at(dr, j)) - dot) * scale)
        const end = min(T, ceil8(r1))
        if (n < end) memory.fill(at(dr, n), 0, (<usize>(end - n)) << 2)
      }
      // dQ = dS K
      mmPrepacked(at(dS, r0 * T), (<usize>T) << 2, 4, Kp, T * 8, at(dq, r0 * C3), C3, r1 - r0, hs, r1, false)
    }
    // dK = dS^T Q and dV = P^T dO, rows s >= r0 only (causal)
    for (let r0 = 0; r0 < T; r0 += RB) {
      const r1 = min(T, r0 + RB)
      mmPrepacked(at(dS, r0 * T + r0), 4, (<usize>T) << 2, Qp + (<usize>(r0 * 8) << 2), T * 8, at(dk, r0 * C3), C3, r1 - r0, hs, T - r0, false)
      mmPrepacked(at(Pb, r0 * T + r0), 4, (<usize>T) << 2, Op + (<usize>(r0 * 8) << 2), T * 8, at(dv, r0 * C3), C3, r1 - r0, hs, T - r0, false)
    }
  }
}

// ---------------------------------------------------------------------------
// Incremental decoding with a KV cache [B, H, maxLen, hs] per layer.
// `rows` holds (sequence, position) pairs as i32 for each of the R rows in qkv.

export function kv_store(kc: usize, vc: usize, qkv: usize, rows: usize, R: i32, C: i32, H: i32, maxLen: i32, tid: i32, nth: i32): void {
  const hs = C / H
  const r0 = lo(R, 1, tid, nth), r1 = hi(R, 1, tid, nth)
  for (let r = r0; r < r1; r++) {
    const b = load<i32>(at(rows, 2 * r)), pos = load<i32>(at(rows, 2 * r + 1))
    for (let h = 0; h < H; h++) {
      const dst = ((b * H + h) * maxLen + pos) * hs
      memory.copy(at(kc, dst), at(qkv, r * 3 * C + C + h * hs), (<usize>hs) << 2)
      memory.copy(at(vc, dst), at(qkv, r * 3 * C + 2 * C + h * hs), (<usize>hs) << 2)
    }
  }
}

export function attention_decode(out: usize, qkv: usize, kc: usize, vc: usize, rows: usize, R: i32, C: i32, H: i32, maxLen: i32, scratch: usize, scratchFloats: i32, scale: f32, tid: i32, nth: i32): void {
  const hs = C / H
  const hs4 = hs & ~3
  const s = at(scratch, tid * scratchFloats)
  const t0 = lo(R * H, 1, tid, nth), t1 = hi(R * H, 1, tid, nth)
  for (let task = t0; task < t1; task++) {
    const r = task / H, h = task % H
    const b = load<i32>(at(rows, 2 * r)), pos = load<i32>(at(rows, 2 * r + 1))
    const q = at(qkv, r * 3 * C + h * hs)
    const kb = at(kc, (b * H + h) * maxLen * hs), vb = at(vc, (b * H + h) * maxLen * hs)
    for (let j = 0; j <= pos; j++) {
      const kr = at(kb, j * hs)
      let acc = f32x4.splat(0)
      for (let d = 0; d < hs4; d += 4) acc = f32x4.add(acc, f32x4.mul(v128.load(at(q, d)), v128.load(at(kr, d))))
      let dot = hsum(acc)
      for (let d = hs4; d < hs; d++) dot += load<f32>(at(q, d)) * load<f32>(at(kr, d))
      store<f32>(at(s, j), dot)
    }
    softmaxRow(s, pos + 1, pos + 1, scale)
    const o = at(out, r * C + h * hs)
    memory.fill(o, 0, (<usize>hs) << 2)
    for (let j = 0; j <= pos; j++) {
      const p = load<f32>(at(s, j))
      const pv = f32x4.splat(p)
      const vr = at(vb, j * hs)
      for (let d = 0; d < hs4; d += 4) v128.store(at(o, d), f32x4.add(v128.load(at(o, d)), f32x4.mul(pv, v128.load(at(vr, d)))))
      for (let d = hs4; d < hs; d++) store<f32>(at(o, d), load<f32>(at(o, d)) + p * load<f32>(at(vr, d)))
    }
  }
}

// ---------------------------------------------------------------------------
// LM head statistics. logits [N, V] (from mm_nt with wte); per row:
// lse = log sum exp, entropy H = lse - sum p l, logprob = l[target] - lse.
// Rows without a target (-1) report a 0 log-prob (their entropy is reported).

@inline function rowStats(l: usize, V: i32, tg: i32, i: i32, lse: usize, logprobs: usize, entropies: usize): void {
  const V4 = V & ~3
  let mv = f32x4.splat(-Infinity)
  for (let j = 0; j < V4; j += 4) mv = f32x4.max(mv, v128.load(at(l, j)))
  let mx = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)))
  for (let j = V4; j < V; j++) mx = max(mx, load<f32>(at(l, j)))
  mv = f32x4.splat(mx)
  let se = f32x4.splat(0), sel = f32x4.splat(0)
  for (let j = 0; j < V4; j += 4) {
    const d = f32x4.sub(v128.load(at(l, j)), mv)
    const e = vexp(d)
    se = f32x4.add(se, e)
    sel = f32x4.add(sel, f32x4.mul(e, d))
  }
  let sum = hsum(se), suml = hsum(sel)
  for (let j = V4; j < V; j++) {
    const d = load<f32>(at(l, j)) - mx
    const e = sexp(d)
    sum += e
    suml += e * d
  }
  const ls = Mathf.log(sum)
  store<f32>(at(lse, i), mx + ls)
  store<f32>(at(entropies, i), ls - suml / sum)
  store<f32>(at(logprobs, i), tg >= 0 ? load<f32>(at(l, tg)) - (mx + ls) : 0)
}

export function lm_stats(logits: usize, targets: usize, lse: usize, logprobs: usize, entropies: usize, N: i32, V: i32, tid: i32, nth: i32): void {
  const i0 = lo(N, 1, tid, nth), i1 = hi(N, 1, tid, nth)
  for (let i = i0; i < i1; i++) rowStats(at(logits, i * V), V, load<i32>(at(targets, i)), i, lse, logprobs, entropies)
}

const LM_ROWS: i32 = 32

export function lm_scratch_floats(V: i32): i32 {
  return LM_ROWS * V
}

/**
 * Inference LM head: logits of LM_ROWS rows at a time into the thread's
 * scratch (they stay in cache), then their statistics; `Wp` is wte from
 * `pack_rows`. The logits are the same, bit for bit, as mm_nt's.
 */
export function lm_forward(xf: usize, Wp: usize, targets: usize, lse: usize, logprobs: usize, entropies: usize, scratch: usize, N: i32, V: i32, C: i32, tid: i32, nth: i32): void {
  const rows = at(scratch, tid * LM_ROWS * V)
  const i0 = lo(N, 4, tid, nth), i1 = hi(N, 4, tid, nth)
  for (let r0 = i0; r0 < i1; r0 += LM_ROWS) {
    const m = min(LM_ROWS, i1 - r0)
    mmPrepacked(at(xf, r0 * C), (<usize>C) << 2, 4, Wp, C * 8, rows, V, m, V, C, false)
    for (let r = 0; r < m; r++) rowStats(at(rows, r * V), V, load<i32>(at(targets, r0 + r)), r0 + r, lse, logprobs, entropies)
  }
}

/**
 * logits -> dlogits in place: with p = softmax, d logprob/dl_j = [j = target] - p_j,
 * d entropy/dl_j = -p_j (log p_j + H).
 */
export function lm_dlogits(logits: usize, targets: usize, lse: usize, entropies: usize, dlogprobs: usize, dentropies: usize, N: i32, V: i32, tid: i32, nth: i32): void {
  const i0 = lo(N, 1, tid, nth), i1 = hi(N, 1, tid, nth)
  const V4 = V & ~3
  for (let i = i0; i < i1; i++) {
    const l = at(logits, i * V)
    const tg = load<i32>(at(targets, i))
    const gl = tg >= 0 ? load<f32>(at(dlogprobs, i)) : 0
    const ge = load<f32>(at(dentropies, i))
    const L = load<f32>(at(lse, i)), Hh = load<f32>(at(entropies, i))
    const Lv = f32x4.splat(L), Hv = f32x4.splat(Hh), glv = f32x4.splat(-gl), gev = f32x4.splat(-ge)
    for (let j = 0; j < V4; j += 4) {
      const lp = f32x4.sub(v128.load(at(l, j)), Lv)
      const p = vexp(lp)
      v128.store(at(l, j), f32x4.add(f32x4.mul(glv, p), f32x4.mul(gev, f32x4.mul(p, f32x4.add(lp, Hv)))))
    }
    for (let j = V4; j < V; j++) {
      const lp = load<f32>(at(l, j)) - L
      const p = sexp(lp)
      store<f32>(at(l, j), -gl * p - ge * (p * (lp + Hh)))
    }
    if (tg >= 0) store<f32>(at(l, tg), load<f32>(at(l, tg)) + gl)
  }
}

// ---------------------------------------------------------------------------
// Elementwise helpers

/** out = a + b */
export function add(out: usize, a: usize, b: usize, n: i32, tid: i32, nth: i32): void {
  const i0 = lo(n, 4, tid, nth), i1 = hi(n, 4, tid, nth)
  let i = i0
  for (; i + 4 <= i1; i += 4) v128.store(at(out, i), f32x4.add(v128.load(at(a, i)), v128.load(at(b, i))))
  for (; i < i1; i++) store<f32>(at(out, i), load<f32>(at(a, i)) + load<f32>(at(b, i)))
}

/** src [R, D] -> dst [ceil(R/8)][D][8] (e.g. the tied LM head packed once for decoding); split over slabs. */
export function pack_rows(dst: usize, src: usize, R: i32, D: i32, tid: i32, nth: i32): void {
  const slabs = (R + 7) >> 3
  const s0 = lo(slabs, 1, tid, nth), s1 = hi(slabs, 1, tid, nth)
  if (s1 > s0) packRows(at(dst, s0 * D * 8), at(src, s0 * 8 * D), D, min(R, s1 * 8) - s0 * 8, D)
}

/** C[M, N] (+)= A[M, K] @ Bp with Bp from `pack_rows` (so B = src^T); split over rows. */
export function mm_packed(A: usize, lda: i32, Bp: usize, C: usize, ldc: i32, M: i32, N: i32, K: i32, acc: i32, tid: i32, nth: i32): void {
  const i0 = lo(M, 4, tid, nth), i1 = hi(M, 4, tid, nth)
  if (i1 > i0) mmPrepacked(at(A, i0 * lda), (<usize>lda) << 2, 4, Bp, K * 8, at(C, i0 * ldc), ldc, i1 - i0, N, K, acc != 0)
}

/** Sum of squares of g[0..n) per chunk of `chunk` elements, in f64, into out[n / chunk]. */
export function sumsq_chunks(out: usize, g: usize, n: i32, chunk: i32, tid: i32, nth: i32): void {
  const chunks = (n + chunk - 1) / chunk
  const c0 = lo(chunks, 1, tid, nth), c1 = hi(chunks, 1, tid, nth)
  for (let c = c0; c < c1; c++) {
    const e = min(n, (c + 1) * chunk)
    let s: f64 = 0
    for (let i = c * chunk; i < e; i++) {
      const x = <f64>load<f32>(at(g, i))
      s += x * x
    }
    store<f64>(out + ((<usize>c) << 3), s)
  }
}

// ---------------------------------------------------------------------------
// AdamW (decoupled weight decay on elements [0, decayEnd), bias-corrected
// moments; gradients scaled by gscale for global-norm clipping):
//   p -= lr * wd * p ; m = b1 m + (1-b1) g ; v = b2 v + (1-b2) g^2
//   p -= lr * (m / bc1) / (sqrt(v / bc2) + eps)

@inline function vadamw(p: v128, m: v128, v: v128, lrwd: v128, ibc1: v128, ibc2: v128, eps: v128, lr: v128): v128 {
  return f32x4.sub(p, f32x4.add(f32x4.mul(lrwd, p), f32x4.mul(lr, f32x4.div(f32x4.mul(m, ibc1), f32x4.add(f32x4.sqrt(f32x4.mul(v, ibc2)), eps)))))
}

export function adamw(p: usize, g: usize, m: usize, v: usize, n: i32, decayEnd: i32, lr: f32, beta1: f32, beta2: f32, eps: f32, wd: f32, bc1: f32, bc2: f32, gscale: f32, tid: i32, nth: i32): void {
  const i0 = lo(n, 4, tid, nth), i1 = hi(n, 4, tid, nth)
  const b1 = f32x4.splat(beta1), nb1 = f32x4.splat(<f32>1.0 - beta1)
  const b2 = f32x4.splat(beta2), nb2 = f32x4.splat(<f32>1.0 - beta2)
  const ibc1 = f32x4.splat(<f32>1.0 / bc1), ibc2 = f32x4.splat(<f32>1.0 / bc2)
  const ev = f32x4.splat(eps), lrv = f32x4.splat(lr), gs = f32x4.splat(gscale)
  const lrwdOn = f32x4.splat(lr * wd), lrwdOff = f32x4.splat(0)
  for (let i = i0; i < i1; i++) {
    // vector body where 4 elements share the decay setting, else one lane at a time
    if ((i & 3) == 0 && i + 4 <= i1 && (i + 4 <= decayEnd || i >= decayEnd)) {
      const gv = f32x4.mul(v128.load(at(g, i)), gs)
      const mv = f32x4.add(f32x4.mul(b1, v128.load(at(m, i))), f32x4.mul(nb1, gv))
      const vv = f32x4.add(f32x4.mul(b2, v128.load(at(v, i))), f32x4.mul(nb2, f32x4.mul(gv, gv)))
      v128.store(at(m, i), mv)
      v128.store(at(v, i), vv)
      v128.store(at(p, i), vadamw(v128.load(at(p, i)), mv, vv, i < decayEnd ? lrwdOn : lrwdOff, ibc1, ibc2, ev, lrv))
      i += 3
    } else {
      const gv = f32x4.mul(f32x4.splat(load<f32>(at(g, i))), gs)
      const mv = f32x4.add(f32x4.mul(b1, f32x4.splat(load<f32>(at(m, i)))), f32x4.mul(nb1, gv))
      const vv = f32x4.add(f32x4.mul(b2, f32x4.splat(load<f32>(at(v, i)))), f32x4.mul(nb2, f32x4.mul(gv, gv)))
      store<f32>(at(m, i), f32x4.extract_lane(mv, 0))
      store<f32>(at(v, i), f32x4.extract_lane(vv, 0))
      const pv = vadamw(f32x4.splat(load<f32>(at(p, i))), mv, vv, i < decayEnd ? lrwdOn : lrwdOff, ibc1, ibc2, ev, lrv)
      store<f32>(at(p, i), f32x4.extract_lane(pv, 0))
    }
  }
}
