// The Node binding (N-API) of the native engine. JavaScript owns the four
// parameter-shaped blocks (created here as ArrayBuffers: parameters,
// gradients, AdamW's two moments) and reads and writes them directly; every
// other buffer is the model's. Handles are externals; `dispose` frees at once,
// a collected handle frees in its finalizer.
#include <node_api.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "decode.h"
#include "dispatch.h"
#include "model.h"

namespace eto {
namespace {

struct Failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

void check(napi_env env, napi_status s, const char* what) {
  if (s == napi_ok) return;
  const napi_extended_error_info* info = nullptr;
  napi_get_last_error_info(env, &info);
  throw Failure(std::string(what) + ": " + (info && info->error_message ? info->error_message : "N-API call failed"));
}

struct EngineState {
  std::unique_ptr<Model> model;
};

struct EngineBox {
  std::shared_ptr<EngineState> state;
};

struct SessionBox {
  std::shared_ptr<EngineState> engine;
  std::unique_ptr<DecodeSession> session;
};

struct Args {
  napi_env env;
  std::vector<napi_value> v;
  Args(napi_env e, napi_callback_info info, size_t n) : env(e), v(n) {
    size_t got = n;
    check(env, napi_get_cb_info(env, info, &got, v.data(), nullptr, nullptr), "arguments");
    for (size_t i = got; i < n; i++) napi_get_undefined(env, &v[i]);
  }
  double num(size_t i, const char* name) const {
    double x;
    if (napi_get_value_double(env, v[i], &x) != napi_ok) throw Failure(std::string(name) + " must be a number");
    return x;
  }
  int integer(size_t i, const char* name) const {
    const double x = num(i, name);
    if (x != (double)(int)x) throw Failure(std::string(name) + " must be an integer");
    return (int)x;
  }
  bool present(size_t i) const {
    napi_valuetype t;
    napi_typeof(env, v[i], &t);
    return t != napi_undefined && t != napi_null;
  }
  std::string str(size_t i) const {
    if (!present(i)) return "";
    size_t n = 0;
    check(env, napi_get_value_string_utf8(env, v[i], nullptr, 0, &n), "string argument");
    std::string s(n, '\0');
    check(env, napi_get_value_string_utf8(env, v[i], s.data(), n + 1, &n), "string argument");
    return s;
  }
  template <class T>
  T* array(size_t i, napi_typedarray_type want, size_t length, const char* name) const {
    bool is = false;
    napi_is_typedarray(env, v[i], &is);
    napi_typedarray_type type;
    size_t n = 0;
    void* data = nullptr;
    if (is) check(env, napi_get_typedarray_info(env, v[i], &type, &n, &data, nullptr, nullptr), name);
    if (!is || type != want) throw Failure(std::string(name) + " has the wrong array type");
    if (length != (size_t)-1 && n != length) {
      throw Failure(std::string(name) + " has " + std::to_string(n) + " entries, expected " + std::to_string(length));
    }
    return static_cast<T*>(data);
  }
  template <class Box>
  Box* box(size_t i, const char* what) const {
    void* p = nullptr;
    if (napi_get_value_external(env, v[i], &p) != napi_ok || !p) throw Failure(std::string("not a ") + what + " handle");
    return static_cast<Box*>(p);
  }
};

Model& liveModel(const Args& a) {
  EngineBox* b = a.box<EngineBox>(0, "native engine");
  if (!b->state->model) throw Failure("the native engine was disposed");
  return *b->state->model;
}

napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

napi_value number(napi_env env, double x) {
  napi_value v;
  check(env, napi_create_double(env, x, &v), "number");
  return v;
}

napi_value floatArray(napi_env env, const float* src, size_t n) {
  napi_value buf, arr;
  void* data = nullptr;
  check(env, napi_create_arraybuffer(env, n * sizeof(float), &data, &buf), "result buffer");
  if (n) std::memcpy(data, src, n * sizeof(float));
  check(env, napi_create_typedarray(env, napi_float32_array, n, buf, 0, &arr), "result array");
  return arr;
}

void set(napi_env env, napi_value obj, const char* key, napi_value v) {
  check(env, napi_set_named_property(env, obj, key, v), key);
}

/** Wraps a binding body: C++ exceptions become JavaScript errors. */
template <class F>
napi_value guarded(napi_env env, F&& f) {
  try {
    return f();
  } catch (const std::bad_alloc&) {
    napi_throw_error(env, nullptr, "native engine: out of memory");
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

#define BINDING(name) napi_value name(napi_env env, napi_callback_info info)

BINDING(Isas) {
  return guarded(env, [&] {
    napi_value arr;
    check(env, napi_create_array(env, &arr), "array");
    const auto list = supportedIsas();
    for (size_t i = 0; i < list.size(); i++) {
      napi_value s;
      check(env, napi_create_string_utf8(env, list[i].c_str(), list[i].size(), &s), "string");
      check(env, napi_set_element(env, arr, (uint32_t)i, s), "element");
    }
    return arr;
  });
}

// create(V, P, C, L, H, eps, valueHead, offsets: Float64Array, nParams, nDecay, threads, isa)
BINDING(Create) {
  return guarded(env, [&] {
    Args a(env, info, 12);
    Config c{a.integer(0, "vocabSize"), a.integer(1, "nPositions"), a.integer(2, "nEmbd"), a.integer(3, "nLayer"),
             a.integer(4, "nHead"), (float)a.num(5, "layerNormEps"), a.num(6, "valueHead") != 0};
    const double* off = a.array<double>(7, napi_float64_array, (size_t)-1, "offsets");
    size_t nOff = 0;
    {
      napi_typedarray_type t;
      check(env, napi_get_typedarray_info(env, a.v[7], &t, &nOff, nullptr, nullptr, nullptr), "offsets");
    }
    const long nParams = (long)a.num(8, "nParams"), nDecay = (long)a.num(9, "nDecay");
    const int threads = a.integer(10, "threads");
    const Kernels* k = kernelsFor(a.str(11));
    if (nOff != (size_t)(4 + 12 * c.L + (c.valueHead ? 2 : 0))) throw Failure("offsets do not match the config");
    std::vector<long> offsets(off, off + nOff);
    napi_value result;
    check(env, napi_create_object(env, &result), "object");
    float* blocks[4];
    const char* names[4] = {"params", "grads", "m", "v"};
    for (int i = 0; i < 4; i++) {
      napi_value buf;
      void* data = nullptr;
      check(env, napi_create_arraybuffer(env, (size_t)nParams * sizeof(float), &data, &buf), "parameter block");
      std::memset(data, 0, (size_t)nParams * sizeof(float));
      blocks[i] = static_cast<float*>(data);
      set(env, result, names[i], buf);
    }
    auto* box = new EngineBox{std::make_shared<EngineState>()};
    box->state->model = std::make_unique<Model>(c, k, threads, blocks[0], blocks[1], blocks[2], blocks[3], nParams, nDecay,
                                                offsets);
    napi_value handle;
    check(env,
          napi_create_external(env, box, [](napi_env, void* p, void*) { delete static_cast<EngineBox*>(p); }, nullptr,
                               &handle),
          "handle");
    set(env, result, "handle", handle);
    napi_value isa;
    check(env, napi_create_string_utf8(env, k->isa, NAPI_AUTO_LENGTH, &isa), "isa");
    set(env, result, "isa", isa);
    return result;
  });
}

BINDING(Dispose) {
  return guarded(env, [&] {
    Args a(env, info, 1);
    a.box<EngineBox>(0, "native engine")->state->model.reset();
    return undefined(env);
  });
}

BINDING(ParamsChanged) {
  return guarded(env, [&] {
    Args a(env, info, 1);
    liveModel(a).paramsChanged();
    return undefined(env);
  });
}

// forward(h, tokens, targets, B, T, mode) -> {logprobs, entropies, values} or logits
BINDING(Forward) {
  return guarded(env, [&] {
    Args a(env, info, 6);
    Model& m = liveModel(a);
    const int B = a.integer(3, "B"), T = a.integer(4, "T"), mode = a.integer(5, "mode");
    const size_t N = (size_t)B * T;
    const int32_t* tokens = a.array<int32_t>(1, napi_int32_array, N, "tokens");
    const int32_t* targets = a.array<int32_t>(2, napi_int32_array, N, "targets");
    m.forward(tokens, targets, B, T, static_cast<Mode>(mode));
    if (static_cast<Mode>(mode) == Mode::Logits) return floatArray(env, m.logits(), N * m.cfg.V);
    napi_value out;
    check(env, napi_create_object(env, &out), "object");
    set(env, out, "logprobs", floatArray(env, m.logprobs(), N));
    set(env, out, "entropies", floatArray(env, m.entropies(), N));
    set(env, out, "values", floatArray(env, m.values(), N));
    return out;
  });
}

// backward(h, N, dLogprobs?, dEntropies?, dValues?)
BINDING(Backward) {
  return guarded(env, [&] {
    Args a(env, info, 5);
    Model& m = liveModel(a);
    if (!m.readyForBackward()) throw Failure("backward needs a training forward first");
    const size_t N = (size_t)a.integer(1, "N");
    const float* d[3] = {nullptr, nullptr, nullptr};
    const char* names[3] = {"dLogprobs", "dEntropies", "dValues"};
    for (int i = 0; i < 3; i++) {
      if (a.present(2 + i)) d[i] = a.array<float>(2 + i, napi_float32_array, N, names[i]);
    }
    m.backward(d[0], d[1], d[2]);
    return undefined(env);
  });
}

BINDING(ZeroGrad) {
  return guarded(env, [&] {
    Args a(env, info, 1);
    liveModel(a).zeroGrad();
    return undefined(env);
  });
}

BINDING(GradNorm) {
  return guarded(env, [&] {
    Args a(env, info, 1);
    return number(env, liveModel(a).gradNorm());
  });
}

// adamw(h, lr, beta1, beta2, eps, weightDecay, gscale, bc1, bc2)
BINDING(AdamW) {
  return guarded(env, [&] {
    Args a(env, info, 9);
    liveModel(a).adamw((float)a.num(1, "lr"), (float)a.num(2, "beta1"), (float)a.num(3, "beta2"), (float)a.num(4, "eps"),
                       (float)a.num(5, "weightDecay"), (float)a.num(6, "gscale"), (float)a.num(7, "bc1"),
                       (float)a.num(8, "bc2"));
    return undefined(env);
  });
}

// decoder(h, S, maxLength) -> session handle
BINDING(Decoder) {
  return guarded(env, [&] {
    Args a(env, info, 3);
    Model& m = liveModel(a);
    auto* box = new SessionBox{a.box<EngineBox>(0, "native engine")->state, nullptr};
    try {
      box->session = std::make_unique<DecodeSession>(m, a.integer(1, "B"), a.integer(2, "maxLength"));
    } catch (...) {
      delete box;
      throw;
    }
    napi_value handle;
    check(env,
          napi_create_external(env, box, [](napi_env, void* p, void*) { delete static_cast<SessionBox*>(p); }, nullptr,
                               &handle),
          "session");
    return handle;
  });
}

// feed(session, tokens, counts, last)
BINDING(Feed) {
  return guarded(env, [&] {
    Args a(env, info, 4);
    SessionBox* box = a.box<SessionBox>(0, "decode session");
    if (!box->session) throw Failure("decode session was disposed");
    if (!box->engine->model) throw Failure("the native engine was disposed");
    DecodeSession& s = *box->session;
    const int S = s.sequences();
    const int32_t* counts = a.array<int32_t>(2, napi_int32_array, S, "counts");
    size_t R = 0;
    for (int b = 0; b < S; b++) {
      if (counts[b] < 0 || s.lengths()[b] + counts[b] > s.maxLength()) throw Failure("feed: a sequence would exceed maxLength");
      R += counts[b];
    }
    const int32_t* tokens = a.array<int32_t>(1, napi_int32_array, R, "tokens");
    const int V = box->engine->model->cfg.V;
    for (size_t i = 0; i < R; i++) {
      if (tokens[i] < 0 || tokens[i] >= V) throw Failure("feed: token outside the vocabulary");
    }
    float* last = a.array<float>(3, napi_float32_array, (size_t)S * V, "last");
    s.feed(tokens, counts, last);
    return undefined(env);
  });
}

BINDING(DisposeDecoder) {
  return guarded(env, [&] {
    Args a(env, info, 1);
    a.box<SessionBox>(0, "decode session")->session.reset();
    return undefined(env);
  });
}

// matmul(a, b, c, M, N, K, transA, transB, accumulate, threads, isa): C (+)= op(A) op(B), for tests
BINDING(Matmul) {
  return guarded(env, [&] {
    Args a(env, info, 11);
    const int M = a.integer(3, "M"), N = a.integer(4, "N"), K = a.integer(5, "K");
    const bool ta = a.num(6, "transA") != 0, tb = a.num(7, "transB") != 0, acc = a.num(8, "accumulate") != 0;
    const float* A = a.array<float>(0, napi_float32_array, (size_t)M * K, "a");
    const float* B = a.array<float>(1, napi_float32_array, (size_t)K * N, "b");
    float* C = a.array<float>(2, napi_float32_array, (size_t)M * N, "c");
    const Kernels* k = kernelsFor(a.str(10));
    const Gemm g{M, N, K, A, ta ? 1 : K, ta ? M : 1, B, tb ? 1 : N, tb ? K : 1, C, N, acc};
    const int threads = a.integer(9, "threads");
    Pool::shared().run(threads, threads, [&](int t, int n) { k->gemm(g, t, n); });
    return undefined(env);
  });
}

// peak(n, seconds, threads, isa) -> GFLOP/s of our C = A B on n x n matrices
BINDING(Peak) {
  return guarded(env, [&] {
    Args a(env, info, 4);
    const int n = a.integer(0, "n"), threads = a.integer(2, "threads");
    const double seconds = a.num(1, "seconds");
    const Kernels* k = kernelsFor(a.str(3));
    std::vector<float> A((size_t)n * n), B((size_t)n * n), C((size_t)n * n);
    for (size_t i = 0; i < A.size(); i++) {
      A[i] = (float)((i * 7919) % 1000) / 1000.0f;
      B[i] = (float)((i * 104729) % 1000) / 1000.0f;
    }
    const Gemm g{n, n, n, A.data(), n, 1, B.data(), n, 1, C.data(), n, false};
    auto once = [&] { Pool::shared().run(threads, threads, [&](int t, int nth) { k->gemm(g, t, nth); }); };
    once();
    long reps = 0;
    const auto t0 = std::chrono::steady_clock::now();
    double elapsed = 0;
    while (elapsed < seconds) {
      once();
      reps++;
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    }
    return number(env, 2.0 * n * n * (double)n * reps / elapsed / 1e9);
  });
}

// profile(on?) -> {label: seconds} summed since the last call; `on` switches profiling
BINDING(ProfileBinding) {
  return guarded(env, [&] {
    Args a(env, info, 1);
    if (a.present(0)) Profile::on = a.num(0, "on") != 0;
    napi_value out;
    check(env, napi_create_object(env, &out), "object");
    for (const auto& [name, seconds] : Profile::take()) set(env, out, name.c_str(), number(env, seconds));
    return out;
  });
}

napi_value Init(napi_env env, napi_value exports) {
  const std::pair<const char*, napi_callback> fns[] = {
      {"isas", Isas},           {"create", Create},   {"dispose", Dispose},   {"paramsChanged", ParamsChanged},
      {"forward", Forward},     {"backward", Backward}, {"zeroGrad", ZeroGrad}, {"gradNorm", GradNorm},
      {"adamw", AdamW},         {"decoder", Decoder}, {"feed", Feed},         {"disposeDecoder", DisposeDecoder},
      {"matmul", Matmul},       {"peak", Peak},         {"profile", ProfileBinding},
  };
  for (const auto& [name, fn] : fns) {
    napi_value f;
    napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &f);
    napi_set_named_property(env, exports, name, f);
  }
  return exports;
}

}  // namespace
}  // namespace eto

NAPI_MODULE_INIT() { return eto::Init(env, exports); }
