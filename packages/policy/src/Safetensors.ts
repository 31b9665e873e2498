/**
 * The safetensors file format, read and written by hand:
 *   8 bytes   little-endian u64: N, the byte length of the header
 *   N bytes   UTF-8 JSON: { "__metadata__"?: {string: string},
 *             name: { dtype, shape, data_offsets: [begin, end] } ... }
 *             (padded with spaces so the data starts 8-byte aligned)
 *   rest      the tensors' bytes, little-endian, offsets relative to here.
 * We write F32 only; reading also accepts F16, BF16 and F64 (converted to F32).
 */
import { Schema } from "effect"
import type { Params, Tensor } from "./Engine"

export const DType = Schema.Literals(["F32", "F16", "BF16", "F64", "I64", "I32", "U8", "BOOL", "I8", "I16", "U16", "U32", "U64"])
export type DType = typeof DType.Type

const TensorInfo = Schema.Struct({
  dtype: DType,
  shape: Schema.Array(Schema.Number),
  data_offsets: Schema.Tuple([Schema.Number, Schema.Number])
})
export type TensorInfo = typeof TensorInfo.Type

const Metadata = Schema.Record(Schema.String, Schema.String)

export interface Parsed {
  readonly tensors: Map<string, TensorInfo>
  readonly metadata: Record<string, string>
  /** Byte offset of the data section in the file. */
  readonly dataStart: number
}

export class SafetensorsError extends Error {
  override readonly name = "SafetensorsError"
}

const BYTES: Record<DType, number> = {
  F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, U8: 1, BOOL: 1, I8: 1, I16: 2, U16: 2, U32: 4, U64: 8
}

/** Parses and validates the header of a safetensors buffer. */
export const parseHeader = (buf: Uint8Array): Parsed => {
  if (buf.byteLength < 8) throw new SafetensorsError("file shorter than its 8-byte header length")
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const n = Number(view.getBigUint64(0, true))
  if (8 + n > buf.byteLength) throw new SafetensorsError(`header length ${n} runs past the end of the file`)
  let json: unknown
  try {
    json = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + n)))
  } catch (e) {
    throw new SafetensorsError(`header is not JSON: ${(e as Error).message}`)
  }
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw new SafetensorsError("header is not a JSON object")
  const dataStart = 8 + n
  const dataLen = buf.byteLength - dataStart
  const tensors = new Map<string, TensorInfo>()
  let metadata: Record<string, string> = {}
  const decodeInfo = Schema.decodeUnknownExit(TensorInfo)
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === "__metadata__") {
      const m = Schema.decodeUnknownExit(Metadata)(value)
      if (m._tag === "Failure") throw new SafetensorsError("__metadata__ must map strings to strings")
      metadata = { ...m.value }
      continue
    }
    const info = decodeInfo(value)
    if (info._tag === "Failure") throw new SafetensorsError(`bad entry for tensor '${name}'`)
    const { dtype, shape, data_offsets: [b, e] } = info.value
    if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(`tensor '${name}': shape [${shape.join(", ")}] is not a list of sizes`)
    }
    const count = shape.reduce((a, s) => a * s, 1)
    if (!(Number.isInteger(b) && Number.isInteger(e) && b >= 0 && e >= b && e <= dataLen)) {
      throw new SafetensorsError(`tensor '${name}': offsets [${b}, ${e}] outside the ${dataLen}-byte data section`)
    }
    if (e - b !== count * BYTES[dtype]) {
      throw new SafetensorsError(`tensor '${name}': ${e - b} bytes for shape [${shape.join(", ")}] of ${dtype}`)
    }
    tensors.set(name, info.value)
  }
  return { tensors, metadata, dataStart }
}

const f16ToF32 = (h: number): number => {
  const s = h & 0x8000 ? -1 : 1
  const e = (h >> 10) & 0x1f
  const f = h & 0x3ff
  if (e === 0) return s * f * 2 ** -24
  if (e === 31) return f === 0 ? s * Infinity : NaN
  return s * (1 + f / 1024) * 2 ** (e - 15)
}

/** Reads one tensor as F32. */
export const readTensor = (buf: Uint8Array, parsed: Parsed, name: string): Tensor => {
  const info = parsed.tensors.get(name)
  if (!info) throw new SafetensorsError(`no tensor '${name}'`)
  const [b, e] = info.data_offsets
  const start = parsed.dataStart + b
  const count = info.shape.reduce((a, s) => a * s, 1)
  const view = new DataView(buf.buffer, buf.byteOffset + start, e - b)
  const out = new Float32Array(count)
  switch (info.dtype) {
    case "F32":
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true)
      break
    case "F64":
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(8 * i, true)
      break
    case "F16":
      for (let i = 0; i < count; i++) out[i] = f16ToF32(view.getUint16(2 * i, true))
      break
    case "BF16": {
      const tmp = new DataView(new ArrayBuffer(4))
      for (let i = 0; i < count; i++) {
        tmp.setUint32(0, view.getUint16(2 * i, true) << 16, true)
        out[i] = tmp.getFloat32(0, true)
      }
      break
    }
    default:
      throw new SafetensorsError(`tensor '${name}': dtype ${info.dtype} is not a float type`)
  }
  return { shape: info.shape.slice(), data: out }
}

/** Reads every float tensor of a buffer. */
export const decode = (buf: Uint8Array): { tensors: Params; metadata: Record<string, string> } => {
  const parsed = parseHeader(buf)
  const tensors: Params = new Map()
  for (const [name, info] of parsed.tensors) {
    if (info.dtype === "F32" || info.dtype === "F16" || info.dtype === "BF16" || info.dtype === "F64") {
      tensors.set(name, readTensor(buf, parsed, name))
    }
  }
  return { tensors, metadata: parsed.metadata }
}

/** Encodes tensors as F32 in the given order, with optional string metadata. */
export const encode = (tensors: Params, metadata?: Record<string, string>): Uint8Array => {
  const header: Record<string, unknown> = {}
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata
  let offset = 0
  for (const [name, t] of tensors) {
    const count = t.shape.reduce((a, s) => a * s, 1)
    if (count !== t.data.length) throw new SafetensorsError(`tensor '${name}': ${t.data.length} values for shape [${t.shape.join(", ")}]`)
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + 4 * count] }
    offset += 4 * count
  }
  let json = JSON.stringify(header)
  const enc = new TextEncoder()
  let headerBytes = enc.encode(json)
  const pad = (8 - (headerBytes.byteLength % 8)) % 8
  if (pad > 0) {
    json += " ".repeat(pad)
    headerBytes = enc.encode(json)
  }
  const out = new Uint8Array(8 + headerBytes.byteLength + offset)
  const view = new DataView(out.buffer)
  view.setBigUint64(0, BigInt(headerBytes.byteLength), true)
  out.set(headerBytes, 8)
  let at = 8 + headerBytes.byteLength
  const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
  for (const [, t] of tensors) {
    if (littleEndian) {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), at)
    } else {
      for (let i = 0; i < t.data.length; i++) view.setFloat32(at + 4 * i, t.data[i]!, true)
    }
    at += t.data.byteLength
  }
  return out
}
