#!/usr/bin/env python3
"""Checks that a checkpoint directory is a Hugging Face GPT-2 checkpoint that
GPT2LMHeadModel would read, and that its logits match ours.

Usage: check_hf_gpt2.py EXPECTED_JSON TOLERANCE CHECKPOINT_DIR [CHECKPOINT_DIR ...]

EXPECTED_JSON holds {"tokens": [[...], ...], "logits": [[[...V floats] per position] per row]}.
The safetensors file is parsed by hand (8-byte header length, JSON header,
raw little-endian data), and GPT-2 is computed with torch using the
transformers naming and its Conv1D convention (weights stored [in, out]).
Prints one JSON line per checkpoint with the findings; exit status 0 when
every checkpoint agrees.
"""
import json
import math
import os
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "F64": torch.float64}


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n].decode("utf-8"))
    meta = header.pop("__metadata__", {})
    data = raw[8 + n :]
    tensors = {}
    end = 0
    for name, info in header.items():
        begin, stop = info["data_offsets"]
        dtype = DTYPES[info["dtype"]]
        t = torch.frombuffer(bytearray(data[begin:stop]), dtype=dtype).reshape(info["shape"]) if stop > begin else torch.zeros(info["shape"], dtype=dtype)
        tensors[name] = t.float()
        end = max(end, stop)
    if end != len(data):
        raise ValueError(f"data section is {len(data)} bytes but tensors end at {end}")
    return tensors, meta, n


def expected_names(cfg):
    names = {"transformer.wte.weight": [cfg["vocab_size"], cfg["n_embd"]], "transformer.wpe.weight": [cfg["n_positions"], cfg["n_embd"]]}
    c = cfg["n_embd"]
    for l in range(cfg["n_layer"]):
        p = f"transformer.h.{l}."
        names.update({
            p + "ln_1.weight": [c], p + "ln_1.bias": [c],
            p + "attn.c_attn.weight": [c, 3 * c], p + "attn.c_attn.bias": [3 * c],
            p + "attn.c_proj.weight": [c, c], p + "attn.c_proj.bias": [c],
            p + "ln_2.weight": [c], p + "ln_2.bias": [c],
            p + "mlp.c_fc.weight": [c, 4 * c], p + "mlp.c_fc.bias": [4 * c],
            p + "mlp.c_proj.weight": [4 * c, c], p + "mlp.c_proj.bias": [c],
        })
    names["transformer.ln_f.weight"] = [c]
    names["transformer.ln_f.bias"] = [c]
    return names


def conv1d(x, w, b):
    # transformers' Conv1D: y = x @ W + b with W of shape [in, out].
    return torch.addmm(b, x.reshape(-1, x.shape[-1]), w).reshape(*x.shape[:-1], w.shape[1])


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def gpt2_logits(sd, cfg, tokens):
    eps = cfg.get("layer_norm_epsilon", 1e-5)
    n_head = cfg["n_head"]
    B, T = tokens.shape
    C = cfg["n_embd"]
    D = C // n_head
    ln = lambda x, p: torch.nn.functional.layer_norm(x, (C,), sd[p + ".weight"], sd[p + ".bias"], eps)
    x = sd["transformer.wte.weight"][tokens] + sd["transformer.wpe.weight"][torch.arange(T)][None]
    causal = torch.tril(torch.ones(T, T, dtype=torch.bool))
    for l in range(cfg["n_layer"]):
        p = f"transformer.h.{l}."
        h = ln(x, p + "ln_1")
        q, k, v = conv1d(h, sd[p + "attn.c_attn.weight"], sd[p + "attn.c_attn.bias"]).split(C, dim=2)
        q, k, v = (t.view(B, T, n_head, D).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-1, -2)) / math.sqrt(D)
        att = att.masked_fill(~causal, torch.finfo(att.dtype).min).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + conv1d(y, sd[p + "attn.c_proj.weight"], sd[p + "attn.c_proj.bias"])
        h = ln(x, p + "ln_2")
        x = x + conv1d(gelu_new(conv1d(h, sd[p + "mlp.c_fc.weight"], sd[p + "mlp.c_fc.bias"])), sd[p + "mlp.c_proj.weight"], sd[p + "mlp.c_proj.bias"])
    x = ln(x, "transformer.ln_f")
    return x @ sd["transformer.wte.weight"].T  # LM head tied to the token embeddings


def check(ckpt, expected_file, tol):
    problems = []
    with open(os.path.join(ckpt, "config.json")) as f:
        cfg = json.load(f)
    for key, want in (("model_type", "gpt2"), ("activation_function", "gelu_new"), ("architectures", ["GPT2LMHeadModel"])):
        if cfg.get(key) != want:
            problems.append(f"config {key} = {cfg.get(key)!r}, want {want!r}")
    sd, meta, header_len = read_safetensors(os.path.join(ckpt, "model.safetensors"))
    if meta.get("format") != "pt":
        problems.append("safetensors metadata lacks format=pt (transformers refuses such files)")
    if (8 + header_len) % 8 != 0:
        problems.append("tensor data is not 8-byte aligned")
    want = expected_names(cfg)
    for name, shape in want.items():
        if name not in sd:
            problems.append(f"missing {name}")
        elif list(sd[name].shape) != shape:
            problems.append(f"{name} has shape {list(sd[name].shape)}, want {shape}")
    extra = sorted(set(sd) - set(want) - {"v_head.weight", "v_head.bias"})
    if extra:
        problems.append(f"unexpected tensors {extra[:5]}")
    with open(os.path.join(ckpt, "tokenizer.json")) as f:
        tok = json.load(f)
    vocab = tok["model"]["vocab"]
    if tok["model"]["type"] != "BPE" or tok["pre_tokenizer"]["type"] != "ByteLevel":
        problems.append("tokenizer is not a byte-level BPE")
    if sorted(vocab.values()) != list(range(len(vocab))) or len(vocab) > cfg["vocab_size"]:
        problems.append("tokenizer ids are not 0..n-1 within the model's vocabulary")
    with open(expected_file) as f:
        expected = json.load(f)
    max_diff = None
    if not problems:
        tokens = torch.tensor(expected["tokens"], dtype=torch.long)
        with torch.no_grad():
            logits = gpt2_logits(sd, cfg, tokens)
        ours = torch.tensor(expected["logits"], dtype=torch.float32)
        max_diff = float((logits - ours).abs().max())
        if not max_diff <= tol:
            problems.append(f"logits differ by up to {max_diff:.3g} (tolerance {tol:g})")
    print(json.dumps({"checkpoint": ckpt, "ok": not problems, "maxAbsDiff": max_diff, "tensors": len(sd), "problems": problems}))
    return not problems


def main():
    if len(sys.argv) < 4:
        print("usage: check_hf_gpt2.py EXPECTED_JSON TOLERANCE CHECKPOINT_DIR [CHECKPOINT_DIR ...]", file=sys.stderr)
        sys.exit(2)
    expected_file, tol = sys.argv[1], float(sys.argv[2])
    results = [check(d, expected_file, tol) for d in sys.argv[3:]]
    sys.exit(0 if all(results) else 1)


if __name__ == "__main__":
    main()
